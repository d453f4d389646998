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
 * Computed from the pieces rather than by building and stringifying the envelope: `addPart` is
 * the hot path, and this skips one object allocation and one copy of the part's JSON.
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
  let partJson: string | undefined;
  try {
    partJson = JSON.stringify(part);
  } catch (error) {
    throw new InvalidArgumentError('part', 'must be serialisable to JSON', { cause: error });
  }
  if (typeof partJson !== 'string') {
    throw new InvalidArgumentError('part', 'must be serialisable to JSON');
  }
  return (
    ENVELOPE_OVERHEAD_BYTES +
    String(seq).length +
    Buffer.byteLength(JSON.stringify(role), 'utf8') +
    Buffer.byteLength(partJson, 'utf8')
  );
}
