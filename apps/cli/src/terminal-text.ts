/**
 * Text from the server (chat titles, messages, model output, tool names and results, error
 * messages) made safe to draw. A terminal obeys the control characters it receives: an escape
 * sequence in a model's reply or a tool's result could retitle the window (OSC 0), write the
 * clipboard (OSC 52), forge a link (OSC 8) or clear the screen, and a newline in a title would
 * break a one-line-per-chat listing that scripts read. Control characters are shown, not
 * removed, so that what arrived stays visible: a C0 control as its Unicode control picture
 * (ESC as `␛`, BEL as `␇`), DEL as `␡`, a C1 control (U+0080–U+009F, which a terminal in
 * UTF-8 may also obey) as `�`. Newlines and tabs are kept in multi-line text.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** C1 and DEL: the characters `JSON.stringify` leaves unescaped that a terminal may obey. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f]/g;

/** The visible stand-in of one control character. */
function shown(control: string): string {
  const code = control.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  return code === 0x7f ? '\u2421' : '\ufffd';
}

/**
 * Multi-line text as a terminal may draw it: control characters shown as symbols, newlines
 * and tabs kept (a Windows line end, CR LF, is a newline).
 */
export function safeText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, shown);
}

/** A one-line field (a title, a status line, an error): {@link safeText}, newlines and tabs as spaces. */
export function safeLine(text: string): string {
  return safeText(text).replace(/[\n\t]/g, ' ');
}

/**
 * `value` as one line of JSON, exact (it parses back to `value`) and safe to print: JSON
 * escapes C0 controls but not DEL or C1 controls, which are escaped here as `\u007f`…`\u009f`.
 * They can only occur inside strings, where the escape means the same character.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    UNESCAPED_BY_JSON,
    (control) => `\\u${control.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
