/**
 * The floor for start-up time: a server with one tool on the same SDK, zod and stdio transport as
 * kommo-mcp, and nothing else. bench/startup.ts starts it beside kommo-mcp.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'one-tool', version: '1.0.0' });
  server.registerTool('ping', { description: 'Answers pong.', inputSchema: z.object({}) }, async () => ({
    content: [{ type: 'text', text: 'pong' }],
  }));
  return server;
});
