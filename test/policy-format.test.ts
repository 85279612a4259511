/**
 * The policy file format: PolicyLayer's JSON policy format is accepted unchanged, our extensions are
 * accepted, and everything else is refused with the JSON path of the problem.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compilePolicy } from '../policy/compile.js';
import { z } from 'zod';
import { argumentPaths, defineTool } from '../tools/define.js';
import { toolArguments, toolKinds } from '../tools/index.js';
import { PolicyError } from '../policy/errors.js';
import { ARG_PATH, COUNTER, formatObjects, MAX_LIMIT, policyJsonSchema, SCOPE, validatePolicy } from '../policy/format.js';
import { loadPolicyFile } from '../policy/store.js';

/** The catalogue's tool names, in order. */
const TOOL_NAMES = [...toolKinds.keys()];

const POLICY_DIR = fileURLToPath(new URL('../../policy/', import.meta.url));

/** The first problem of an invalid policy: `path: message`. */
function problem(value: unknown): string {
  const result = validatePolicy(value, toolArguments);
  assert.equal(result.ok, false, 'the policy is refused');
  const first = (result as { issues: { path: string; message: string }[] }).issues[0]!;
  return `${first.path}: ${first.message}`;
}

const minimal = { version: '1', default: 'allow' };

describe('accepted policies', () => {
  test("PolicyLayer's example loads as is", () => {
    const text = readFileSync(`${POLICY_DIR}policylayer-example.json`, 'utf8').trim();
    assert.equal(
      text,
      '{"version":"1","default":"deny","tools":{"run_salesbot":{"limits":[{"counter":"run_salesbot_rate","window":"minute","max":10,"scope":"grant"}]}}}',
    );
    const policy = loadPolicyFile(`${POLICY_DIR}policylayer-example.json`, toolArguments);
    assert.equal(policy.default, 'deny');
    assert.equal(policy.tools.get('run_salesbot')!.limits[0]!.max, 10);
  });

  test('every shipped preset is valid and references the JSON Schema', () => {
    const presets = readdirSync(POLICY_DIR).filter((f) => f.endsWith('.json') && f !== 'policy.schema.json');
    assert.ok(presets.includes('default.json') && presets.includes('read-only.json') && presets.includes('allow-all.json'));
    for (const file of presets) {
      loadPolicyFile(`${POLICY_DIR}${file}`, toolArguments);
      if (file !== 'policylayer-example.json') {
        assert.equal(JSON.parse(readFileSync(`${POLICY_DIR}${file}`, 'utf8')).$schema, './policy.schema.json', file);
      }
    }
  });

  test('a policy using every extension is accepted', () => {
    const result = validatePolicy(
      {
        version: '1',
        default: 'deny',
        mode: 'enforce',
        hide: ['get_users'],
        all_tools: { limits: [{ counter: 'all_calls', window: 'minute', max: 120, scope: 'grant' }] },
        tools: {
          get_leads: {},
          run_salesbot: { limits: [{ counter: 'run_salesbot_rate', window: 'minute', max: 10, scope: 'grant' }] },
          update_lead: {
            deny_if: [{ conditions: [{ path: 'args.price', op: 'gt', value: 100000 }], on_deny: 'Price changes above 100k need a person.' }],
          },
          create_lead: { action: 'approval', approval: { message: 'Check it', timeout_s: 60 } },
          stop_salesbot: { action: 'deny', reason: 'Stopping bots is done by the sales lead.' },
          move_lead: { limits: [{ counter: 'per_lead', window: 90, max: 2, scope: 'args.lead_id' }], mode: 'dry_run' },
          get_notes: {
            require: [
              { path: 'args.entity_type', op: 'in', value: ['leads', 'contacts'] },
              { path: 'args.limit', op: 'exists', value: true },
              { path: 'args.entity_type', op: 'regex', value: '(?i)LEADS|contacts' },
            ],
          },
        },
      },
      toolArguments,
    );
    assert.equal(result.ok, true, JSON.stringify(result));
  });
});

