/**
 * The JSON Schema of the policy format, for editors (completion and checking as you type). The
 * shipped `policy/policy.schema.json` is this object for the catalogue's tools; a test keeps the two
 * equal. Regenerate with
 *   npm run build && node dist/src/policy-schema.js > policy/policy.schema.json
 * The server's own check (policy/format.ts) is stricter: it also knows shared counters and patterns.
 */
import * as defaults from '../src/defaults.js';
import {
  ARG_PATH,
  CONDITION_OPS,
  COUNTER,
  MAX_APPROVAL_TIMEOUT_S,
  MAX_LIMIT,
  MAX_PENDING_APPROVALS,
  MAX_WINDOW_SECONDS,
  NAMED_WINDOWS,
  SCOPE,
  type ToolKinds,
} from './format.js';

/** The schema for the tools given (name → kind, in catalogue order). */
export function policyJsonSchema(kinds: ToolKinds): Record<string, unknown> {
  const names = [...kinds.keys()];
  const condition = {
    type: 'object',
    description: 'A test on the validated arguments of the call.',
    additionalProperties: false,
    required: ['path', 'op'],
    properties: {
      path: { type: 'string', pattern: ARG_PATH.source, description: 'args.<argument>, dotted for nested values, e.g. "args.price".' },
      op: { enum: [...CONDITION_OPS], description: 'regex is a full match in RE2 syntax (no backreferences or lookarounds); exists takes true or false.' },
      value: { description: 'What to compare with: a list for in / not_in, a number for lt / lte / gt / gte, a pattern for regex.' },
    },
  };
  const limit = {
    type: 'object',
    description: 'At most `max` calls per fixed UTC-aligned window, per scope. The same counter name in several places is one shared budget.',
    additionalProperties: false,
    required: ['counter', 'window', 'max'],
    properties: {
      counter: { type: 'string', pattern: COUNTER.source, description: 'Counter name; reuse it to share a budget across tools.' },
      window: {
        description: 'second, minute, hour, day, or a number of seconds.',
        oneOf: [{ enum: Object.keys(NAMED_WINDOWS) }, { type: 'integer', minimum: 1, maximum: MAX_WINDOW_SECONDS }],
      },
      max: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: 'Calls allowed per window.' },
      scope: {
        type: 'string',
        pattern: SCOPE.source,
        default: 'grant',
        description: 'grant (per credential), session (per MCP session), global (whole process) or args.<argument> (per argument value).',
      },
    },
  };
  const limits = { type: 'array', items: { $ref: '#/definitions/limit' } };
  const mode = { enum: ['enforce', 'dry_run'], description: 'dry_run: decide and log, but let every call through.' };
  const toolRule = {
    type: 'object',
    additionalProperties: false,
    properties: {
      action: { enum: ['allow', 'deny', 'approval'], default: 'allow', description: 'approval: a person approves each call (MCP elicitation).' },
      reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Told to the agent when this tool is refused.' },
      approval: {
        type: 'object',
        additionalProperties: false,
        description: 'With action "approval".',
        properties: {
          message: { type: 'string', minLength: 1, maxLength: 1000, description: 'Shown to the person above the call summary.' },
          timeout_s: { type: 'integer', minimum: 1, maximum: MAX_APPROVAL_TIMEOUT_S, default: defaults.APPROVAL_TIMEOUT_MS / 1000 },
          max_pending: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_PENDING_APPROVALS,
            default: defaults.MAX_PENDING_APPROVALS,
            description: 'At most this many approval requests wait at once per client; more calls are refused (rate_limited) while a person is being asked.',
          },
        },
      },
      mode,
      require: { type: 'array', items: { $ref: '#/definitions/condition' }, description: 'Every condition must hold, else the call is refused.' },
      deny_if: {
        type: 'array',
        description: 'Each entry refuses the call when all its conditions hold (an empty list always refuses).',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['conditions'],
          properties: {
            conditions: { type: 'array', items: { $ref: '#/definitions/condition' } },
            on_deny: { type: 'string', minLength: 1, maxLength: 500, description: 'Told to the agent when this entry refuses a call.' },
          },
        },
      },
      limits,
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kommo-mcp policy',
    description: 'PolicyLayer JSON policy format plus kommo-mcp extensions (action, reason, approval, mode). Check a file with: kommo-mcp policy check <file>',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'default'],
    properties: {
      $schema: { type: 'string' },
      version: { const: '1' },
      description: { type: 'string', minLength: 1, maxLength: 2000 },
      default: { enum: ['allow', 'deny'], description: 'What happens to tools not listed under "tools".' },
      mode,
      hide: {
        type: 'array',
        description: 'Tools removed from tools/list and refused when called anyway; "*" hides all.',
        items: { enum: ['*', ...names] },
      },
      all_tools: { type: 'object', additionalProperties: false, properties: { limits } },
      tools: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(
          names.map((name) => [name, { $ref: '#/definitions/toolRule', description: `${name} (${kinds.get(name)})` }]),
        ),
      },
    },
    definitions: { condition, limit, toolRule },
  };
}
