// A stdio MCP server for tests, run as `node stdio-server.mjs [hang]`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

process.stderr.write(`stdio test server ${process.pid} starting\n`);

if (process.argv[2] === 'hang') {
  // Reads stdin and never answers; exits when stdin closes.
  process.stdin.resume();
} else {
  const server = new McpServer({ name: 'stdio-test', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the message', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }),
  );
  server.registerTool(
    'env',
    { description: 'Returns the environment variable names and the working directory' },
    async () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ keys: Object.keys(process.env).sort(), cwd: process.cwd() }),
        },
      ],
    }),
  );
  server.registerTool('die', { description: 'Exits the process mid-call' }, async () => {
    process.stderr.write('dying now\n');
    process.exit(3);
  });
  await server.connect(new StdioServerTransport());
}
