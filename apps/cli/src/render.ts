import type { ChatMessage } from '@chatd/core';
import { safeLine, safeText } from './terminal-text.js';

const MAX_RESULT = 100;

/** A tool result or input as one short line, safe to draw. */
export function oneLine(value: unknown, max = MAX_RESULT): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const flat = safeLine(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A committed message as plain lines, safe to draw: its text, and each tool call and result on
 * one line.
 */
export function messageLines(message: ChatMessage): string[] {
  const lines: string[] = [];
  for (const part of message.content.parts) {
    const typed = part as {
      type: string;
      text?: string;
      toolName?: string;
      input?: unknown;
      output?: unknown;
      isError?: boolean;
    };
    if (typed.type === 'text' && typed.text !== undefined) lines.push(safeText(typed.text));
    else if (typed.type === 'reasoning' && typed.text !== undefined)
      lines.push(`(thinking) ${oneLine(typed.text, 200)}`);
    else if (typed.type === 'tool-call')
      lines.push(`→ ${toolCallText(typed.toolName ?? '', typed.input)}`);
    else if (typed.type === 'tool-result') {
      lines.push(
        `${typed.isError === true ? '✗' : '←'} ${safeLine(typed.toolName ?? '')}: ${oneLine(typed.output)}`,
      );
    }
  }
  return lines;
}

/** "you", "assistant", "tool", … */
export function roleLabel(role: string): string {
  return role === 'user' ? 'you' : safeLine(role);
}

/** A tool call as `name(arguments)` on one line, safe to draw. */
export function toolCallText(toolName: string, input: unknown, max = MAX_RESULT): string {
  return `${safeLine(toolName)}(${oneLine(input ?? '', max)})`;
}

/**
 * A tool's input or result in full, safe to draw: strings as they are, anything else as
 * indented JSON.
 */
export function fullValue(value: unknown): string {
  if (typeof value === 'string') return safeText(value);
  return safeText(JSON.stringify(value, null, 2) ?? String(value));
}

/** A client tool call's question, when its input has one (as `ask_user`'s does). */
export function questionOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const question = (input as Record<string, unknown>).question;
  return typeof question === 'string' ? question : undefined;
}

/** Why a turn failed, with the provider's own words when there are some, on one safe line. */
export function errorText(error: { message: string; detail?: string | undefined }): string {
  return safeLine(
    error.detail === undefined || error.detail === '' || error.detail === error.message
      ? error.message
      : `${error.message} (${error.detail})`,
  );
}

/** The retry banner as one safe line. */
export function retryText(
  retry: { attempt: number; retryAt: string; error: { message: string } },
  now = Date.now(),
): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(retry.retryAt) - now) / 1000));
  return `retrying in ${seconds} s (attempt ${retry.attempt}): ${safeLine(retry.error.message)}`;
}
