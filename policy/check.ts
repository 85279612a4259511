/**
 * `kommo-mcp policy check <file>`: validates a policy file and shows, for each tool of the catalogue,
 * what the policy does with it, so an edit can be checked before the server picks it up.
 */
import type { CompiledLimit, CompiledPolicy } from './compile.js';
import { describeCondition } from './conditions.js';
import { gate, toolRule, type GateOutcome } from './evaluate.js';
import type { ToolArguments, ToolKinds } from './format.js';
import { checkPolicyFile } from './store.js';

export interface ToolReport {
  tool: string;
  kind: string;
  decision: GateOutcome;
  mode: 'enforce' | 'dry_run';
  /** "10/minute per grant [run_salesbot_rate]". */
  limits: string[];
  /** require / deny_if summaries. */
  conditions: string[];
}

export function reportPolicy(policy: CompiledPolicy, kinds: ToolKinds): ToolReport[] {
  return [...kinds.keys()].map((tool) => {
    const g = gate(policy, tool);
    const rule = toolRule(policy, tool);
    const open = g.outcome === 'allow' || g.outcome === 'approval';
    return {
      tool,
      kind: kinds.get(tool) ?? 'unknown',
      decision: g.outcome,
      mode: g.mode,
      limits: open ? rule.limits.map(describeLimit) : [],
      conditions: open
        ? [
            ...rule.require.map((c) => `require ${describeCondition(c)}`),
            ...rule.denyIf.map((d) => `deny if ${d.conditions.length ? d.conditions.map(describeCondition).join(' and ') : 'always'}`),
          ]
        : [],
    };
  });
}

export function describeLimit(limit: CompiledLimit): string {
  return `${limit.max}/${limit.window} per ${limit.scopeText} [${limit.counter}]`;
}

/** Renders the report as an aligned text table. */
export function formatReport(file: string, policy: CompiledPolicy, kinds: ToolKinds): string {
  const rows = reportPolicy(policy, kinds);
  const header = ['tool', 'kind', 'decision', 'limits', 'conditions'];
  const cells = rows.map((r) => [
    r.tool,
    r.kind,
    r.decision + (r.mode === 'dry_run' ? ' (dry run)' : ''),
    r.limits.join('; ') || '-',
    r.conditions.join('; ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  const listed = rows.filter((r) => r.decision === 'allow' || r.decision === 'approval').length;
  return [
    `${file}: valid policy (default ${policy.default}, mode ${policy.mode}); ${listed} of ${rows.length} tools visible to the agent.`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    '',
    'decision: allow = callable; approval = callable after a person approves; deny / hidden = not listed, refused when called.',
  ].join('\n');
}

/** Runs the subcommand: returns the exit code and what to print on stdout / stderr. */
export function runPolicyCheck(file: string, toolArguments: ToolArguments, kinds: ToolKinds): { code: 0 | 1; stdout: string; stderr: string } {
  const result = checkPolicyFile(file, toolArguments);
  if (!result.ok) {
    const lines = result.issues.map((i) => `  ${i.path}: ${i.message}`);
    return { code: 1, stdout: '', stderr: `invalid policy ${file}:\n${lines.join('\n')}\n` };
  }
  return { code: 0, stdout: formatReport(file, result.policy, kinds) + '\n', stderr: '' };
}
