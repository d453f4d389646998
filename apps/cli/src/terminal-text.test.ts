import { describe, expect, it } from 'vitest';
import { jsonLine, safeLine, safeText } from './terminal-text.js';

/** An OSC title, colours, a clipboard write and a screen clear, as a model might send them. */
const HOSTILE =
  'a \u001b]0;PWNED\u0007 b \u001b[31mred\u001b[0m \u001b]52;c;aGk=\u0007 \u001b[2J \u009b31m c\u007f';

describe('safeText', () => {
  it('shows every control character as a symbol, so no escape sequence reaches the terminal', () => {
    expect(safeText(HOSTILE)).toBe('a ␛]0;PWNED␇ b ␛[31mred␛[0m ␛]52;c;aGk=␇ ␛[2J \ufffd31m c␡');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be left
    expect(safeText(HOSTILE)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(safeText('\u0000\u0008\u000b\u000c\r\u001f\u0080\u0085\u009f')).toBe(
      '␀␈␋␌␍␟\ufffd\ufffd\ufffd',
    );
  });

  it('keeps newlines and tabs, reads CR LF as a newline, and leaves other text alone', () => {
    expect(safeText('one\r\ntwo\n\tthree')).toBe('one\ntwo\n\tthree');
    expect(safeText('héllo 👍🏽 ¡ \u00a0 — ✓')).toBe('héllo 👍🏽 ¡ \u00a0 — ✓');
  });
});

describe('safeLine', () => {
  it('is safeText on one line: newlines and tabs become spaces', () => {
    expect(safeLine('evil \u001b[31mRED\u001b[0m\nsecond\tline\r\n')).toBe(
      'evil ␛[31mRED␛[0m second line ',
    );
  });
});

describe('jsonLine', () => {
  it('escapes DEL and C1 controls, which JSON.stringify leaves as they are, and stays exact', () => {
    const value = { title: HOSTILE, nested: ['\u0085', { x: '\u007f' }] };
    expect(JSON.stringify(value)).toContain('\u009b');
    const line = jsonLine(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: none may be left
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(line).toContain('\\u009b31m');
    expect(line).toContain('\\u0085');
    expect(JSON.parse(line)).toEqual(value);
  });
});
