/**
 * The question as tokens: each original word and its normalized form (lower case, no accents, no
 * surrounding punctuation), so patterns can be written once without accents ("mes" matches "mês")
 * while names are still cut from the original words. Matched words are masked so that a pipeline
 * named "Funil de vendas" does not also read as the keyword "vendas".
 */

export interface Token {
  /** The word as written, without surrounding punctuation. */
  original: string;
  /** Lower case, accents removed. */
  norm: string;
  /** Set once a pattern has consumed the word. */
  masked: boolean;
  /** The word follows a sentence end (or starts the question), so its capital letter means nothing. */
  sentenceStart: boolean;
  /** The word opened a quotation ("Acme"). */
  quoted: boolean;
}

export function normalizeWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const EDGE_PUNCT = /^[\s"'“”‘’«»¿¡(){}[\],;:!?.…]+|[\s"'“”‘’«»¿¡(){}[\],;:!?.…]+$/gu;

export function tokenize(question: string): Token[] {
  const tokens: Token[] = [];
  let sentenceStart = true;
  for (const raw of question.split(/\s+/)) {
    if (!raw) continue;
    const original = raw.replace(EDGE_PUNCT, '');
    if (original) {
      // "R$" keeps its "$" out of the way; inner "/", "-", "." stay for dates like 01/03/2026.
      const norm = normalizeWord(original).replace(/[^\p{L}\p{N}/\-.]/gu, '');
      tokens.push({ original, norm, masked: false, sentenceStart, quoted: /^["'“‘«]/.test(raw) });
    }
    sentenceStart = /[.!?]["'”’»)]*$/.test(raw);
  }
  return tokens.filter((t) => t.norm !== '');
}

/** Normalized words of a name, for matching it in a question. */
export function nameWords(name: string): string[] {
  return tokenize(name).map((t) => t.norm);
}

/**
 * The text of the unmasked tokens, with masked ones shown as "_" so that patterns never join words
 * across a consumed name. Padded with spaces; `index` maps a character offset back to its token.
 */
export class View {
  readonly text: string;
  private readonly starts: number[] = [];

  constructor(readonly tokens: Token[]) {
    let text = ' ';
    for (const t of tokens) {
      this.starts.push(text.length);
      text += (t.masked ? '_' : t.norm) + ' ';
    }
    this.text = text;
  }

  /** Index of the token at a character offset of `text` (the token starting at or before it). */
  tokenAt(offset: number): number {
    let i = 0;
    while (i + 1 < this.starts.length && this.starts[i + 1]! <= offset) i++;
    return i;
  }

  /** Tokens covered by the characters [from, to). */
  tokensIn(from: number, to: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      const end = start + (this.tokens[i]!.masked ? 1 : this.tokens[i]!.norm.length);
      if (start < to && end > from) out.push(i);
    }
    return out;
  }
}

/**
 * Finds a pattern in the unmasked text (the first match `accept` agrees to); masks its tokens when
 * asked. Patterns are written with spaces around words, as the text is space-padded.
 */
export function find(tokens: Token[], pattern: RegExp, mask = false, accept: (m: RegExpExecArray) => boolean = () => true): RegExpExecArray | undefined {
  const view = new View(tokens);
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  for (let m = re.exec(view.text); m; m = re.exec(view.text)) {
    if (accept(m)) {
      if (mask) for (const i of view.tokensIn(m.index, m.index + m[0].length)) tokens[i]!.masked = true;
      return m;
    }
    // Patterns start and end with a space shared with the next word: step back onto it.
    re.lastIndex = m.index + 1;
  }
  return undefined;
}

export function has(tokens: Token[], pattern: RegExp): boolean {
  return find(tokens, pattern) !== undefined;
}

/** Finds a sequence of normalized words (whole words) among the unmasked tokens; returns its start. */
export function findWords(tokens: Token[], words: readonly string[]): number | undefined {
  if (words.length === 0) return undefined;
  outer: for (let i = 0; i + words.length <= tokens.length; i++) {
    for (let k = 0; k < words.length; k++) {
      const t = tokens[i + k]!;
      if (t.masked || t.norm !== words[k]) continue outer;
    }
    return i;
  }
  return undefined;
}

export function maskRange(tokens: Token[], start: number, count: number): void {
  for (let k = 0; k < count; k++) tokens[start + k]!.masked = true;
}
