import { createInterface } from 'node:readline';
import { type ChatdClient, ChatView } from '@chatd/client';
import type { PendingToolCall } from '@chatd/core';
import { type ClientTool, chatOptions } from './client-tools.js';
import { describeError } from './errors.js';
import { messageLines, roleLabel, toolCallText } from './render.js';

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
 * `chatd chat` when stdout is not a terminal: plain lines. Committed messages are printed as
 * they arrive (or every event as NDJSON with `json`); each line of stdin is sent (queued while
 * busy), or, while the chat waits for client tool calls, answers the next of them. Ends when
 * stdin ends and the chat is idle (or waits for a client tool no line is left to answer).
 */
export async function runPlainChat(client: ChatdClient, url: string, options: PlainChatOptions) {
  const { json } = options;
  let id = options.chatId;
  const view = new ChatView();
  const printed = new Set<string>();
  const announced = new Set<string>();
  const answered = new Map<string, string>();
  const stop = new AbortController();
  let stdinDone = false;
  let streaming: Promise<void> | undefined;
  const pendingCalls = (): PendingToolCall[] =>
    view.status === 'requires-action' ? view.pendingToolCalls : [];
  const idle = () => view.status === 'waiting' && view.queue.length === 0;
  // Waiting for a client tool that no line answered (answered ones are on their way).
  const waitsForTool = () => pendingCalls().some((call) => !answered.has(call.toolCallId));

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
        } else if (event.type === 'message-part' && event.part.type === 'data-warning') {
          process.stdout.write(`warning: ${event.part.data.message}\n`);
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
        if (stdinDone && (idle() || waitsForTool())) stop.abort();
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
    const calls = pendingCalls();
    const call = calls.find((each) => !answered.has(each.toolCallId));
    if (id === undefined) {
      id = (await client.chats.create({ content: text, ...chatOptions(options) })).id;
      follow(id);
    } else if (call !== undefined) {
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
      await client.messages.send(id, { content: text, busy: 'queue' });
    }
  }
  stdinDone = true;
  if (id === undefined) return;
  if ((idle() && view.messages.some((message) => message.role === 'assistant')) || waitsForTool())
    stop.abort();
  await streaming;
}
