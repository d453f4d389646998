import { createInterface } from 'node:readline';
import { type ChatdClient, ChatView } from '@chatd/client';
import { describeError } from './errors.js';
import { messageLines, roleLabel } from './render.js';

/**
 * `chatd chat` when stdout is not a terminal: plain lines. Committed messages are printed as
 * they arrive (or every event as NDJSON with `json`); each line of stdin is sent (queued while
 * busy). Ends when stdin ends and the chat is idle.
 */
export async function runPlainChat(
  client: ChatdClient,
  url: string,
  chatId: string | undefined,
  json: boolean,
) {
  let id = chatId;
  const view = new ChatView();
  const printed = new Set<string>();
  const stop = new AbortController();
  let stdinDone = false;
  let streaming: Promise<void> | undefined;
  const follow = (followed: string) => {
    streaming = (async () => {
      for await (const event of client.stream(followed, { signal: stop.signal })) {
        view.apply(event);
        if (json) {
          process.stdout.write(`${JSON.stringify(event)}\n`);
        } else if (event.type === 'message') {
          const key = `${event.message.id}:${event.message.revision ?? 0}`;
          if (!printed.has(key)) {
            printed.add(key);
            for (const line of messageLines(event.message))
              process.stdout.write(`${roleLabel(event.message.role)}: ${line}\n`);
          }
        } else if (event.type === 'connection' && event.state === 'reconnecting') {
          process.stdout.write('reconnecting…\n');
        }
        if (stdinDone && view.status === 'waiting' && view.queue.length === 0) stop.abort();
      }
    })().catch((error: unknown) => {
      process.stderr.write(`chatd: ${describeError(error, url)}\n`);
      process.exitCode = 1;
    });
  };
  if (id !== undefined) follow(id);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const text = line.trim();
    if (text === '') continue;
    if (id === undefined) {
      id = (await client.chats.create({ content: text })).id;
      follow(id);
    } else {
      await client.messages.send(id, { content: text, busy: 'queue' });
    }
  }
  stdinDone = true;
  if (id === undefined) return;
  if (
    view.status === 'waiting' &&
    view.queue.length === 0 &&
    view.messages.some((m) => m.role === 'assistant')
  )
    stop.abort();
  await streaming;
}
