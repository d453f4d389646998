import type { ChatMessagePart } from '@chatd/core';

const FALLBACK_TITLE = 'New Chat';
const FALLBACK_WORDS = 6;
const MAX_TITLE_LENGTH = 80;

/**
 * The title a chat gets at creation, until a model writes a better one: the first six words
 * of the user's text, at most 80 characters (an ellipsis marks a cut there), or "New Chat".
 */
export function fallbackTitle(parts: readonly ChatMessagePart[]): string {
  const text = storable(textOf(parts));
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return FALLBACK_TITLE;
  return shorten(words.slice(0, FALLBACK_WORDS).join(' '));
}

/** The text parts of a message, one per line. */
export function textOf(parts: readonly ChatMessagePart[]): string {
  return parts
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('\n');
}

/** A model's title made safe to store: one line, no quotes around it, at most 80 characters. */
export function cleanTitle(text: string): string | undefined {
  const line = storable(text)
    .split('\n')
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate !== '');
  if (line === undefined) return undefined;
  const unquoted = line.replace(/^["'“”‘’`*#\s]+|["'“”‘’`*.\s]+$/g, '').replace(/^title:\s*/i, '');
  return unquoted === '' ? undefined : shorten(unquoted);
}

/**
 * Text without what Postgres cannot store (NUL, lone surrogates): a title made from a message
 * must not be why the message is refused.
 */
function storable(text: string): string {
  return text.replaceAll('\u0000', '').toWellFormed();
}

function shorten(title: string): string {
  const characters = Array.from(title);
  if (characters.length <= MAX_TITLE_LENGTH) return title;
  return `${characters.slice(0, MAX_TITLE_LENGTH - 1).join('')}…`;
}

/** The prompt that asks the title model for a title. */
export function titlePrompt(firstMessage: string): string {
  return [
    'Write a short title (at most 6 words) for a conversation that starts with the message below.',
    'Answer with the title only: no quotes, no punctuation at the end.',
    '',
    firstMessage.slice(0, 6000),
  ].join('\n');
}
