import { describe, expect, it } from 'vitest';
import {
  aroundCursor,
  deleteBefore,
  EMPTY_LINE,
  insert,
  lineOf,
  move,
  SentHistory,
} from './line-editor.js';

describe('the prompt line', () => {
  it('types at the cursor, wherever it was moved', () => {
    let line = insert(EMPTY_LINE, 'helo');
    line = move(line, 'left');
    line = insert(line, 'l');
    expect(line).toEqual({ text: 'hello', cursor: 4 });
    line = insert(move(line, 'home'), '> ');
    expect(line).toEqual({ text: '> hello', cursor: 2 });
    expect(insert(move(line, 'end'), '!').text).toBe('> hello!');
  });

  it('moves and deletes over a whole emoji or accented letter', () => {
    const family = '👨‍👩‍👧';
    const accented = 'e\u0301';
    let line = lineOf(`a${family}${accented}b`);
    line = move(line, 'left');
    line = move(line, 'left');
    expect(aroundCursor(line)).toEqual([`a${family}`, accented, 'b']);
    line = move(line, 'left');
    expect(aroundCursor(line)).toEqual(['a', family, `${accented}b`]);
    line = move(line, 'right');
    line = deleteBefore(line);
    expect(line).toEqual({ text: `a${accented}b`, cursor: 1 });
  });

  it('stays put at either end', () => {
    expect(move(lineOf('ab'), 'right')).toEqual({ text: 'ab', cursor: 2 });
    expect(move({ text: 'ab', cursor: 0 }, 'left')).toEqual({ text: 'ab', cursor: 0 });
    expect(deleteBefore({ text: 'ab', cursor: 0 })).toEqual({ text: 'ab', cursor: 0 });
    expect(aroundCursor(lineOf('ab'))).toEqual(['ab', '', '']);
  });
});

describe('SentHistory', () => {
  it('recalls sent messages newest first, and gives back the line being written', () => {
    const history = new SentHistory();
    expect(history.previous('draft')).toBeUndefined();
    history.add('one');
    history.add('two');
    history.add('two');
    expect(history.previous('half written')).toBe('two');
    expect(history.previous('two')).toBe('one');
    expect(history.previous('one')).toBeUndefined();
    expect(history.next()).toBe('two');
    expect(history.next()).toBe('half written');
    expect(history.next()).toBeUndefined();
  });

  it('goes back to the end once a message is sent', () => {
    const history = new SentHistory();
    history.add('one');
    history.add('two');
    expect(history.previous('')).toBe('two');
    expect(history.previous('two')).toBe('one');
    history.add('one again');
    expect(history.previous('')).toBe('one again');
  });
});
