import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { readKeys } from './keys.js';

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
