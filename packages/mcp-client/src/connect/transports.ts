import { redactUrl } from '@chatd/core';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ResolvedServerConfig } from '../config/index.js';

/** A stderr line longer than this is passed on in pieces, so a child cannot fill our memory. */
const MAX_STDERR_LINE = 8192;

/** Options of {@link createTransport}. */
export interface CreateTransportOptions {
  /** Makes every HTTP request; the global `fetch` when absent. */
  fetch?: FetchLike | undefined;
  /** Receives the stdio child's stderr line by line (blank lines skipped). */
  onStderrLine: (line: string) => void;
}

/**
 * A new, unstarted MCP SDK transport for `config`. A stdio child gets the configured command,
 * arguments, working directory and only the configured environment (the SDK adds a few safe
 * variables such as `PATH` and `HOME`, never the whole parent environment).
 */
export function createTransport(
  config: ResolvedServerConfig,
  { fetch, onStderrLine }: CreateTransportOptions,
): Transport {
  if (config.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: config.command ?? '',
      args: [...config.args],
      env: { ...config.env },
      ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      stderr: 'pipe',
    });
    pipeStderr(transport, onStderrLine);
    return transport;
  }
  const url = new URL(config.url ?? '');
  const options = fetch === undefined ? {} : { fetch };
  if (config.transport === 'sse') return new SSEClientTransport(url, options);
  return new StreamableHTTPClientTransport(url, options);
}

/** The server as messages name it: its slug and, for HTTP, its URL with secrets redacted. */
export function describeServer(config: ResolvedServerConfig): string {
  if (config.transport === 'stdio') return `MCP server ${config.slug} (stdio)`;
  return `MCP server ${config.slug} at ${redactUrl(config.url ?? '')}`;
}

/** The process id of a started stdio transport's child; undefined for HTTP transports. */
export function childPid(transport: Transport): number | undefined {
  return transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
}

function pipeStderr(transport: StdioClientTransport, onLine: (line: string) => void): void {
  const stderr = transport.stderr;
  if (!stderr) return;
  let pending = '';
  stderr.on('data', (chunk: string | Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
    if (pending.length > MAX_STDERR_LINE) {
      onLine(pending);
      pending = '';
    }
  });
}
