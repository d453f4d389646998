import { readChatStreamEvent } from '@chatd/core';
import { createParser } from 'eventsource-parser';
import { ChatdClientError, errorFromResponse } from './errors.js';
import type { ClientStreamEvent } from './types.js';

/** Where a stream starts and how it ends. */
export interface StreamOptions {
  /** For a new stream: committed messages up to this id are not sent again. */
  afterMessageId?: number;
  /** Resume after the event that carried this cursor. */
  cursor?: string;
  /** Ends the stream (the iteration finishes normally). */
  signal?: AbortSignal;
}

/** The first reconnect waits about this long, doubling up to {@link MAX_DELAY_MS}. */
const INITIAL_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** Statuses after which reconnecting cannot help. */
const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/** The backoff before reconnect `attempt` (1, 2, …): exponential with ±50 % jitter. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + random()));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads a chat stream over SSE, reconnecting with `Last-Event-ID` after any failure that a
 * retry can fix (network errors, 5xx, 429, a stream that ended). Events the client does not
 * know (a newer server) are skipped.
 */
export async function* streamChat(
  target: { url: string; token: string; fetch: typeof fetch },
  { afterMessageId, cursor: initialCursor, signal }: StreamOptions,
): AsyncGenerator<ClientStreamEvent> {
  let cursor = initialCursor;
  let attempt = 0;
  yield { type: 'connection', state: 'connecting' };
  while (!signal?.aborted) {
    const url = new URL(target.url);
    if (cursor === undefined && afterMessageId !== undefined) {
      url.searchParams.set('afterMessageId', String(afterMessageId));
    }
    let reason: string;
    try {
      const response = await target.fetch(url, {
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: 'text/event-stream',
          ...(cursor === undefined ? {} : { 'last-event-id': cursor }),
        },
        ...(signal === undefined ? {} : { signal }),
      });
      if (!response.ok) {
        const error = await errorFromResponse(response);
        if (FINAL_STATUSES.has(response.status)) throw error;
        reason = error.message;
      } else {
        attempt = 0;
        yield { type: 'connection', state: 'open' };
        const events: ClientStreamEvent[] = [];
        const parser = createParser({
          onEvent(message) {
            let event: ReturnType<typeof readChatStreamEvent>;
            try {
              event = readChatStreamEvent(JSON.parse(message.data));
            } catch {
              return; // not an event this client can read: skipped
            }
            if (event.type === 'unrecognized') return;
            events.push({ ...event, cursor: message.id });
          },
        });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.feed(decoder.decode(value, { stream: true }));
            for (const event of events.splice(0)) {
              if (event.type !== 'connection' && event.cursor !== undefined) cursor = event.cursor;
              yield event;
            }
          }
        } finally {
          await reader.cancel().catch(() => {});
        }
        reason = 'the stream ended';
      }
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof ChatdClientError && FINAL_STATUSES.has(error.status)) throw error;
      reason = error instanceof Error ? error.message : String(error);
    }
    if (signal?.aborted) return;
    attempt += 1;
    const delayMs = reconnectDelayMs(attempt);
    yield { type: 'connection', state: 'reconnecting', attempt, delayMs, reason };
    await sleep(delayMs, signal);
  }
}
