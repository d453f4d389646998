import { createInterface } from 'node:readline';
import { type ChatdClient, ChatView } from '@chatd/client';
import type { PendingToolCall } from '@chatd/core';
import { type ClientTool, chatOptions } from './client-tools.js';
import { describeError } from './errors.js';
import { errorText, messageLines, retryText, roleLabel, toolCallText } from './render.js';
import { jsonLine, safeLine } from './terminal-text.js';

/** What `chatd chat` without a terminal works on. */
export interface PlainChatOptions {
  /** The chat to follow; a new one starts with the first line of stdin when none. */
  chatId?: string | undefined;
  /** Print every event as NDJSON instead of lines. */
  json: boolean;
  /** For a new chat: its model configuration. */
  model?: string | undefined;
  /** For a new chat: the client tools it declares. */
  clientTools?: readonly ClientTool[];
}

/**
 * `chatd chat` without a terminal: plain lines. Committed messages are printed as they arrive
 * (or every event as NDJSON with `json`), and so are retries and a failed turn's reason. Each
 * line of stdin is sent once the turn before it is over (so a line already waiting in stdin
 * still answers the client tool the turn before it calls), or, while the chat waits for client
 * tool calls, answers the next of them. Ends when stdin ends and the chat is idle, failed, or
 * waits for a client tool no line is left to answer; exit code 1 if a turn failed. A new chat's
 * id is printed on stderr (`chat <id>`).
 */
export async function runPlainChat(client: ChatdClient, url: string, options: PlainChatOptions) {
  const { json } = options;
  let id = options.chatId;
  const view = new ChatView();
  const printed = new Set<string>();
  const announced = new Set<string>();
  const answered = new Map<string, string>();
  const stop = new AbortController();
  let streaming: Promise<void> | undefined;
  /** The stream failed for good (said on stderr): nothing more can happen. */
  let broken = false;
  /** The last event ended a batch: the view is consistent (a status follows its messages). */
  let consistent = false;
  /** The status is `error` and its reason arrived. */
  let failed = false;
  /** The last message sent: committed (its id) or queued (the queue entry's id). */
  let sent: { messageId: number } | { queuedId: number } | undefined;
  /** Called after each event (and when the stream ends). */
  const listeners = new Set<() => void>();
  const pendingCalls = (): PendingToolCall[] =>
    view.status === 'requires-action' ? view.pendingToolCalls : [];
  // Waiting for a client tool that no line answered (answered ones are on their way).
  const waitsForTool = () => pendingCalls().some((call) => !answered.has(call.toolCallId));
  /** Whether the turn of the last line is over: the next line may be sent (or stdin end). */
  const settled = () => {
    if (broken) return true;
    if (!consistent || view.status === undefined) return false;
    if (sent !== undefined) {
      if ('messageId' in sent) {
        const { messageId } = sent;
        if (!view.messages.some((message) => message.id >= messageId)) return false;
      } else {
        const { queuedId } = sent;
        if (view.queue.some((queued) => queued.id === queuedId)) return false;
      }
    }
    if (view.status === 'waiting') return true;
    if (view.status === 'error') return failed;
    return waitsForTool();
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) {
      await new Promise<void>((resolve) => {
        const listener = () => {
          listeners.delete(listener);
          resolve();
        };
        listeners.add(listener);
      });
    }
  };
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };

  const follow = (followed: string) => {
    streaming = (async () => {
      for await (const event of client.stream(followed, { signal: stop.signal })) {
        view.apply(event);
        if (event.type === 'status') failed = false;
        if (event.type === 'error' && view.status === 'error') {
          failed = true;
          process.exitCode = 1;
        }
        consistent =
          event.type !== 'message' &&
          event.type !== 'history-reset' &&
          !(event.type === 'status' && event.status === 'error');
        if (json) {
          process.stdout.write(`${jsonLine(event)}\n`);
        } else if (event.type === 'message') {
          const key = `${event.message.id}:${event.message.revision ?? 0}`;
          if (!printed.has(key)) {
            printed.add(key);
            for (const line of messageLines(event.message))
              process.stdout.write(`${roleLabel(event.message.role)}: ${line}\n`);
          }
        } else if (event.type === 'connection' && event.state === 'reconnecting') {
          process.stdout.write('reconnecting…\n');
        } else if (event.type === 'message-part' && event.part.type === 'data-warning') {
          process.stdout.write(`warning: ${safeLine(event.part.data.message)}\n`);
        } else if (event.type === 'retry') {
          process.stdout.write(`${retryText(event)}\n`);
        } else if (event.type === 'error') {
          process.stdout.write(`error: ${errorText(event.error)}\n`);
        }
        if (!json) {
          for (const call of pendingCalls()) {
            if (announced.has(call.toolCallId)) continue;
            announced.add(call.toolCallId);
            process.stdout.write(
              `client tool ${toolCallText(call.toolName, call.input, 500)} waits: the next line answers it\n`,
            );
          }
        }
        changed();
      }
    })()
      .catch((error: unknown) => {
        process.stderr.write(`chatd: ${describeError(error, url)}\n`);
        process.exitCode = 1;
      })
      .finally(() => {
        broken = true;
        changed();
      });
  };

  if (id !== undefined) follow(id);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const text = line.trim();
    if (text === '') continue;
    if (id === undefined) {
      id = (await client.chats.create({ content: text, ...chatOptions(options) })).id;
      // On stderr, so that stdout stays the chat: a script finds the chat again by its id.
      process.stderr.write(`${safeLine(`chat ${id}`)}\n`);
      follow(id);
      continue;
    }
    // The turn before first: a client tool it calls is answered by this line.
    await until(settled);
    if (broken) break;
    const calls = pendingCalls();
    const call = calls.find((each) => !answered.has(each.toolCallId));
    if (call !== undefined) {
      answered.set(call.toolCallId, text);
      if (calls.every((each) => answered.has(each.toolCallId))) {
        await client.actions.submitToolResults(
          id,
          calls.map((each) => ({
            toolCallId: each.toolCallId,
            output: answered.get(each.toolCallId),
          })),
        );
      }
    } else {
      const result = await client.messages.send(id, { content: text, busy: 'queue' });
      if (result.message !== undefined) sent = { messageId: result.message.id };
      else if (result.queuedMessage !== undefined) sent = { queuedId: result.queuedMessage.id };
    }
  }
  if (id === undefined) return;
  await until(settled);
  stop.abort();
  await streaming;
}
