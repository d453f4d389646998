import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** A 1×1 transparent PNG, base64. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

/** What the sample tools observed, for assertions. */
export interface SampleToolEvents {
  /** Resolves each time `wait` is cancelled by the client (notifications/cancelled). */
  cancelled: Promise<void>;
  /** Number of `wait` calls that started. */
  waitStarted: number;
  /** Calls to `count`, across sessions. */
  countCalls: number;
}

/**
 * Registers the sample tools used across the tests: `echo`, `greet`, `fail` (isError), `image`,
 * `resource_text`, `resource_blob`, `resource_link`, `structured`, `big`, `wait` (runs until
 * cancelled) and `count`.
 */
export function registerSampleTools(
  server: McpServer,
  events?: SampleToolEvents & { onCancel?: () => void },
): void {
  server.registerTool(
    'echo',
    {
      description: 'Echoes the message',
      inputSchema: { message: z.string() },
      annotations: { readOnlyHint: true, title: 'Echo' },
    },
    async ({ message }) => ({ content: [{ type: 'text', text: `echo: ${message}` }] }),
  );
  server.registerTool(
    'greet',
    { description: 'Greets someone', inputSchema: { name: z.string().optional() } },
    async ({ name }) => ({ content: [{ type: 'text', text: `hello, ${name ?? 'world'}` }] }),
  );
  server.registerTool('fail', { description: 'Always fails' }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'something broke' }],
  }));
  server.registerTool('image', { description: 'Returns an image' }, async () => ({
    content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('resource_text', { description: 'Embedded text resource' }, async () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'the notes' },
      },
    ],
  }));
  server.registerTool('resource_blob', { description: 'Embedded binary resource' }, async () => ({
    content: [
      {
        type: 'resource',
        resource: { uri: 'file:///pixel.png', mimeType: 'image/png', blob: PNG_BASE64 },
      },
    ],
  }));
  server.registerTool('resource_link', { description: 'A resource link' }, async () => ({
    content: [
      {
        type: 'resource_link',
        uri: 'file:///report.pdf',
        name: 'report',
        description: 'the Q3 report',
      },
    ],
  }));
  server.registerTool(
    'structured',
    { description: 'Structured content', outputSchema: { total: z.number() } },
    async () => ({ content: [], structuredContent: { total: 42 } }),
  );
  server.registerTool('big', { description: 'A large result' }, async () => ({
    content: [{ type: 'text', text: 'x'.repeat(10_000) }],
  }));
  server.registerTool('wait', { description: 'Runs until cancelled' }, async (extra) => {
    if (events) events.waitStarted++;
    await new Promise<void>((resolve) => {
      if (extra.signal.aborted) resolve();
      extra.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    events?.onCancel?.();
    return { content: [{ type: 'text', text: 'cancelled' }] };
  });
  server.registerTool('count', { description: 'Counts calls' }, async () => {
    if (events) events.countCalls++;
    return { content: [{ type: 'text', text: `call ${events?.countCalls ?? 0}` }] };
  });
}

/** Events holder whose `cancelled` promise resolves on the next cancellation. */
export function sampleToolEvents(): SampleToolEvents & {
  onCancel: () => void;
  nextCancel(): Promise<void>;
} {
  let resolveCancel: () => void = () => {};
  const events = {
    cancelled: Promise.resolve(),
    waitStarted: 0,
    countCalls: 0,
    onCancel: () => resolveCancel(),
    nextCancel: () => {
      events.cancelled = new Promise<void>((resolve) => {
        resolveCancel = resolve;
      });
      return events.cancelled;
    },
  };
  return events;
}