describe('refused policies name the JSON path', () => {
  test('a bad window', () => {
    assert.match(
      problem({ ...minimal, tools: { run_salesbot: { limits: [{ counter: 'r', window: 'minutes', max: 10, scope: 'grant' }] } } }),
      /^tools\.run_salesbot\.limits\[0\]\.window: window must be "second", "minute", "hour", "day" or a whole number of seconds/,
    );
    assert.match(problem({ ...minimal, all_tools: { limits: [{ counter: 'r', window: 0, max: 1 }] } }), /^all_tools\.limits\[0\]\.window: /);
  });

  test('an unknown key, with a suggestion', () => {
    assert.equal(problem({ ...minimal, tools: { get_lead: { limit: [] } } }), 'tools.get_lead.limit: unknown key "limit"; did you mean "limits"?');
    assert.match(problem({ ...minimal, defaults: 'deny' }), /^defaults: unknown key "defaults"; did you mean "default"\?/);
    assert.match(
      problem({ ...minimal, tools: { update_lead: { deny_if: [{ conditions: [], message: 'x' }] } } }),
      /^tools\.update_lead\.deny_if\[0\]\.message: unknown key/,
    );
  });

  test('an unknown tool name under tools or hide', () => {
    assert.equal(problem({ ...minimal, tools: { get_leeds: {} } }), 'tools.get_leeds: unknown tool "get_leeds"; did you mean "get_leads"?');
    assert.match(problem({ ...minimal, hide: ['delete_everything'] }), /^hide\[0\]: unknown tool "delete_everything"; the tools are get_account, /);
  });

  test('a bad operator, or a value that does not fit the operator', () => {
    assert.match(
      problem({ ...minimal, tools: { update_lead: { require: [{ path: 'args.price', op: 'greater', value: 1 }] } } }),
      /^tools\.update_lead\.require\[0\]\.op: op must be one of eq, neq, in/,
    );
    assert.match(
      problem({ ...minimal, tools: { update_lead: { require: [{ path: 'args.price', op: 'gt', value: '1' }] } } }),
      /^tools\.update_lead\.require\[0\]\.value: op "gt" needs a number/,
    );
    assert.match(
      problem({ ...minimal, tools: { update_lead: { require: [{ path: 'args.price', op: 'in', value: 1 }] } } }),
      /\.value: op "in" needs a non-empty list/,
    );
    assert.match(
      problem({ ...minimal, tools: { update_lead: { require: [{ path: 'args.name', op: 'regex', value: '(' }] } } }),
      /\.value: the pattern is not valid RE2 syntax/,
    );
    assert.match(
      problem({ ...minimal, tools: { update_lead: { require: [{ path: 'price', op: 'eq', value: 1 }] } } }),
      /\.path: path must be "args\." followed by/,
    );
  });

  test('a counter reused with a different window or max', () => {
    const msg = problem({
      ...minimal,
      tools: {
        create_lead: { limits: [{ counter: 'writes', window: 'minute', max: 30 }] },
        update_lead: { limits: [{ counter: 'writes', window: 'hour', max: 30 }] },
      },
    });
    assert.match(msg, /^tools\.update_lead\.limits\[0\]: counter "writes" is one shared budget, first declared at tools\.create_lead\.limits\[0\]/);
    assert.match(
      problem({
        ...minimal,
        all_tools: { limits: [{ counter: 'c', window: 'minute', max: 5 }] },
        tools: { get_lead: { limits: [{ counter: 'c', window: 'minute', max: 6 }] } },
      }),
      /^tools\.get_lead\.limits\[0\]: counter "c"/,
    );
  });

  test('missing or wrong version and default', () => {
    assert.equal(problem({ default: 'allow' }), 'version: version must be the string "1"');
    assert.match(problem({ version: '1' }), /^default: default must be "allow" or "deny"/);
    assert.match(problem({ version: '1', default: 'maybe' }), /^default: /);
  });

  test('approval settings without action approval, bad scope, bad max', () => {
    assert.match(
      problem({ ...minimal, tools: { run_salesbot: { approval: { timeout_s: 5 } } } }),
      /^tools\.run_salesbot\.approval: approval settings only apply with "action": "approval"/,
    );
    assert.match(
      problem({ ...minimal, tools: { get_lead: { limits: [{ counter: 'c', window: 'minute', max: 1, scope: 'user' }] } } }),
      /\.scope: scope must be "grant", "session", "global" or "args\.<argument>"/,
    );
    assert.match(problem({ ...minimal, tools: { get_lead: { limits: [{ counter: 'c', window: 'minute', max: 0 }] } } }), /\.max: max must be at least 1/);
    assert.match(problem({ ...minimal, tools: { get_lead: { limits: [{ window: 'minute', max: 1 }] } } }), /\.counter: /);
  });

  test('PolicyError names the file and the path in one line', () => {
    assert.throws(
      () =>
        compilePolicy(
          { ...minimal, tools: { run_salesbot: { limits: [{ counter: 'r', window: 'weekly', max: 1 }] } } },
          toolArguments,
          '/etc/kommo/policy.json',
        ),
      (err: unknown) =>
        err instanceof PolicyError &&
        err.message.startsWith('invalid policy /etc/kommo/policy.json: tools.run_salesbot.limits[0].window: ') &&
        !err.message.includes('\n'),
    );
  });
});

describe('regex conditions are RE2', () => {
  test('a pattern RE2 cannot compile (backreference, lookaround) is refused at load, naming the JSON path', () => {
    assert.match(
      problem({ ...minimal, tools: { update_lead: { deny_if: [{ conditions: [{ path: 'args.name', op: 'regex', value: '(a)\\1' }] }] } } }),
      /^tools\.update_lead\.deny_if\[0\]\.conditions\[0\]\.value: the pattern is not valid RE2 syntax .*invalid escape sequence/,
    );
    assert.match(
      problem({ ...minimal, tools: { create_lead: { require: [{ path: 'args.name', op: 'regex', value: '(?=x).*' }] } } }),
      /^tools\.create_lead\.require\[0\]\.value: the pattern is not valid RE2/,
    );
  });
});

