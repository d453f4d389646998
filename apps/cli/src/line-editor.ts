/**
 * The prompt's line editing: text with a cursor that moves and deletes by whole characters as
 * a person sees them (graphemes: an emoji with its modifiers, a letter with its accents), and
 * the messages sent before, recalled with Up and Down.
 */

/** The prompt's text, and the cursor: a UTF-16 index into it, always between two graphemes. */
export interface Line {
  readonly text: string;
  readonly cursor: number;
}

export const EMPTY_LINE: Line = { text: '', cursor: 0 };

/** A line holding `text` with the cursor at its end. */
export const lineOf = (text: string): Line => ({ text, cursor: text.length });

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Where the grapheme before `index` starts (0 at the start). */
function previousBoundary(text: string, index: number): number {
  let boundary = 0;
  for (const { index: start } of graphemes.segment(text)) {
    if (start >= index) break;
    boundary = start;
  }
  return boundary;
}

/** Where the grapheme at `index` ends (the text's length at the end). */
function nextBoundary(text: string, index: number): number {
  const segment = graphemes.segment(text).containing(index);
  return segment === undefined ? text.length : segment.index + segment.segment.length;
}

/** Types `typed` at the cursor. */
export function insert({ text, cursor }: Line, typed: string): Line {
  return {
    text: text.slice(0, cursor) + typed + text.slice(cursor),
    cursor: cursor + typed.length,
  };
}

/** Backspace: removes the character before the cursor. */
export function deleteBefore({ text, cursor }: Line): Line {
  const start = previousBoundary(text, cursor);
  return { text: text.slice(0, start) + text.slice(cursor), cursor: start };
}

/** Moves the cursor one character, or to either end of the line. */
export function move(line: Line, to: 'left' | 'right' | 'home' | 'end'): Line {
  const { text, cursor } = line;
  switch (to) {
    case 'left':
      return { text, cursor: previousBoundary(text, cursor) };
    case 'right':
      return { text, cursor: cursor >= text.length ? cursor : nextBoundary(text, cursor) };
    case 'home':
      return { text, cursor: 0 };
    case 'end':
      return { text, cursor: text.length };
  }
}

/** The line split for display: before the cursor, the character under it, and after it. */
export function aroundCursor({ text, cursor }: Line): [before: string, at: string, after: string] {
  const end = cursor >= text.length ? cursor : nextBoundary(text, cursor);
  return [text.slice(0, cursor), text.slice(cursor, end), text.slice(end)];
}

/**
 * The messages sent in this session, oldest first, for Up and Down. Going up from the line
 * being written keeps it, and coming back down past the newest entry restores it.
 */
export class SentHistory {
  readonly #entries: string[] = [];
  /** Which entry is shown; `#entries.length` is the line being written. */
  #shown = 0;
  #draft = '';

  /** Remembers a sent message (a repeat of the newest is not kept twice) and goes back down. */
  add(text: string): void {
    if (this.#entries.at(-1) !== text) this.#entries.push(text);
    this.#shown = this.#entries.length;
    this.#draft = '';
  }

  /** The entry before the one shown, or `undefined` at the oldest. `current`: the line now. */
  previous(current: string): string | undefined {
    if (this.#shown === 0) return undefined;
    if (this.#shown === this.#entries.length) this.#draft = current;
    this.#shown -= 1;
    return this.#entries[this.#shown];
  }

  /** The entry after the one shown, the line being written after the newest, or `undefined`. */
  next(): string | undefined {
    if (this.#shown >= this.#entries.length) return undefined;
    this.#shown += 1;
    return this.#shown === this.#entries.length ? this.#draft : this.#entries[this.#shown];
  }
}
