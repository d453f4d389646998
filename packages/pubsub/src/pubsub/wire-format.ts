import type { JsonValue } from '@chatd/core';
import { assertJsonValue } from './json-value.js';

/**
 * What PubSub sends through a transport for one message, as JSON text:
 * `{"payload": <JsonValue>}`, plus `"mustDeliver": "<id>"` for a must-deliver publish, or
 * `"deliveredBy": "<origin>"` for a publish its own process has already delivered locally.
 *
 * The flag travels with the message because must-deliver applies to the fan-out in every
 * receiving process; the id lets the publishing process recognise its own message when the
 * transport delivers it back, and so does the origin (which then skips it). Unknown fields are
 * ignored, so fields can be added later.
 * @internal
 */
export interface WireMessage {
  payload: JsonValue;
  mustDeliver?: string;
  deliveredBy?: string;
}

/**
 * Serializes a message after checking that the payload is JSON.
 * @throws PayloadNotJsonError `PAYLOAD_NOT_JSON`
 * @internal
 */
export function encodeMessage(payload: unknown, tags: Omit<WireMessage, 'payload'> = {}): string {
  assertJsonValue(payload);
  return JSON.stringify({ payload, ...tags } satisfies WireMessage);
}

/**
 * Parses a delivered message; `undefined` when it is not one of ours (not JSON, not an object,
 * no `payload`, or a `mustDeliver` or `deliveredBy` that is not a string).
 * @internal
 */
export function decodeMessage(text: string): WireMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  if (!('payload' in parsed)) return undefined;
  const { payload, mustDeliver, deliveredBy } = parsed as Record<keyof WireMessage, unknown>;
  if (!isOptionalString(mustDeliver) || !isOptionalString(deliveredBy)) return undefined;
  const message: WireMessage = { payload: payload as JsonValue };
  if (mustDeliver !== undefined) message.mustDeliver = mustDeliver;
  if (deliveredBy !== undefined) message.deliveredBy = deliveredBy;
  return message;
}

const isOptionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === 'string';

/**
 * The size of `text` in UTF-8 bytes (what transports limit) if it is over `maxBytes`, else
 * `undefined`. Skips counting when even three bytes per UTF-16 code unit, the UTF-8 worst case,
 * would fit.
 * @internal
 */
export function oversizeBytes(text: string, maxBytes: number): number | undefined {
  if (text.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > maxBytes ? bytes : undefined;
}
