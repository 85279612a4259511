/**
 * The policy file on disk: read and checked at startup (an invalid file stops the server), then
 * watched. A valid edit replaces the policy for the next call and tells the listeners (the server
 * sends notifications/tools/list_changed); an invalid edit is logged and the previous policy stays.
 * Counters live in the limiter, not here, so a reload keeps them.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { silentLogger, type Logger } from '../src/log.js';
import { compilePolicy, tryCompilePolicy, type CompiledPolicy, type PolicyHolder } from './compile.js';
import { PolicyError } from './errors.js';
import type { PolicyIssue } from './format.js';

/** Reads and parses a policy file; JSON syntax errors are reported with line and column. */
export function readPolicyJson(file: string): { ok: true; value: unknown; text: string } | { ok: false; issues: PolicyIssue[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'the file cannot be read (permission denied)' : `the file cannot be read (${code})`;
    return { ok: false, issues: [{ path: '(file)', message: `${why}; set --policy or KOMMO_POLICY to a policy file, e.g. policy/default.json` }] };
  }
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')), text };
  } catch (err) {
    return { ok: false, issues: [{ path: '(root)', message: `not valid JSON: ${jsonErrorWhere(err, text)}` }] };
  }
}

/** Loads a policy file or throws `PolicyError` (file + JSON path + what is allowed). */
export function loadPolicyFile(file: string): CompiledPolicy {
  const read = readPolicyJson(file);
  if (!read.ok) throw new PolicyError(file, read.issues);
  return compilePolicy(read.value, file);
}

/** Like `loadPolicyFile`, but collects every problem (for `policy check`). */
export function checkPolicyFile(file: string): { ok: true; policy: CompiledPolicy } | { ok: false; issues: PolicyIssue[] } {
  const read = readPolicyJson(file);
  return read.ok ? tryCompilePolicy(read.value, file) : read;
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
}

export class PolicyStore implements PolicyHolder {
  readonly file: string;
  private policy: CompiledPolicy;
  private text: string;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly listeners = new Set<(policy: CompiledPolicy) => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Reads the file now; throws `PolicyError` when it is not a valid policy. */
  constructor(file: string, options: PolicyStoreOptions = {}) {
    this.file = resolve(file);
    this.logger = options.logger ?? silentLogger;
    this.debounceMs = options.debounceMs ?? 150;
    const read = readPolicyJson(this.file);
    if (!read.ok) throw new PolicyError(this.file, read.issues);
    this.policy = compilePolicy(read.value, this.file);
    this.text = read.text;
  }

  get current(): CompiledPolicy {
    return this.policy;
  }

  /** Called after each successful reload that changed the policy. */
  onChange(listener: (policy: CompiledPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the file. A valid file replaces the policy; an invalid one is logged and ignored. */
  reload(): ReloadResult {
    const read = readPolicyJson(this.file);
    let next: CompiledPolicy;
    try {
      if (!read.ok) throw new PolicyError(this.file, read.issues);
      if (read.text === this.text) return { ok: true, changed: false };
      next = compilePolicy(read.value, this.file);
    } catch (err) {
      const error = err instanceof PolicyError ? err : new PolicyError(this.file, [{ path: '(root)', message: String(err) }]);
      this.logger.error('policy reload rejected; the previous policy stays in force', { file: this.file, problem: error.message });
      return { ok: false, error };
    }
    this.policy = next;
    this.text = read.text;
    this.logger.info('policy reloaded', { file: this.file, default: next.default, mode: next.mode });
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
   * Watches the file's directory rather than the file: editors often save by writing a new file and
   * renaming it over the old one, which ends a watch on the file itself.
   */
  watch(): void {
    if (this.watcher) return;
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename.toString() !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.reload(), this.debounceMs);
        this.timer.unref();
      });
      this.watcher.on('error', (err) => this.logger.warn('policy file watch stopped', { file: this.file, error: err.message }));
    } catch (err) {
      this.logger.warn('policy file cannot be watched; edits apply after a restart', {
        file: this.file,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