describe('condition paths and args scopes name an argument of the tool', () => {
  test('a misspelt condition path is refused with a did-you-mean', () => {
    assert.equal(
      problem({ ...minimal, tools: { update_lead: { deny_if: [{ conditions: [{ path: 'args.prce', op: 'gt', value: 100000 }] }] } } }),
      'tools.update_lead.deny_if[0].conditions[0].path: update_lead has no argument "prce", so this would never apply; did you mean "args.price"?',
    );
    assert.match(
      problem({ ...minimal, tools: { move_lead: { require: [{ path: 'args.lead_id.x', op: 'exists' }] } } }),
      /^tools\.move_lead\.require\[0\]\.path: move_lead has no argument "lead_id\.x"/,
      'no path below a scalar argument',
    );
  });

  test('a path far from any argument lists the arguments; a tool without arguments says so', () => {
    assert.match(
      problem({ ...minimal, tools: { get_lead: { require: [{ path: 'args.whatever', op: 'exists' }] } } }),
      /get_lead has no argument "whatever", so this would never apply; the arguments are id$/,
    );
    assert.match(
      problem({ ...minimal, tools: { get_account: { deny_if: [{ conditions: [{ path: 'args.id', op: 'exists' }] }] } } }),
      /get_account takes no arguments$/,
    );
  });

  test('an args scope on an argument the tool does not take is refused (tool limits and all_tools)', () => {
    assert.match(
      problem({ ...minimal, tools: { get_leads: { limits: [{ counter: 'c', window: 'minute', max: 1, scope: 'args.lead' }] } } }),
      /^tools\.get_leads\.limits\[0\]\.scope: get_leads has no argument "lead", so this would never apply/,
    );
    assert.match(
      problem({ ...minimal, all_tools: { limits: [{ counter: 'c', window: 'minute', max: 1, scope: 'args.lead_idd' }] } }),
      /^all_tools\.limits\[0\]\.scope: no tool has an argument "lead_idd", so this would never apply; did you mean "args\.lead_id"\?/,
    );
  });

  test("each tool's argument paths come from its zod input, through optional wrappers, nested objects and lists", () => {
    const tool = defineTool({
      name: 'nested',
      title: 'Nested',
      description: 'For the test.',
      kind: 'read',
      input: z.object({
        id: z.number(),
        meta: z.object({ owner: z.object({ id: z.number() }) }).optional(),
        tags: z.array(z.object({ name: z.string() })).optional(),
      }),
      run: async () => ({}),
    });
    assert.deepEqual(argumentPaths(tool), ['id', 'meta', 'meta.owner', 'meta.owner.id', 'tags', 'tags.*', 'tags.*.name']);
    assert.deepEqual(toolArguments.get('update_lead'), ['id', 'name', 'price', 'status_id', 'pipeline_id', 'loss_reason_id', 'responsible_user_id']);
  });

  test('an all_tools scope on an argument some tools take counts exactly those tools', () => {
    const policy = compilePolicy(
      { ...minimal, all_tools: { limits: [{ counter: 'per_lead', window: 'minute', max: 5, scope: 'args.lead_id' }] } },
      toolArguments,
    );
    const counted = TOOL_NAMES.filter((t) => policy.tools.get(t)!.limits.some((l) => l.counter === 'per_lead'));
    assert.deepEqual(counted, ['move_lead']);
  });
});

describe('JSON Schema for editors', () => {
  test('the shipped policy.schema.json is the generated one (regenerate: node dist/src/policy-schema.js > policy/policy.schema.json)', () => {
    const shipped = JSON.parse(readFileSync(`${POLICY_DIR}policy.schema.json`, 'utf8'));
    assert.deepEqual(shipped, policyJsonSchema(toolKinds));
  });

  test('it is generated from the zod schema that parses policies: every object accepts the same keys, limits and patterns', () => {
    const schema = policyJsonSchema(toolKinds) as {
      $schema: string;
      properties: Record<string, { properties?: Record<string, unknown> }>;
      definitions: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const keys = (o: { properties?: object } | undefined) =>
      Object.keys(o?.properties ?? {})
        .sort()
        .join(',');
    const zodObjects = new Set(formatObjects().map((k) => [...k].sort().join(',')));
    for (const name of ['condition', 'limit', 'toolRule']) assert.ok(zodObjects.has(keys(schema.definitions[name])), name);
    assert.ok(zodObjects.has(keys(schema as { properties: object })));
    const limit = schema.definitions['limit']!.properties;
    assert.equal(limit['counter']!['pattern'], COUNTER.source);
    assert.equal(limit['scope']!['pattern'], SCOPE.source);
    assert.equal(limit['max']!['maximum'], MAX_LIMIT);
    assert.equal(schema.definitions['condition']!.properties['path']!['pattern'], ARG_PATH.source);
  });

  test('it completes the 23 tool names under tools and hide', () => {
    const schema = policyJsonSchema(toolKinds) as { properties: { tools: { properties: object }; hide: { items: { enum: string[] } } } };
    assert.deepEqual(Object.keys(schema.properties.tools.properties), [...TOOL_NAMES]);
    assert.deepEqual(schema.properties.hide.items.enum, ['*', ...TOOL_NAMES]);
    assert.equal(TOOL_NAMES.length, 23);
  });
});
