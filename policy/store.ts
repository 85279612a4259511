/**
 * The policy file on disk: read and checked at startup (an invalid file stops the server), then
 * watched. A valid edit replaces the policy for the next call and tells the listeners (the server
 * sends notifications/tools/list_changed); an invalid edit is logged and the previous policy stays.
 * Counters live in the limiter, not here, so a reload keeps them.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { silentLogger, type Logger } from '../src/log.js';
import { compilePolicy, tryCompilePolicy, type CompiledPolicy, type PolicyHolder } from './compile.js';
import { PolicyError } from './errors.js';
import type { PolicyIssue, ToolArguments } from './format.js';

/** Reads and parses a policy file; JSON syntax errors are reported with line and column. */
export function readPolicyJson(file: string): { ok: true; value: unknown; text: string } | { ok: false; issues: PolicyIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'the file cannot be read (permission denied)' : `the file cannot be read (${code})`;
    return { ok: false, issues: [{ path: '(file)', message: `${why}; set --policy or KOMMO_POLICY to a policy file, e.g. policy/default.json` }] };
  }
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')), text };
  } catch (err) {
    return { ok: false, issues: [{ path: '(root)', message: `not valid JSON: ${jsonErrorWhere(err, text)}` }] };
  }
}

/** Loads a policy file or throws `PolicyError` (file + JSON path + what is allowed). */
export function loadPolicyFile(file: string, toolArguments: ToolArguments): CompiledPolicy {
  const read = readPolicyJson(file);
  if (!read.ok) throw new PolicyError(file, read.issues);
  return compilePolicy(read.value, toolArguments, file);
}

/** Like `loadPolicyFile`, but collects every problem (for `policy check`). */
export function checkPolicyFile(file: string, toolArguments: ToolArguments): { ok: true; policy: CompiledPolicy } | { ok: false; issues: PolicyIssue[] } {
  const read = readPolicyJson(file);
  return read.ok ? tryCompilePolicy(read.value, toolArguments, file) : read;
}

function jsonErrorWhere(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const pos = /position (\d+)/.exec(message);
  if (!pos) return message;
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/\s*in JSON at position \d+.*$/s, '')} at line ${line}, column ${column}`;
}

export type ReloadResult = { ok: true; changed: boolean } | { ok: false; error: PolicyError };

export interface PolicyStoreOptions {
  logger?: Logger;
  /** Quiet period after the last file event before reloading. */
  debounceMs?: number;
  /** How often the path is checked for a new file behind it (symlink swaps, rename-over). */
  pollMs?: number;
}

/** What identifies the file the path leads to now; any change is worth a re-read. */
function fileSignature(file: string): string {
  try {
    const link = lstatSync(file);
    const target = statSync(file); // follows every symlink on the way
    return [link.ino, link.mtimeMs, target.dev, target.ino, target.size, target.mtimeMs, target.ctimeMs].join(':');
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class PolicyStore implements PolicyHolder {
  /** The path as given (made absolute), never resolved: a symlink is followed afresh on every read. */
  readonly file: string;
  private policy: CompiledPolicy;
  private text: string;
  private signature: string;
  private readonly toolArguments: ToolArguments;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly pollMs: number;
  private readonly listeners = new Set<(policy: CompiledPolicy) => void>();
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Reads the file now; throws `PolicyError` when it is not a valid policy. */
  constructor(file: string, toolArguments: ToolArguments, options: PolicyStoreOptions = {}) {
    this.file = resolve(file);
    this.toolArguments = toolArguments;
    this.logger = options.logger ?? silentLogger;
    this.debounceMs = options.debounceMs ?? 100;
    this.pollMs = options.pollMs ?? 1_000;
    this.signature = fileSignature(this.file);
    const read = readPolicyJson(this.file);
    if (!read.ok) throw new PolicyError(this.file, read.issues);
    this.policy = compilePolicy(read.value, toolArguments, this.file);
    this.text = read.text;
  }

  get current(): CompiledPolicy {
    return this.policy;
  }

  /** SHA-256 of the text of the policy in force, as logged at each reload. */
  get sha256(): string {
    return sha256Hex(this.text);
  }

  /** Called after each successful reload that changed the policy. */
  onChange(listener: (policy: CompiledPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the file. A valid file replaces the policy; an invalid one is logged and ignored. */
  reload(): ReloadResult {
    this.signature = fileSignature(this.file);
    const read = readPolicyJson(this.file);
    if (read.ok && read.text === this.text) return { ok: true, changed: false };
    const sha256 = read.ok ? sha256Hex(read.text) : undefined;
    let next: CompiledPolicy;
    try {
      if (!read.ok) throw new PolicyError(this.file, read.issues);
      next = compilePolicy(read.value, this.toolArguments, this.file);
    } catch (err) {
      const error = err instanceof PolicyError ? err : new PolicyError(this.file, [{ path: '(root)', message: String(err) }]);
      this.logger.error('policy reload rejected; the previous policy stays in force', {
        file: this.file,
        ...(sha256 && { sha256 }),
        inForceSha256: this.sha256,
        problem: error.message,
      });
      return { ok: false, error };
    }
    this.policy = next;
    this.text = read.text;
    this.logger.info('policy reloaded', { file: this.file, sha256, default: next.default, mode: next.mode });
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (err) {
        this.logger.error('policy change listener failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { ok: true, changed: true };
  }

  /**
   * Follows the path as given. The directory watch catches in-place edits and editors' rename-over
   * at once; a poll of what the path leads to catches the rest: a symlink swapped (`ln -sfn`, how
   * Kubernetes updates a ConfigMap), an edit of a symlink's target in another directory, a file
   * deleted and created again (which ends a watch on the old file).
   */
  watch(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      if (fileSignature(this.file) !== this.signature) this.scheduleReload();
    }, this.pollMs);
    this.poller.unref();
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, filename) => {
        if (filename === null || filename.toString() === name) this.scheduleReload();
      });
      this.watcher.on('error', (err) =>
        this.logger.warn('policy directory watch stopped; edits are still picked up by polling', { file: this.file, error: err.message }),
      );
    } catch (err) {
      this.logger.warn('policy directory cannot be watched; edits are picked up by polling', {
        file: this.file,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.debounceMs);
    this.timer.unref();
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.poller);
    this.poller = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
