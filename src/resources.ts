/**
 * resources/list, resources/templates/list and resources/read over the resource data of
 * tools/resources.ts. A read is a call of the resource's tool through the policy middleware, so a
 * resource follows its tool: listed only when the tool is, refused with the tool's own error when the
 * tool would be, counted against the tool's limits, answered from the tool's caches.
 * No SDK types here: the server turns these outcomes into protocol answers for either era.
 */
import type { AnyTool } from '../tools/define.js';
import { RESOURCE_MIME_TYPE, resources, resourceTemplates, type ResourceDefinition, type ResourceTemplateDefinition } from '../tools/resources.js';
import type { CallEnv, PolicyMiddleware } from '../policy/middleware.js';

export interface ResourceEntry {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
}

export interface ResourceTemplateEntry {
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
}

export type ResourceReadOutcome =
  | { kind: 'contents'; contents: [{ uri: string; mimeType: string; text: string }] }
  /** No resource has this URI (or it does not fit a template). */
  | { kind: 'unknown'; message: string }
  /** The tool refused or failed: `body` is its JSON error object, `message` names the tool. */
  | { kind: 'error'; tool: string; body: Record<string, unknown>; message: string };

interface Resolved {
  tool: string;
  args: Record<string, unknown>;
}

export class ResourceCatalogue {
  private readonly byName: Map<string, AnyTool>;
  private readonly statics: readonly ResourceDefinition[];
  private readonly templates: readonly { definition: ResourceTemplateDefinition; pattern: RegExp }[];

  constructor(
    tools: readonly AnyTool[],
    statics: readonly ResourceDefinition[] = resources,
    templates: readonly ResourceTemplateDefinition[] = resourceTemplates,
  ) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
    // A resource whose tool is not served (a reduced tool set) is not offered at all.
    this.statics = statics.filter((r) => this.byName.has(r.tool));
    this.templates = templates.filter((t) => this.byName.has(t.tool)).map((definition) => ({ definition, pattern: templatePattern(definition.uriTemplate) }));
  }

  list(middleware: PolicyMiddleware): ResourceEntry[] {
    const visible = this.visibleToolNames(middleware);
    return this.statics
      .filter((r) => visible.has(r.tool))
      .map(({ uri, name, title, description }) => ({ uri, name, title, description, mimeType: RESOURCE_MIME_TYPE }));
  }

  listTemplates(middleware: PolicyMiddleware): ResourceTemplateEntry[] {
    const visible = this.visibleToolNames(middleware);
    return this.templates
      .filter(({ definition }) => visible.has(definition.tool))
      .map(({ definition: { uriTemplate, name, title, description } }) => ({ uriTemplate, name, title, description, mimeType: RESOURCE_MIME_TYPE }));
  }

  async read(uri: string, middleware: PolicyMiddleware, env: CallEnv): Promise<ResourceReadOutcome> {
    const resolved = this.resolve(uri);
    if (!resolved) {
      return {
        kind: 'unknown',
        message: `There is no resource ${JSON.stringify(uri.slice(0, 200))}; resources/list and resources/templates/list show what can be read.`,
      };
    }
    const tool = this.byName.get(resolved.tool)!;
    const result = await middleware.call(tool, resolved.args, env);
    const first = result.content[0];
    const text = first?.type === 'text' ? first.text : '{}';
    if (result.isError) {
      const body = JSON.parse(text) as Record<string, unknown>;
      return { kind: 'error', tool: tool.name, body, message: `${uri} is read through ${tool.name}, which answered: ${String(body.message)}` };
    }
    return { kind: 'contents', contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text }] };
  }

  private resolve(uri: string): Resolved | undefined {
    const fixed = this.statics.find((r) => r.uri === uri);
    if (fixed) return { tool: fixed.tool, args: { ...fixed.args } };
    for (const { definition, pattern } of this.templates) {
      const match = pattern.exec(uri);
      if (match) return { tool: definition.tool, args: { [definition.argument]: idValue(match[1]!) } };
    }
    return undefined;
  }

  private visibleToolNames(middleware: PolicyMiddleware): Set<string> {
    return new Set(middleware.visibleTools([...this.byName.values()]).map((t) => t.name));
  }
}

/** `kommo://leads/{id}` → /^kommo:\/\/leads\/([^/?#]+)$/: one path segment, nothing after it. */
function templatePattern(uriTemplate: string): RegExp {
  const parts = uriTemplate.split(/\{[a-z_]+\}/);
  if (parts.length !== 2) throw new Error(`resource template ${uriTemplate} must have exactly one variable`);
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${escapeRegExp(parts[0]!)}([^/?#]+)${escapeRegExp(parts[1]!)}$`);
}

/**
 * Digits become the number the tool's schema expects; anything else goes to the tool as the string
 * it is, so the tool's own validation refuses it with `invalid_arguments` before any request.
 */
function idValue(segment: string): number | string {
  return /^[0-9]{1,15}$/.test(segment) ? Number(segment) : segment;
}
