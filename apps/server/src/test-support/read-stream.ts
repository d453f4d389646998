import { createParser } from 'eventsource-parser';

/** Parsed JSON from the server, read loosely by the assertions. Test-only. */
export type Json = ReturnType<typeof JSON.parse>;

/** One SSE event of a chat stream: its id (the cursor) and its data, parsed. */
export interface StreamedEvent {
  id: string | undefined;
  data: Json;
}

/**
 * Reads a chat's `/v1` SSE stream until `until` says stop (or it ends), then disconnects.
 * Fails on a non-200 answer or another content type. Test-only.
 */
export async function readStream(
  url: string,
  token: string,
  chatId: string,
  until: (event: Json) => boolean,
  headers: Record<string, string> = {},
): Promise<StreamedEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/chats/${chatId}/stream`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: controller.signal,
  });
  if (
    response.status !== 200 ||
    !response.headers.get('content-type')?.includes('text/event-stream')
  ) {
    throw new Error(`expected an event stream, got ${response.status} ${await response.text()}`);
  }
  const events: StreamedEvent[] = [];
  let done = false;
  const parser = createParser({
    onEvent(message) {
      if (done) return;
      const event = { id: message.id, data: JSON.parse(message.data) };
      events.push(event);
      if (until(event.data)) done = true;
    },
  });
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  while (!done) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  controller.abort();
  await reader.cancel().catch(() => {});
  return events;
}
