import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { type KeyAction, KeyReader } from './keys.js';

/** A key as ink's `useInput` reports it: nothing pressed unless `pressed` says so. */
function key(pressed: Partial<Key> = {}): Key {
  return {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    home: false,
    end: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
    super: false,
    hyper: false,
    capsLock: false,
    numLock: false,
    ...pressed,
  };
}

/** The actions of one event, read by a new reader (not in a paste). */
const readKeys = (input: string, pressed: Key) => new KeyReader().read(input, pressed);

/** The actions of a series of events, as ink emits them for the chunks of one read. */
function readAll(events: Array<[input: string, pressed?: Partial<Key>]>): KeyAction[] {
  const reader = new KeyReader();
  return events.flatMap(([input, pressed]) => reader.read(input, key(pressed)));
}

describe('readKeys', () => {
  it('reads the keys ink parses: Ctrl-D, Ctrl-C, Ctrl-O, Esc, Enter, Backspace, text', () => {
    expect(readKeys('d', key({ ctrl: true }))).toEqual([{ type: 'exit' }]);
    expect(readKeys('c', key({ ctrl: true }))).toEqual([{ type: 'ctrl-c' }]);
    expect(readKeys('o', key({ ctrl: true }))).toEqual([{ type: 'expand' }]);
    expect(readKeys('', key({ escape: true, meta: true }))).toEqual([{ type: 'escape' }]);
    expect(readKeys('\r', key({ return: true }))).toEqual([{ type: 'enter' }]);
    expect(readKeys('', key({ backspace: true }))).toEqual([{ type: 'backspace' }]);
    expect(readKeys('hi', key())).toEqual([{ type: 'text', text: 'hi' }]);
    expect(readKeys('k', key({ ctrl: true }))).toEqual([]);
  });

  // Esc and the next key in one read reach useInput as that key's byte, without `ctrl`.
  it('exits on a Ctrl-D that came in one read with an Escape before it', () => {
    expect(readKeys('\u0004', key())).toEqual([{ type: 'exit' }]);
    expect(readKeys('\u0003', key())).toEqual([{ type: 'escape' }, { type: 'ctrl-c' }]);
    expect(readKeys('\u000f', key())).toEqual([{ type: 'escape' }, { type: 'expand' }]);
  });

  it('keeps an Escape joined to a typed key (Esc then h, quickly) as Escape then the key', () => {
    expect(readKeys('h', key({ meta: true }))).toEqual([
      { type: 'escape' },
      { type: 'text', text: 'h' },
    ]);
  });

  it('splits pasted text at its Enters and finds a Ctrl-D or Ctrl-C inside it', () => {
    expect(readKeys('one\rtwo\r\nthree', key())).toEqual([
      { type: 'text', text: 'one' },
      { type: 'enter' },
      { type: 'text', text: 'two' },
      { type: 'enter' },
      { type: 'text', text: 'three' },
    ]);
    expect(readKeys('typed\u0004', key())).toEqual([{ type: 'exit' }]);
    expect(readKeys('typed\u0003', key())).toEqual([
      { type: 'text', text: 'typed' },
      { type: 'ctrl-c' },
    ]);
    expect(readKeys('a\u0007b', key())).toEqual([{ type: 'text', text: 'ab' }]);
  });

  it('reads each Backspace of a chunk, in order with the text around it', () => {
    expect(readKeys('\u007f\u007f\u007f', key())).toEqual([
      { type: 'backspace' },
      { type: 'backspace' },
      { type: 'backspace' },
    ]);
    expect(readKeys('ab\u007fc\b', key())).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'backspace' },
      { type: 'text', text: 'c' },
      { type: 'backspace' },
    ]);
  });
});

