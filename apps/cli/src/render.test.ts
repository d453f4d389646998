import type { ChatMessage } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { errorText, fullValue, messageLines, oneLine, retryText, toolCallText } from './render.js';

const ESC = '\u001b';
// biome-ignore lint/suspicious/noControlCharactersInRegex: none may reach the terminal
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('plain lines of what the server sent', () => {
  it('shows the control characters of text, tool calls and tool results', () => {
    const message = {
      id: 1,
      chatId: 'chat-1',
      role: 'assistant',
      content: {
        version: 1,
        parts: [
          { type: 'text', text: `hi ${ESC}]0;PWNED\u0007\nsecond line` },
          { type: 'reasoning', text: `think ${ESC}[2J` },
          { type: 'tool-call', toolCallId: 'c', toolName: `t${ESC}[1m`, input: { q: '\u009b' } },
          {
            type: 'tool-result',
            toolCallId: 'c',
            toolName: `t${ESC}[1m`,
            output: `out\u0007\n${ESC}[31m`,
          },
        ],
      },
      createdAt: '2026-01-01T00:00:00.000Z',
    } as ChatMessage;
    const lines = messageLines(message);
    expect(lines).toEqual([
      'hi ␛]0;PWNED␇\nsecond line',
      '(thinking) think ␛[2J',
      '→ t␛[1m({"q":"\ufffd"})',
      '← t␛[1m: out␇ ␛[31m',
    ]);
  });

  it('keeps one-line fields on one line and full values readable, with no control character', () => {
    for (const text of [
      oneLine(`a\n\tb${ESC}c`),
      toolCallText(`name\n${ESC}`, `in${ESC}`),
      errorText({ message: `failed\n${ESC}[2J`, detail: `provider\u0085said` }),
      retryText({
        attempt: 2,
        retryAt: '2026-01-01T00:00:03.000Z',
        error: { message: `x\n${ESC}` },
      }),
    ]) {
      expect(text).not.toMatch(CONTROLS);
      expect(text).not.toContain('\n');
    }
    expect(fullValue(`line\n${ESC}[31m`)).toBe('line\n␛[31m');
    expect(fullValue({ a: '\u009b' })).toBe('{\n  "a": "\ufffd"\n}');
  });
});
