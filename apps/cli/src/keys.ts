import type { Key } from 'ink';

/** What one input event of ink asks the interactive chat to do, in order. */
export type KeyAction =
  | { type: 'exit' }
  | { type: 'ctrl-c' }
  | { type: 'escape' }
  | { type: 'expand' }
  | { type: 'enter' }
  | { type: 'backspace' }
  | { type: 'move'; to: 'left' | 'right' | 'home' | 'end' }
  | { type: 'history'; to: 'previous' | 'next' }
  | { type: 'text'; text: string };

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_O = '\u000f';

/**
 * Reads one `useInput` event as actions. Ctrl-D and Ctrl-C are found wherever they are, not
 * only as ink's parsed keys: ink joins an Escape with the byte that follows it in the same
 * read into one "meta" sequence and hands that byte over as text (`"\u0004"`, with no `ctrl`),
 * so Esc then Ctrl-D typed quickly would otherwise be taken as text and never exit. An Escape
 * joined that way to a printable key (Esc then `h` quickly) is the Escape, then the key.
 */
export function readKeys(input: string, key: Key): KeyAction[] {
  if ((key.ctrl && input === 'd') || input.includes(CTRL_D)) return [{ type: 'exit' }];
  if (key.ctrl && input === 'c') return [{ type: 'ctrl-c' }];
  if (key.ctrl && input === 'o') return [{ type: 'expand' }];
  if (key.escape) return [{ type: 'escape' }];
  // A control byte handed over as text followed an Escape in the same read.
  if (!key.ctrl && input.length === 1 && input < ' ' && !'\r\n\t'.includes(input)) {
    if (input === CTRL_C) return [{ type: 'escape' }, { type: 'ctrl-c' }];
    if (input === CTRL_O) return [{ type: 'escape' }, { type: 'expand' }];
    return [{ type: 'escape' }];
  }
  if (key.meta && !key.ctrl && input.length === 1 && input >= ' ') {
    return [{ type: 'escape' }, { type: 'text', text: input }];
  }
  if (key.return) return [{ type: 'enter' }];
  if (key.backspace || key.delete) return [{ type: 'backspace' }];
  if (key.leftArrow) return [{ type: 'move', to: 'left' }];
  if (key.rightArrow) return [{ type: 'move', to: 'right' }];
  // Ctrl-A and Ctrl-E as in a shell.
  if (key.home || (key.ctrl && input === 'a')) return [{ type: 'move', to: 'home' }];
  if (key.end || (key.ctrl && input === 'e')) return [{ type: 'move', to: 'end' }];
  if (key.upArrow) return [{ type: 'history', to: 'previous' }];
  if (key.downArrow) return [{ type: 'history', to: 'next' }];
  if (key.ctrl || key.meta || input === '') return [];
  // Pasted or fast-typed text can carry Enters, Backspaces (several typed quickly arrive as
  // one chunk, which ink does not read as a key) and a Ctrl-C in one chunk.
  const actions: KeyAction[] = [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Ctrl-C and Backspace are control bytes
  for (const piece of input.split(/(\r\n|[\r\n\u0003\u0008\u007f])/)) {
    if (piece === '') continue;
    if (piece === CTRL_C) actions.push({ type: 'ctrl-c' });
    else if (piece === '\u007f' || piece === '\b') actions.push({ type: 'backspace' });
    else if (/^[\r\n]+$/.test(piece)) actions.push({ type: 'enter' });
    else {
      // Other control bytes (a stray escape sequence's tail) are not text.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control bytes
      const text = piece.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
      if (text !== '') actions.push({ type: 'text', text });
    }
  }
  return actions;
}