describe('readKeys: moving in the line and through what was sent', () => {
  it('reads the arrows, Home and End, and Ctrl-A / Ctrl-E', () => {
    expect(readKeys('', key({ leftArrow: true }))).toEqual([{ type: 'move', to: 'left' }]);
    expect(readKeys('', key({ rightArrow: true }))).toEqual([{ type: 'move', to: 'right' }]);
    expect(readKeys('', key({ home: true }))).toEqual([{ type: 'move', to: 'home' }]);
    expect(readKeys('', key({ end: true }))).toEqual([{ type: 'move', to: 'end' }]);
    expect(readKeys('a', key({ ctrl: true }))).toEqual([{ type: 'move', to: 'home' }]);
    expect(readKeys('e', key({ ctrl: true }))).toEqual([{ type: 'move', to: 'end' }]);
    expect(readKeys('', key({ upArrow: true }))).toEqual([{ type: 'history', to: 'previous' }]);
    expect(readKeys('', key({ downArrow: true }))).toEqual([{ type: 'history', to: 'next' }]);
  });
});

describe('readKeys: several keys in one read', () => {
  // ink cuts a read into escape sequences (arrows, Home) and the text between them; control
  // keys such as Ctrl-A stay in that text.
  it('reads Ctrl-A and Ctrl-E followed by a key in the same read as the move, then the key', () => {
    expect(readKeys('\u0001X', key())).toEqual([
      { type: 'move', to: 'home' },
      { type: 'text', text: 'X' },
    ]);
    expect(readKeys('\u0005Y', key())).toEqual([
      { type: 'move', to: 'end' },
      { type: 'text', text: 'Y' },
    ]);
  });

  it('splits a chunk of text, control keys, Backspace and Enter into its keys, in order', () => {
    expect(readKeys('ab\u0001c\u007f\u0005d\u000f\re', key())).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'move', to: 'home' },
      { type: 'text', text: 'c' },
      { type: 'backspace' },
      { type: 'move', to: 'end' },
      { type: 'text', text: 'd' },
      { type: 'expand' },
      { type: 'enter' },
      { type: 'text', text: 'e' },
    ]);
  });

  it('keeps the order of arrows and text around them in one read', () => {
    // `ab`, Left, `c`, Ctrl-A, Right, `d` typed at once: ink emits three events.
    expect(
      readAll([['ab'], ['', { leftArrow: true }], ['c\u0001'], ['', { rightArrow: true }], ['d']]),
    ).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'move', to: 'left' },
      { type: 'text', text: 'c' },
      { type: 'move', to: 'home' },
      { type: 'move', to: 'right' },
      { type: 'text', text: 'd' },
    ]);
  });

  // As in 'exits on a Ctrl-D that came in one read with an Escape before it'.
  it('reads a control key joined to an Escape as the Escape, then the key', () => {
    expect(readKeys('\u0001', key())).toEqual([{ type: 'escape' }, { type: 'move', to: 'home' }]);
  });

  it('drops C1 control characters from typed text', () => {
    expect(readKeys('a\u009bb', key())).toEqual([{ type: 'text', text: 'ab' }]);
  });
});

describe('readKeys: bracketed paste', () => {
  it('reads everything between the paste markers as text, newlines included', () => {
    expect(
      readAll([['[200~'], ['line one\rline two\r\n\tindented\u0003\u0004'], ['[201~']]),
    ).toEqual([{ type: 'text', text: 'line one\nline two\n\tindented' }]);
  });

  it('reads a paste that comes in several chunks, a lone newline or Tab among them', () => {
    expect(
      readAll([
        ['[200~'],
        ['first'],
        ['', { return: true }],
        ['', { tab: true }],
        ['second'],
        ['[201~'],
        ['\r', { return: true }],
      ]),
    ).toEqual([
      { type: 'text', text: 'first' },
      { type: 'text', text: '\n' },
      { type: 'text', text: '\t' },
      { type: 'text', text: 'second' },
      { type: 'enter' },
    ]);
  });

  it('still exits on Ctrl-D, and reads keys again after the paste', () => {
    expect(readAll([['[200~'], ['d', { ctrl: true }]])).toEqual([{ type: 'exit' }]);
    expect(readAll([['[200~'], ['x'], ['[201~'], ['\u0001y']])).toEqual([
      { type: 'text', text: 'x' },
      { type: 'move', to: 'home' },
      { type: 'text', text: 'y' },
    ]);
  });
});
