import type { ChatStatus } from '@chatd/core';
import type { ChatStreamEventWithCursor } from '../stream/subscriber-events.js';
import { type ScriptedCall, textAnswer } from './mock-model.js';

/** A promise and the function that resolves it. Test-only. */
export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** An answer of one delta per word: the first `held` at once, the rest once `release` resolves. */
export function heldAnswer(words: string[], held: number, release: Promise<void>): ScriptedCall {
  const parts = textAnswer(words.join(''), words.length);
  // stream-start, text-start, the deltas, text-end, finish
  return { parts: parts.slice(0, 2 + held), holdUntil: release, after: parts.slice(2 + held) };
}

/** Reads `stream` into `into` until `until` says stop (or the stream ends). Test-only. */
export async function read(
  stream: AsyncIterable<ChatStreamEventWithCursor>,
  into: ChatStreamEventWithCursor[],
  until: (event: ChatStreamEventWithCursor) => boolean,
): Promise<void> {
  for await (const event of stream) {
    into.push(event);
    if (until(event)) return;
  }
}

/** Matches the `status` event of `status`. Test-only. */
export const isStatus = (status: ChatStatus) => (event: ChatStreamEventWithCursor) =>
  event.type === 'status' && event.status === status;
