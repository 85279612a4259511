/**
 * prompts/list and prompts/get over the prompt data of tools/prompts.ts. A prompt is offered only
 * while every tool it relies on is listed by the policy; its arguments (strings, as MCP sends them)
 * are checked here and refused with the field named. No SDK types: the server turns the outcomes
 * into protocol answers.
 */
import type { AnyTool } from '../tools/define.js';
import { PROMPT_LANGUAGES, prompts, type PromptDefinition, type PromptInput, type PromptLanguage } from '../tools/prompts.js';
import type { PolicyMiddleware } from '../policy/middleware.js';

export interface PromptEntry {
  name: string;
  title: string;
  description: string;
  arguments: { name: string; description: string; required: boolean }[];
}

export type PromptGetOutcome =
  | { kind: 'messages'; description: string; messages: [{ role: 'user'; content: { type: 'text'; text: string } }] }
  /** No such prompt, or one whose tools the policy does not let the agent use. */
  | { kind: 'unknown'; message: string }
  | { kind: 'invalid_arguments'; message: string; fields: string[] };

export class PromptCatalogue {
  private readonly definitions: readonly PromptDefinition[];
  private readonly tools: readonly AnyTool[];

  constructor(tools: readonly AnyTool[], definitions: readonly PromptDefinition[] = prompts) {
    this.tools = tools;
    const served = new Set(tools.map((t) => t.name));
    this.definitions = definitions.filter((p) => p.tools.every((name) => served.has(name)));
  }

  list(middleware: PolicyMiddleware): PromptEntry[] {
    const visible = this.visibleToolNames(middleware);
    return this.definitions
      .filter((p) => p.tools.every((name) => visible.has(name)))
      .map(({ name, title, description, arguments: args }) => ({ name, title, description, arguments: args.map((a) => ({ ...a })) }));
  }

  get(name: string, rawArgs: Record<string, unknown> | undefined, middleware: PolicyMiddleware): PromptGetOutcome {
    const prompt = this.definitions.find((p) => p.name === name);
    if (!prompt) {
      return { kind: 'unknown', message: `There is no prompt ${JSON.stringify(name.slice(0, 100))}; prompts/list shows the available prompts.` };
    }
    const visible = this.visibleToolNames(middleware);
    const closed = prompt.tools.filter((tool) => !visible.has(tool));
    if (closed.length > 0) {
      return {
        kind: 'unknown',
        message: `The prompt ${name} is not available: it relies on ${closed.join(', ')}, which the policy hides or denies.`,
      };
    }
    const parsed = parsePromptArguments(prompt, rawArgs ?? {});
    if ('message' in parsed) return { kind: 'invalid_arguments', ...parsed };
    return {
      kind: 'messages',
      description: prompt.title,
      messages: [{ role: 'user', content: { type: 'text', text: prompt.message(parsed) } }],
    };
  }

  private visibleToolNames(middleware: PolicyMiddleware): Set<string> {
    return new Set(middleware.visibleTools(this.tools).map((t) => t.name));
  }
}

/** Strings in, typed input out; an empty string is an argument left blank (as form-based clients send it). */
function parsePromptArguments(prompt: PromptDefinition, raw: Record<string, unknown>): PromptInput | { message: string; fields: string[] } {
  const accepted = new Set(prompt.arguments.map((a) => a.name));
  const unknown = Object.keys(raw).filter((key) => !accepted.has(key));
  if (unknown.length > 0) {
    const names = prompt.arguments.map((a) => a.name).join(', ');
    return {
      message: `${prompt.name} takes only ${names}; ${unknown.map((k) => JSON.stringify(k.slice(0, 50))).join(', ')} is not one of them.`,
      fields: unknown,
    };
  }
  const value = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    const text = String(v).trim();
    return text === '' ? undefined : text;
  };
  const input: PromptInput = { language: 'pt' };
  const language = value('language');
  if (language !== undefined) {
    const code = /^(pt|es|en)(?:[-_][a-z]{2,4})?$/i.exec(language)?.[1]?.toLowerCase() as PromptLanguage | undefined;
    if (!code) {
      return { message: `language must be one of ${PROMPT_LANGUAGES.join(', ')} (e.g. "pt" or "pt-BR").`, fields: ['language'] };
    }
    input.language = code;
  }
  const pipeline = value('pipeline_id');
  if (pipeline !== undefined) {
    const id = /^[0-9]{1,15}$/.test(pipeline) ? Number(pipeline) : 0;
    if (id <= 0) return { message: 'pipeline_id must be a pipeline id, a positive whole number from get_pipelines.', fields: ['pipeline_id'] };
    input.pipeline_id = id;
  }
  return input;
}
