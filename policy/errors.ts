/**
 * A policy file that cannot be used. It is a `ConfigError`, so at startup the entry point prints its
 * one-line message (file, JSON path, what is allowed) to stderr and exits non-zero.
 */
import { ConfigError } from '../src/config.js';
import type { PolicyIssue } from './format.js';

export class PolicyError extends ConfigError {
  override name = 'PolicyError';

  constructor(
    readonly file: string | undefined,
    readonly issues: readonly PolicyIssue[],
  ) {
    const first = issues[0] ?? { path: '(root)', message: 'invalid policy' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more; run "kommo-mcp policy check ${file ?? '<file>'}" to see all)` : '';
    super(`invalid policy ${file ?? '(inline)'}: ${first.path}: ${first.message}${more}`);
  }
}
