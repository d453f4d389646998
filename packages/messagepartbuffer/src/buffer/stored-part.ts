import { Buffer } from 'node:buffer';
import type { ChatMessageRole, ChatStreamPart } from '@chatd/core';
import { InvalidArgumentError } from '@chatd/core';

/**
 * One part as the buffer stores and delivers it: the caller's part with the role of the message
 * it belongs to and its position in the episode.
 */
export interface StoredPart {
  /** Position in the episode: 1 for the first part, then contiguous, so a gap means a loss. */
  readonly seq: number;
  /** The role of the message the part belongs to. */
  readonly role: ChatMessageRole;
  /** The part exactly as given to `addPart` (shared, not copied). */
  readonly part: ChatStreamPart;
}

/** `{"seq":` + `,"role":` + `,"part":` + `}`: the envelope's fixed characters, all ASCII. */
const ENVELOPE_OVERHEAD_BYTES = '{"seq":,"role":,"part":}'.length;

/**
 * The UTF-8 byte length of `JSON.stringify({ seq, role, part })`, which is what the byte caps
 * count (Coder's buffer counts the JSON envelope too, so limits mean the same thing).
 *
 * Computed from the pieces rather than by building and stringifying the envelope: `addPart` runs
 * once per streamed token. A part whose fields are all strings (text and reasoning deltas, starts
 * and ends: nearly every part of a turn) is measured without serialising it at all; any other
 * part is serialised once.
 *
 * @param role must be a string (the caller has checked it is a known role).
 * @throws {@link InvalidArgumentError} `INVALID_ARGUMENT` when `part` cannot be serialised (a
 * cycle, a `BigInt`, or nothing JSON can represent).
 * @internal
 */
export function envelopeByteLength(
  seq: number,
  role: ChatMessageRole,
  part: ChatStreamPart,
): number {
  return (
    ENVELOPE_OVERHEAD_BYTES +
    decimalLength(seq) +
    jsonStringByteLength(role) +
    (stringFieldsByteLength(part) ?? serialisedByteLength(part))
  );
}

/** The length of a non-negative integer written in decimal, as `String(seq)` writes it. */
function decimalLength(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) return String(value).length;
  let length = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) length += 1;
  return length;
}

function serialisedByteLength(part: ChatStreamPart): number {
  let partJson: string | undefined;
  try {
    partJson = JSON.stringify(part);
  } catch (error) {
    throw new InvalidArgumentError('part', 'must be serialisable to JSON', { cause: error });
  }
  if (typeof partJson !== 'string') {
    throw new InvalidArgumentError('part', 'must be serialisable to JSON');
  }
  return Buffer.byteLength(partJson, 'utf8');
}

/**
 * The JSON length in UTF-8 of a plain object whose own enumerable fields are all strings
 * (`{"k":"v",…}`), or `undefined` for anything else (the caller then serialises it).
 */
function stringFieldsByteLength(part: object): number | undefined {
  if (
    typeof part !== 'object' ||
    part === null ||
    Object.getPrototypeOf(part) !== Object.prototype
  ) {
    return undefined;
  }
  // `{` and `}`, plus a `:` per field and a `,` between fields.
  let length = 1;
  for (const key in part) {
    if (!Object.hasOwn(part, key)) return undefined;
    const value = (part as Record<string, unknown>)[key];
    if (typeof value !== 'string') return undefined;
    length += jsonStringByteLength(key) + 1 + jsonStringByteLength(value) + 1;
  }
  // The loop counted a `,` after every field: the last one is the closing `}`.
  return length === 1 ? 2 : length;
}

/**
 * The UTF-8 length of `JSON.stringify(text)`: the quotes, two-character escapes for `"`, `\\`,
 * `\b`, `\f`, `\n`, `\r` and `\t`, six (`\u00XX`) for other control characters and for a
 * lone surrogate (which JSON.stringify escapes), four bytes for a surrogate pair.
 */
function jsonStringByteLength(text: string): number {
  let length = 2 + text.length;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code >= 0x20 && code < 0x7f) {
      if (code === 0x22 || code === 0x5c) length += 1;
    } else if (code < 0x20) {
      length +=
        code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 1 : 5;
    } else if (code < 0x800) {
      length += code < 0x80 ? 0 : 1;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // Two UTF-16 units, four UTF-8 bytes.
        length += 2;
        index += 1;
      } else {
        length += 5;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      length += 5;
    } else {
      length += 2;
    }
  }
  return length;
}
