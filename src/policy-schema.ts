/**
 * Prints the policy JSON Schema for the catalogue's tools (shipped as policy/policy.schema.json):
 *   npm run build && node dist/src/policy-schema.js > policy/policy.schema.json
 */
import { policyJsonSchema } from '../policy/format.js';
import { toolKinds } from '../tools/index.js';

process.stdout.write(JSON.stringify(policyJsonSchema(toolKinds), null, 2) + '\n');
