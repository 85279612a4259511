/**
 * First step of every call: the arguments are checked against the tool's zod input here, so a bad
 * call is refused with our `invalid_arguments` shape (naming each field) before any rule or request.
 */
import { InvalidArguments, jsonKind, type FieldIssue } from '../src/errors.js';
import type { AnyTool } from '../tools/define.js';

export function parseArguments(tool: AnyTool, raw: unknown): Record<string, unknown> {
  if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    throw new InvalidArguments(`Invalid arguments for ${tool.name}: "arguments" must be a JSON object of named arguments, not ${jsonKind(raw)}.`, [
      { path: 'arguments', message: `expected an object, received ${jsonKind(raw)}` },
    ]);
  }
  const parsed = tool.input.safeParse(raw ?? {});
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues: FieldIssue[] = parsed.error.issues.flatMap((issue) => {
    // Unknown keys are reported on the object; name the keys themselves.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => ({
      path: [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(arguments)',
      message: issue.message,
    }));
  });
  const fields = [...new Set(issues.map((i) => i.path))].join(', ');
  throw new InvalidArguments(`Invalid arguments for ${tool.name}: ${fields}. See "issues" for what each needs.`, issues);
}
