/**
 * MCP resources, with the original Kommo-MCP's URIs. Each is a view of one tool's answer: reading it
 * is a call of that tool with the arguments below, through the same policy middleware (hidden or
 * denied tool → resource not listed and not readable; limits count the read; approval asked alike)
 * and the same caches. Pure data, like the tool catalogue.
 */

export interface ResourceDefinition {
  uri: string;
  name: string;
  title: string;
  description: string;
  /** The tool whose answer this resource shows. */
  tool: string;
  /** That tool's arguments for this resource. */
  args: Readonly<Record<string, unknown>>;
}

export interface ResourceTemplateDefinition {
  /** An RFC 6570 level-1 template with exactly one `{variable}`, filled with a Kommo id. */
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  tool: string;
  /** The tool argument that receives the template variable. */
  argument: string;
}

export const RESOURCE_MIME_TYPE = 'application/json';

export const resources: readonly ResourceDefinition[] = [
  {
    uri: 'kommo://reports/sales',
    name: 'sales_report',
    title: 'Sales report, last 30 days',
    description:
      "The last 30 days' sales report (today included, days cut in the account timezone): new, won and lost leads, revenue, " +
      'average deal, conversion, per responsible user and per pipeline. Same data as get_sales_report with days=30.',
    tool: 'get_sales_report',
    args: { days: 30 },
  },
  {
    uri: 'kommo://pipelines',
    name: 'pipelines',
    title: 'Pipelines and stages',
    description: 'Every sales pipeline with its stages (ids, names, order). Same data as get_pipelines.',
    tool: 'get_pipelines',
    args: {},
  },
  {
    uri: 'kommo://loss_reasons',
    name: 'loss_reasons',
    title: 'Loss reasons',
    description: 'The reasons a lead can be marked lost for. Same data as get_loss_reasons.',
    tool: 'get_loss_reasons',
    args: {},
  },
  {
    uri: 'kommo://dashboard',
    name: 'dashboard',
    title: 'Dashboard',
    description: "Today's and this month's figures: new, won and lost leads, revenue, open leads, tasks, top pipelines. Same data as get_dashboard.",
    tool: 'get_dashboard',
    args: {},
  },
  {
    uri: 'kommo://account',
    name: 'account',
    title: 'Account',
    description: 'The Kommo account: name, subdomain, country, currency, language, timezone. Same data as get_account.',
    tool: 'get_account',
    args: {},
  },
];

export const resourceTemplates: readonly ResourceTemplateDefinition[] = [
  {
    uriTemplate: 'kommo://leads/{id}',
    name: 'lead',
    title: 'Lead by id',
    description: 'One lead (deal) by its Kommo id: stage, pipeline, value, responsible user, dates, contacts. Same data as get_lead.',
    tool: 'get_lead',
    argument: 'id',
  },
  {
    uriTemplate: 'kommo://pipelines/{id}',
    name: 'pipeline',
    title: 'Pipeline by id',
    description: 'One pipeline and its stages by the pipeline id. Same data as get_pipelines with pipeline_id.',
    tool: 'get_pipelines',
    argument: 'pipeline_id',
  },
];
