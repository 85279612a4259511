/**
 * Prompts end to end, through the official Client in both protocol eras: the original's four names
 * and arguments plus `language`; each message names the tools to use in order, and only tools it
 * declares; a prompt whose tools the policy hides is not listed and cannot be got; the ask_kommo
 * questions the prompts quote are understood by ask_kommo on the sandbox's own names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { catalogue } from '../tools/index.js';
import { PROMPT_LANGUAGES, prompts } from '../tools/prompts.js';
import { ERAS, startHarness, type Harness, type HarnessOptions } from './harness.js';

const NAMES = ['analisar_vendas_mes', 'resumo_leads_status', 'analise_pipeline', 'motivos_perda'];

let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ rps: 0, leads: 300 });
});
after(() => sandbox.close());

async function withHarness(options: HarnessOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness({ sharedSandbox: sandbox, ...options });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function promptText(h: Harness, name: string, args?: Record<string, string>): Promise<string> {
  const result = await h.client.getPrompt({ name, ...(args && { arguments: args }) });
  assert.equal(result.messages.length, 1);
  const [message] = result.messages;
  assert.equal(message!.role, 'user');
  assert.equal(message!.content.type, 'text');
  return (message!.content as { text: string }).text;
}

async function getFails(h: Harness, name: string, args?: Record<string, string>): Promise<{ code: number; message: string; data?: Record<string, unknown> }> {
  try {
    await h.client.getPrompt({ name, ...(args && { arguments: args }) });
  } catch (err) {
    return err as { code: number; message: string; data?: Record<string, unknown> };
  }
  return assert.fail(`prompts/get ${name} should have failed`);
}

/** Positions of the tool names in a text, in the order they first appear. */
function toolsInOrder(text: string): string[] {
  return catalogue
    .map((t) => ({ name: t.name, at: text.search(new RegExp(`\\b${t.name}\\b`)) }))
    .filter((t) => t.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((t) => t.name);
}

for (const era of ERAS) {
  describe(`prompts (${era} era)`, () => {
    test("prompts/list: the original's four, with their arguments (analise_pipeline's optional pipeline_id) and language", async () => {
      await withHarness({ era }, async (h) => {
        const { prompts: listed } = await h.client.listPrompts();
        assert.deepEqual(
          listed.map((p) => p.name),
          NAMES,
        );
        for (const p of listed) {
          assert.ok(p.title && p.description, p.name);
          const args = Object.fromEntries((p.arguments ?? []).map((a) => [a.name, a.required ?? false]));
          assert.deepEqual(args, p.name === 'analise_pipeline' ? { pipeline_id: false, language: false } : { language: false });
        }
      });
    });

    test('prompts/get without arguments: Portuguese instructions naming the tools in the order to call them', async () => {
      await withHarness({ era }, async (h) => {
        const expected: Record<string, string[]> = {
          analisar_vendas_mes: ['get_sales_report'],
          resumo_leads_status: ['get_pipelines', 'ask_kommo'],
          analise_pipeline: ['get_pipelines', 'get_sales_report', 'ask_kommo'],
          motivos_perda: ['get_loss_reasons', 'get_sales_report', 'get_pipelines', 'get_leads'],
        };
        for (const name of NAMES) {
          const text = await promptText(h, name);
          assert.deepEqual(toolsInOrder(text), expected[name], name);
          assert.match(text, /Responda em português/, name);
          assert.match(text, /^1\. /m);
        }
        assert.match(await promptText(h, 'analise_pipeline'), /funil principal \(is_main\)/);
        assert.deepEqual(h.requests(), [], 'a prompt costs no Kommo request');
      });
    });

    test('prompts/get with arguments: language es / en / pt-BR, pipeline_id written into the calls', async () => {
      await withHarness({ era }, async (h) => {
        assert.match(await promptText(h, 'analisar_vendas_mes', { language: 'es' }), /Responde en español/);
        assert.match(await promptText(h, 'motivos_perda', { language: 'en' }), /Answer in English/);
        assert.match(await promptText(h, 'resumo_leads_status', { language: 'pt-BR' }), /Responda em português/);
        const pipeline = sandbox.store.pipelines.at(-1)!;
        const text = await promptText(h, 'analise_pipeline', { pipeline_id: String(pipeline.id), language: 'EN' });
        assert.match(text, new RegExp(`get_pipelines \\(pipeline_id=${pipeline.id}\\)`));
        assert.match(text, new RegExp(`pipeline ${pipeline.id}`));
        assert.doesNotMatch(text, /is_main/);
        assert.match(await promptText(h, 'analise_pipeline', { pipeline_id: '', language: '' }), /funil principal/, 'blank form fields are absent');
      });
    });

    test('bad arguments and unknown prompts are refused with the field named', async () => {
      await withHarness({ era }, async (h) => {
        for (const [args, field] of [
          [{ language: 'fr' }, 'language'],
          [{ language: 'portuguese please' }, 'language'],
          [{ pipeline_id: 'main' }, 'pipeline_id'],
          [{ pipeline_id: '0' }, 'pipeline_id'],
          [{ pipeline_id: '-3' }, 'pipeline_id'],
          [{ pipline_id: '1' }, 'pipline_id'],
        ] as const) {
          const failure = await getFails(h, 'analise_pipeline', args as Record<string, string>);
          assert.equal(failure.code, -32602, JSON.stringify(failure));
          assert.match(failure.message, new RegExp(field));
          assert.deepEqual(failure.data?.fields, [field]);
        }
        assert.match((await getFails(h, 'analisar_vendas_mes', { pipeline_id: '1' })).message, /takes only language/);
        assert.match((await getFails(h, 'analisar_vendas_del_mes')).message, /no prompt/);
      });
    });
  });
}

describe('prompts behind the policy', () => {
  test('a prompt whose tools are hidden or denied is not listed, and getting it names the closed tools', async () => {
    const policy = { version: '1', default: 'allow', hide: ['ask_kommo'], tools: { get_loss_reasons: { action: 'deny' } } };
    for (const era of ERAS) {
      await withHarness({ era, policy }, async (h) => {
        assert.deepEqual(
          (await h.client.listPrompts()).prompts.map((p) => p.name),
          ['analisar_vendas_mes'],
        );
        assert.match((await getFails(h, 'analise_pipeline')).message, /relies on ask_kommo, which the policy hides or denies/);
        assert.match((await getFails(h, 'motivos_perda')).message, /get_loss_reasons/);
      });
    }
  });

  test('a read-only policy keeps all four (they only read)', async () => {
    await withHarness({ policy: { version: '1', default: 'allow', hide: ['create_lead', 'update_lead', 'move_lead', 'run_salesbot'] } }, async (h) => {
      assert.deepEqual(
        (await h.client.listPrompts()).prompts.map((p) => p.name),
        NAMES,
      );
    });
  });
});

describe('prompt data', () => {
  test('every tool a message mentions, in any language and with any argument, is declared, and every declared tool is mentioned', () => {
    for (const prompt of prompts) {
      for (const language of PROMPT_LANGUAGES) {
        for (const pipeline_id of [undefined, 8123402]) {
          const text = prompt.message({ language, ...(pipeline_id && { pipeline_id }) });
          assert.deepEqual(toolsInOrder(text).sort(), [...prompt.tools].sort(), `${prompt.name} (${language})`);
        }
      }
    }
  });

  test('ask_kommo understands every question the prompts quote, with the sandbox names filled in, in each language', async () => {
    await withHarness({}, async (h) => {
      const pipeline = sandbox.store.pipelines[0]!;
      const stage = pipeline._embedded.statuses.find((s) => s.id !== 142 && s.id !== 143 && s.type !== 1)!;
      for (const prompt of prompts) {
        for (const language of PROMPT_LANGUAGES) {
          for (const template of prompt.questions[language]) {
            const question = template.replace('<stage>', stage.name).replace('<pipeline>', pipeline.name);
            const { isError, body } = await h.callJson('ask_kommo', { question });
            assert.equal(isError, false, question);
            assert.equal(body.understood, true, `${question} → ${JSON.stringify(body).slice(0, 300)}`);
          }
        }
      }
    });
  });
});
