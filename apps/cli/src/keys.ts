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

const CTRL_D = '\u0004';

/** The control bytes that are keys of the chat, as they come in a chunk of typed text. */
const CONTROL_KEYS = new Map<string, KeyAction>([
  ['\u0001', { type: 'move', to: 'home' }], // Ctrl-A, as in a shell
  ['\u0003', { type: 'ctrl-c' }],
  ['\u0005', { type: 'move', to: 'end' }], // Ctrl-E
  ['\u0008', { type: 'backspace' }],
  ['\u000f', { type: 'expand' }], // Ctrl-O
  ['\u007f', { type: 'backspace' }],
  ['\r', { type: 'enter' }],
  ['\n', { type: 'enter' }],
  ['\r\n', { type: 'enter' }],
]);

/** Control characters (all but Tab), one at a time, and CR LF as one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: splitting text at its control bytes
const CONTROL = /(\r\n|[\u0000-\u0008\u000a-\u001f\u007f-\u009f])/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control bytes from a paste
const PASTED_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * ink hands the markers around a bracketed paste (ESC `[200~` and ESC `[201~`, sent by a
 * terminal once the chat turns the mode on) over as this text: it drops the Escape.
 */
const PASTE_START = '[200~';
const PASTE_END = '[201~';

/**
 * Typed text as keys, in order. Several keys typed quickly (or sent by ssh or tmux in one
 * write) arrive as one chunk that ink does not read as a key: text, Enters, Backspaces and
 * control keys mixed, as in `\x01X` for Ctrl-A then X. Other control bytes (a stray escape
 * sequence's tail) are not keys and are dropped.
 */
function typedKeys(input: string): KeyAction[] {
  const actions: KeyAction[] = [];
  input.split(CONTROL).forEach((piece, index) => {
    // `split` with a capturing group puts the control bytes at the odd places.
    const action =
      index % 2 === 1 ? CONTROL_KEYS.get(piece) : { type: 'text' as const, text: piece };
    if (action === undefined || (action.type === 'text' && action.text === '')) return;
    const last = actions.at(-1);
    if (action.type === 'text' && last?.type === 'text') last.text += action.text;
    else actions.push(action);
  });
  return actions;
}

/**
 * Reads one `useInput` event as actions. Ctrl-D and Ctrl-C are found wherever they are, not
 * only as ink's parsed keys: ink joins an Escape with the byte that follows it in the same
 * read into one "meta" sequence and hands that byte over as text (`"\u0004"`, with no `ctrl`),
 * so Esc then Ctrl-D typed quickly would otherwise be taken as text and never exit. An Escape
 * joined that way to a printable key (Esc then `h` quickly) is the Escape, then the key.
 */
function readKey(input: string, key: Key): KeyAction[] {
  if ((key.ctrl && input === 'd') || input.includes(CTRL_D)) return [{ type: 'exit' }];
  if (key.ctrl && input === 'c') return [{ type: 'ctrl-c' }];
  if (key.ctrl && input === 'o') return [{ type: 'expand' }];
  if (key.escape) return [{ type: 'escape' }];
  // A control byte handed over as text followed an Escape in the same read.
  if (!key.ctrl && input.length === 1 && input < ' ' && !'\r\n\t'.includes(input)) {
    const control = CONTROL_KEYS.get(input);
    return control === undefined ? [{ type: 'escape' }] : [{ type: 'escape' }, control];
  }
  if (key.meta && !key.ctrl && input.length === 1 && input >= ' ') {
    return [{ type: 'escape' }, { type: 'text', text: input }];
  }
  if (key.return) return [{ type: 'enter' }];
  if (key.backspace || key.delete) return [{ type: 'backspace' }];
  if (key.leftArrow) return [{ type: 'move', to: 'left' }];
  if (key.rightArrow) return [{ type: 'move', to: 'right' }];
  if (key.home || (key.ctrl && input === 'a')) return [{ type: 'move', to: 'home' }];
  if (key.end || (key.ctrl && input === 'e')) return [{ type: 'move', to: 'end' }];
  if (key.upArrow) return [{ type: 'history', to: 'previous' }];
  if (key.downArrow) return [{ type: 'history', to: 'next' }];
  if (key.ctrl || key.meta || input === '') return [];
  return typedKeys(input);
}

/**
 * The keys of ink's `useInput` events, with bracketed paste: between the paste markers,
 * everything is text, newlines included (a terminal sends them as CR), so a pasted snippet of
 * several lines goes into the prompt as one message instead of sending each line. Only
 * Ctrl-D and Ctrl-C read as keys on their own stay keys, so that a paste whose end marker
 * never comes cannot trap the user.
 */
export class KeyReader {
  #pasting = false;

  /** The actions of one `useInput` event. */
  read(input: string, key: Key): KeyAction[] {
    if (!this.#pasting) {
      if (input !== PASTE_START) return readKey(input, key);
      this.#pasting = true;
      return [];
    }
    if (input === PASTE_END) {
      this.#pasting = false;
      return [];
    }
    if (key.ctrl && input === 'd') return [{ type: 'exit' }];
    if (key.ctrl && input === 'c') return [{ type: 'ctrl-c' }];
    if (key.ctrl) return [];
    // A chunk of the paste that is a lone Enter or Tab reaches us as that key, without text.
    const text = key.return ? '\n' : key.tab ? '\t' : input;
    const pasted = text.replace(/\r\n?/g, '\n').replace(PASTED_CONTROL, '');
    return pasted === '' ? [] : [{ type: 'text', text: pasted }];
  }
}
