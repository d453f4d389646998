import type { ChatMessage, ChatStreamEvent } from '@chatd/core';

/**
 * A chunk of the AI SDK's UI message stream: an object with a `type` (`start`, `text-delta`,
 * `tool-input-available`, `finish`, …). chatd's streamed parts already use these names, so a
 * part passes through unchanged.
 */
export type UiMessageChunk = Record<string, unknown> & { type: string };

/** Options of {@link toUiMessageChunks}. */
export interface UiMessageChunkOptions {
  /**
   * The `messageId` of the `start` chunk: the assistant message the UI builds. A function gets
   * the id of the user message the turn answers, and `start` waits for that message's event:
   * for a queued message, whose id is known only once its turn begins (see
   * {@link turnOfQueuedMessage}).
   */
  messageId: string | ((userMessageId: number) => string);
  /** The user-facing text of the chat's last error, asked for when the turn ends in `error`. */
  errorText: () => Promise<string>;
}

/**
 * Turns one turn of a chat stream into the AI SDK's UI message stream: `start`, then each
 * streamed part as it is, committed messages whose parts the stream did not see (a subscriber
 * that joined late, or a step that finished before it connected) as whole chunks, and
 * `finish` (or `error`) when the chat stops running, after `abort` when the turn was
 * interrupted. Only chunk types every AI SDK major since 5 knows are sent. Ends after that; the caller ends the
 * subscription. Events that are not about the reply (user messages, queue, connection state)
 * are skipped.
 *
 * The events must start after the user message the turn answers (`afterMessageId`), so the
 * history before it is not replayed as part of the reply.
 */
export async function* toUiMessageChunks(
  events: AsyncIterable<ChatStreamEvent | { type: 'connection' }>,
  { messageId, errorText }: UiMessageChunkOptions,
): AsyncGenerator<UiMessageChunk> {
  let started = typeof messageId === 'string';
  if (typeof messageId === 'string') yield { type: 'start', messageId };
  let partsSinceCommit = false;
  let step = 0;
  let stepOpen = false;
  let interrupted = false;
  for await (const event of events) {
    if (!started) {
      if (event.type !== 'message' || event.message.role !== 'user') continue;
      started = true;
      yield { type: 'start', messageId: (messageId as (id: number) => string)(event.message.id) };
    }
    if (event.type === 'message-part') {
      partsSinceCommit = true;
      if (event.part.type === 'start-step') stepOpen = true;
      if (event.part.type === 'finish-step') stepOpen = false;
      yield event.part as UiMessageChunk;
    } else if (event.type === 'message' && event.message.role !== 'user') {
      if (!partsSinceCommit) {
        step += 1;
        yield* chunksOfMessage(event.message, step);
      }
      partsSinceCommit = false;
    } else if (event.type === 'status' && event.status === 'interrupting') {
      interrupted = true;
    } else if (event.type === 'status' && event.status !== 'running') {
      if (stepOpen) yield { type: 'finish-step' };
      // An interrupted reply is marked aborted before it finishes, as the AI SDK does.
      if (interrupted) yield { type: 'abort' };
      if (event.status === 'error') {
        yield { type: 'error', errorText: await errorText() };
      } else {
        yield {
          type: 'finish',
          finishReason: event.status === 'requires-action' ? 'tool-calls' : 'stop',
        };
      }
      return;
    }
  }
}

/** The chunks that show a committed message whose live parts the stream did not see. */
function chunksOfMessage(message: ChatMessage, step: number): UiMessageChunk[] {
  const chunks: UiMessageChunk[] = [];
  const assistant = message.role === 'assistant';
  if (assistant) chunks.push({ type: 'start-step' });
  message.content.parts.forEach((part, index) => {
    const id = `m${message.id}-${step}-${index}`;
    if (part.type === 'text' || part.type === 'reasoning') {
      chunks.push({ type: `${part.type}-start`, id });
      chunks.push({ type: `${part.type}-delta`, id, delta: part.text });
      chunks.push({ type: `${part.type}-end`, id });
    } else if (part.type === 'tool-call') {
      chunks.push({
        type: 'tool-input-available',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: part.input,
        ...(part.dynamic === true ? { dynamic: true } : {}),
      });
    } else if (part.type === 'tool-result') {
      chunks.push(
        part.isError === true
          ? {
              type: 'tool-output-error',
              toolCallId: part.toolCallId,
              errorText: outputText(part.output),
            }
          : { type: 'tool-output-available', toolCallId: part.toolCallId, output: part.output },
      );
    }
  });
  if (assistant) chunks.push({ type: 'finish-step' });
  return chunks;
}

function outputText(output: unknown): string {
  return typeof output === 'string' ? output : JSON.stringify(output);
}

/** Which queued message {@link turnOfQueuedMessage} waits for. */
export interface QueuedMessageRef {
  /** The queued message's id (`sendMessage`'s `queuedMessage.id`). */
  queuedId: number | undefined;
  /** Its text, to recognise the user message it becomes. */
  text: string;
  /** The newest committed message id before it was sent. */
  afterMessageId: number;
}

/**
 * The events of the turn that answers a queued message, for a stream subscribed after
 * `afterMessageId`: nothing until the message has left the queue and been committed (the
 * first user message after `afterMessageId` with its text, once the queue no longer holds
 * it), then every event from that message on. Feed the result to {@link toUiMessageChunks} to
 * stream a queued message's reply when its turn comes.
 */
export async function* turnOfQueuedMessage<Event extends { type: string }>(
  events: AsyncIterable<Event>,
  { queuedId, text, afterMessageId }: QueuedMessageRef,
): AsyncGenerator<Event> {
  let started = false;
  let leftQueue = false;
  // Events from a user message that may be ours, held until the queue confirms it.
  let held: Event[] | undefined;
  for await (const event of events) {
    if (started) {
      yield event;
      continue;
    }
    if (event.type === 'queue-update') {
      const { queuedMessages } = event as unknown as Extract<
        ChatStreamEvent,
        { type: 'queue-update' }
      >;
      leftQueue = !queuedMessages.some((message) => message.id === queuedId);
      if (!leftQueue) held = undefined;
    }
    if (held === undefined && isCommittedUserText(event, text, afterMessageId)) held = [];
    if (held === undefined) continue;
    held.push(event);
    if (leftQueue) {
      started = true;
      yield* held;
    }
  }
}

function isCommittedUserText(event: { type: string }, text: string, afterId: number): boolean {
  if (event.type !== 'message') return false;
  const { message } = event as unknown as Extract<ChatStreamEvent, { type: 'message' }>;
  if (message.role !== 'user' || message.id <= afterId) return false;
  const texts = message.content.parts.flatMap((part) =>
    part.type === 'text' ? [(part as { text: string }).text] : [],
  );
  return texts.join('\n') === text;
}
