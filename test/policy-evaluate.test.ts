/**
 * `evaluate` is pure: (policy, tool, arguments, caller) → decision, in the documented order
 * hidden → tool rule or default → require → deny_if → limits → approval.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePolicy } from '../policy/compile.js';
import { toolArguments } from '../tools/index.js';
import { MAX_REGEX_INPUT } from '../policy/conditions.js';
import { evaluate, gate, isListed, type Admission, type Decision, type Denial } from '../policy/evaluate.js';

const scope = { grant: 'g1', session: 's1' };

function denied(d: Decision): Denial {
  assert.equal(d.outcome, 'deny', `expected a denial, got ${JSON.stringify(d)}`);
  return d as Denial;
}
function admitted(d: Decision): Admission {
  assert.notEqual(d.outcome, 'deny', `expected an admission, got ${JSON.stringify(d)}`);
  return d as Admission;
}

describe('order of evaluation', () => {
  const policy = compilePolicy(
    {
      version: '1',
      default: 'deny',
      hide: ['get_users'],
      all_tools: { limits: [{ counter: 'all_calls', window: 'minute', max: 120, scope: 'grant' }] },
      tools: {
        get_users: {},
        get_leads: {},
        update_lead: {
          require: [{ path: 'args.id', op: 'gt', value: 0 }],
          deny_if: [{ conditions: [{ path: 'args.price', op: 'gt', value: 100000 }], on_deny: 'Price changes above 100k need a person.' }],
          limits: [{ counter: 'lead_writes', window: 'minute', max: 2, scope: 'args.id' }],
        },
        create_lead: { action: 'approval', approval: { message: 'Check it', timeout_s: 30 } },
        stop_salesbot: { action: 'deny', reason: 'Stopping bots is done by the sales lead.' },
      },
    },
    toolArguments,
  );

  test('hidden wins over a tool rule', () => {
    const d = denied(evaluate(policy, 'get_users', {}, scope));
    assert.equal(d.rule, 'hide');
    assert.equal(d.unlisted, true);
    assert.match(d.message, /get_users is hidden by the policy/);
    assert.equal(gate(policy, 'get_users').outcome, 'hidden');
  });

  test('a tool not listed gets the default (deny here)', () => {
    const d = denied(evaluate(policy, 'get_account', {}, scope));
    assert.equal(d.rule, 'default');
    assert.match(d.message, /not allowed by the policy \(tools it does not list are denied\)/);
  });

  test('action deny gives the reason', () => {
    const d = denied(evaluate(policy, 'stop_salesbot', { bot_id: 1, entity_id: 2, entity_type: 'leads' }, scope));
    assert.equal(d.rule, 'tools.stop_salesbot.action');
    assert.match(d.message, /Stopping bots is done by the sales lead\./);
  });

  test('a listed tool with {} is allowed, and all_tools limits apply to it', () => {
    const d = admitted(evaluate(policy, 'get_leads', {}, scope));
    assert.equal(d.outcome, 'allow');
    assert.equal(d.rule, 'tools.get_leads');
    assert.deepEqual(
      d.limits.map((l) => l.limit.counter),
      ['all_calls'],
    );
  });

  test('require is checked before deny_if', () => {
    const d = denied(evaluate(policy, 'update_lead', { id: 0, price: 200000 }, scope));
    assert.equal(d.rule, 'tools.update_lead.require[0]');
    assert.match(d.message, /requires that args\.id is more than 0/);
  });

  test('deny_if denies with on_deny', () => {
    const d = denied(evaluate(policy, 'update_lead', { id: 5, price: 200000 }, scope));
    assert.equal(d.rule, 'tools.update_lead.deny_if[0]');
    assert.match(d.message, /Price changes above 100k need a person\./);
    assert.equal(d.unlisted, false);
  });

  test('limits come with their scope keys; approval comes last', () => {
    const d = admitted(evaluate(policy, 'update_lead', { id: 5, price: 10 }, scope));
    assert.equal(d.outcome, 'allow');
    assert.deepEqual(
      d.limits.map((l) => [l.limit.counter, l.key]),
      [
        ['all_calls', 'all_calls\u0000g:g1'],
        ['lead_writes', 'lead_writes\u0000a:j5'],
      ],
    );
    const a = admitted(evaluate(policy, 'create_lead', { name: 'x' }, scope));
    assert.equal(a.outcome, 'approval');
    assert.deepEqual(a.approval, { message: 'Check it', timeoutMs: 30_000, maxPending: 1 });
  });

  test('tools/list shows exactly the tools the name alone does not deny', () => {
    const listed = ['get_users', 'get_leads', 'update_lead', 'create_lead', 'stop_salesbot', 'get_account'].filter((t) => isListed(policy, t));
    assert.deepEqual(listed, ['get_leads', 'update_lead', 'create_lead']);
  });
});

describe('conditions', () => {
  // update_lead as if it also took list and object arguments, to pin how paths reach into them.
  const nested = ['tags', 'tags.*', 'meta', 'meta.owner', 'meta.owner.id', 'meta.toString', 'items', 'items.*'];
  const withNested = new Map([...toolArguments, ['update_lead', [...toolArguments.get('update_lead')!, ...nested]]]);
  const policyWith = (conditions: unknown[]) =>
    compilePolicy({ version: '1', default: 'allow', tools: { update_lead: { deny_if: [{ conditions }] } } }, withNested);
  const deniedBy = (condition: object, args: Record<string, unknown>) => evaluate(policyWith([condition]), 'update_lead', args, scope).outcome === 'deny';

  test('eq / neq, with numbers and numeric strings equal', () => {
    assert.equal(deniedBy({ path: 'args.status_id', op: 'eq', value: 142 }, { status_id: 142 }), true);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'eq', value: '142' }, { status_id: 142 }), true);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'eq', value: 142 }, {}), false);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'neq', value: 142 }, {}), true);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'neq', value: 142 }, { status_id: 142 }), false);
  });

  test('in / not_in', () => {
    assert.equal(deniedBy({ path: 'args.status_id', op: 'in', value: [142, 143] }, { status_id: 143 }), true);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'in', value: [142, 143] }, { status_id: 1 }), false);
    assert.equal(deniedBy({ path: 'args.status_id', op: 'not_in', value: [142, 143] }, { status_id: 1 }), true);
  });

  test('lt / lte / gt / gte read numbers only', () => {
    assert.equal(deniedBy({ path: 'args.price', op: 'gt', value: 100 }, { price: 101 }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'gt', value: 100 }, { price: 100 }), false);
    assert.equal(deniedBy({ path: 'args.price', op: 'gte', value: 100 }, { price: 100 }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'lt', value: 100 }, { price: 99 }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'lte', value: 100 }, { price: 100 }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'gt', value: 100 }, { price: '500' }), false);
    assert.equal(deniedBy({ path: 'args.price', op: 'gt', value: 100 }, {}), false);
  });

  test('regex is a full match, accepts a leading (?i), and refuses inputs over the cap', () => {
    assert.equal(deniedBy({ path: 'args.name', op: 'regex', value: 'test' }, { name: 'my test lead' }), false);
    assert.equal(deniedBy({ path: 'args.name', op: 'regex', value: '.*test.*' }, { name: 'my test lead' }), true);
    assert.equal(deniedBy({ path: 'args.name', op: 'regex', value: '(?i)ACME.*' }, { name: 'acme renewal' }), true);
    assert.equal(deniedBy({ path: 'args.name', op: 'regex', value: 'a|b' }, { name: 'ab' }), false, 'alternation is anchored as a whole');
    const long = 'x'.repeat(MAX_REGEX_INPUT + 1);
    const d = denied(evaluate(policyWith([{ path: 'args.name', op: 'regex', value: 'y' }]), 'update_lead', { name: long }, scope));
    assert.equal(d.rule, 'tools.update_lead.deny_if[0].conditions[0]');
    assert.match(d.message, /longer than the 10000 characters/);
    // In `require` too: an input that cannot be judged is refused, never waved through.
    const req = compilePolicy(
      { version: '1', default: 'allow', tools: { update_lead: { require: [{ path: 'args.name', op: 'regex', value: 'x+' }] } } },
      toolArguments,
    );
    assert.equal(evaluate(req, 'update_lead', { name: long }, scope).outcome, 'deny');
  });

  test('contains on strings and lists; exists', () => {
    assert.equal(deniedBy({ path: 'args.name', op: 'contains', value: 'VIP' }, { name: 'Acme VIP' }), true);
    assert.equal(deniedBy({ path: 'args.tags', op: 'contains', value: 7 }, { tags: [1, 7] }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'exists', value: true }, { price: 1 }), true);
    assert.equal(deniedBy({ path: 'args.price', op: 'exists', value: false }, { price: 1 }), false);
    assert.equal(deniedBy({ path: 'args.price', op: 'exists' }, {}), false);
  });

  test('dotted paths reach nested values and array items', () => {
    assert.equal(deniedBy({ path: 'args.meta.owner.id', op: 'eq', value: 3 }, { meta: { owner: { id: 3 } } }), true);
    assert.equal(deniedBy({ path: 'args.items.1', op: 'eq', value: 'b' }, { items: ['a', 'b'] }), true);
    assert.equal(deniedBy({ path: 'args.meta.toString', op: 'exists', value: true }, { meta: {} }), false, 'no prototype lookups');
  });

  test('all conditions of a deny_if entry must hold; an empty list always denies', () => {
    const both = [
      { path: 'args.price', op: 'gt', value: 100 },
      { path: 'args.status_id', op: 'eq', value: 142 },
    ];
    assert.equal(evaluate(policyWith(both), 'update_lead', { id: 1, price: 500 }, scope).outcome, 'allow');
    assert.equal(evaluate(policyWith(both), 'update_lead', { id: 1, price: 500, status_id: 142 }, scope).outcome, 'deny');
    assert.equal(evaluate(policyWith([]), 'update_lead', { id: 1 }, scope).outcome, 'deny');
  });
});

describe('scope keys', () => {
  const policy = compilePolicy(
    {
      version: '1',
      default: 'allow',
      tools: {
        update_lead: { limits: [{ counter: 'per_lead', window: 'minute', max: 3, scope: 'args.id' }] },
        move_lead: {
          limits: [
            { counter: 'per_lead', window: 'minute', max: 3, scope: 'args.lead_id' },
            { counter: 'sess', window: 'hour', max: 3, scope: 'session' },
            { counter: 'glob', window: 'day', max: 3, scope: 'global' },
          ],
        },
        get_lead: { limits: [{ counter: 'g', window: 'minute', max: 3 }] },
      },
    },
    toolArguments,
  );

  test('args scopes share one key space, so a shared counter counts per lead across tools', () => {
    const a = admitted(evaluate(policy, 'update_lead', { id: 42 }, scope)).limits[0]!;
    const b = admitted(evaluate(policy, 'move_lead', { lead_id: 42, status_id: 1 }, scope)).limits[0]!;
    assert.equal(a.key, b.key);
    assert.equal(a.scopePhrase, 'for id 42');
  });

  test('session, global, and grant as the default scope', () => {
    const [, sess, glob] = admitted(evaluate(policy, 'move_lead', { lead_id: 1, status_id: 1 }, scope)).limits;
    assert.equal(sess!.key, 'sess\u0000s:s1');
    assert.equal(glob!.key, 'glob\u0000*');
    assert.equal(admitted(evaluate(policy, 'get_lead', { id: 1 }, scope)).limits[0]!.key, 'g\u0000g:g1');
  });

  test('keys follow the caller: another grant or session gets its own key, and the first one comes back unchanged', () => {
    const keys = (who: { grant: string; session: string }) =>
      admitted(evaluate(policy, 'move_lead', { lead_id: 1, status_id: 1 }, who)).limits.map((l) => l.key);
    assert.deepEqual(keys(scope), ['per_lead\u0000a:j1', 'sess\u0000s:s1', 'glob\u0000*']);
    assert.deepEqual(keys({ grant: 'g2', session: 's2' }), ['per_lead\u0000a:j1', 'sess\u0000s:s2', 'glob\u0000*']);
    assert.deepEqual(keys(scope), ['per_lead\u0000a:j1', 'sess\u0000s:s1', 'glob\u0000*']);
    assert.equal(admitted(evaluate(policy, 'get_lead', { id: 1 }, { grant: 'g9', session: 's1' })).limits[0]!.key, 'g\u0000g:g9');
  });

  test('message phrases name the scope and the value', () => {
    const phrases = (tool: string, args: Record<string, unknown>) => admitted(evaluate(policy, tool, args, scope)).limits.map((l) => l.scopePhrase);
    assert.deepEqual(phrases('move_lead', { lead_id: 7, status_id: 1 }), ['for lead_id 7', 'in this session', 'for all clients together']);
    assert.deepEqual(phrases('get_lead', { id: 1 }), ['for this client']);
    assert.equal(admitted(evaluate(policy, 'update_lead', { id: 'z'.repeat(100) }, scope)).limits[0]!.scopePhrase, `for id ${'z'.repeat(40)}`);
  });

  test('a counter listed twice counts a call once: same scope always, two argument scopes when their values coincide', () => {
    const twice = compilePolicy(
      {
        version: '1',
        default: 'allow',
        all_tools: { limits: [{ counter: 'c', window: 'minute', max: 5 }] },
        tools: {
          get_lead: { limits: [{ counter: 'c', window: 'minute', max: 5 }] },
          move_lead: {
            limits: [
              { counter: 'pair', window: 'minute', max: 5, scope: 'args.lead_id' },
              { counter: 'pair', window: 'minute', max: 5, scope: 'args.status_id' },
            ],
          },
        },
      },
      toolArguments,
    );
    const keys = (tool: string, args: Record<string, unknown>) => admitted(evaluate(twice, tool, args, scope)).limits.map((l) => l.key);
    assert.deepEqual(keys('get_lead', { id: 1 }), ['c\u0000g:g1']);
    assert.deepEqual(keys('move_lead', { lead_id: 5, status_id: 6 }), ['c\u0000g:g1', 'pair\u0000a:j5', 'pair\u0000a:j6']);
    assert.deepEqual(keys('move_lead', { lead_id: 5, status_id: 5 }), ['c\u0000g:g1', 'pair\u0000a:j5']);
  });

  test('long argument values are hashed, so keys stay small', () => {
    const key = admitted(evaluate(policy, 'update_lead', { id: 'y'.repeat(5000) }, scope)).limits[0]!.key;
    assert.ok(key.length < 80, key);
  });
});

test('dry_run is carried on the decision, and every tool is listed under it', () => {
  const policy = compilePolicy({ version: '1', default: 'deny', mode: 'dry_run', hide: ['get_users'] }, toolArguments);
  const d = evaluate(policy, 'get_users', {}, scope);
  assert.equal(d.outcome, 'deny');
  assert.equal(d.mode, 'dry_run');
  assert.equal(isListed(policy, 'get_users'), true);
  assert.equal(isListed(policy, 'get_account'), true);
});
