import {
  ChatdError,
  type ChatMessageContent,
  chatMessageContentSchema,
  type JsonObject,
  parseArgument,
  ValidationFailedError,
} from '@chatd/core';
import { z } from 'zod';

/*
 * The shapes of the engine's own arguments, checked before anything is asked of the model or
 * the store: a new chat's first model call starts before its write, so input the store would
 * refuse by its shape must never reach the model. Limits and text Postgres cannot store (title
 * length, NUL characters, content size) stay the store's to check, where they are enforced.
 */

const string = z.string('expected a string');

/**
 * The parts a user message may hold: what a model takes from a user. A tool call, a reasoning
 * block or a step marker is never the user's to write, and a model call would drop it, leaving
 * a message the model never sees (or, alone, a chat whose turn can only fail).
 */
const USER_PART_TYPES: ReadonlySet<string> = new Set(['text', 'file']);

/** `content` as callers write it: a string (one text part) or an array of message parts. */
const content = z
  .preprocess(
    (value) => (typeof value === 'string' ? [{ type: 'text', text: value }] : value),
    z
      .array(
        chatMessageContentSchema.shape.parts.element,
        'expected a string or an array of message parts',
      )
      .superRefine((parts, context) => {
        parts.forEach((part, index) => {
          if (!USER_PART_TYPES.has(part.type)) {
            context.addIssue({
              code: 'custom',
              path: [index, 'type'],
              message: `a user message holds text and file parts only, got '${part.type}'`,
            });
          }
        });
      }),
  )
  .transform((parts): ChatMessageContent => ({ version: 1, parts }));

const dynamicTool = z.strictObject({
  name: string,
  description: string.optional(),
  // The store checks that it is JSON it can keep.
  inputSchema: z.custom<JsonObject>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected a JSON Schema object',
  ),
});

const createChat = z.strictObject({
  ownerId: string,
  modelConfigId: string.optional(),
  content,
  systemPrompt: string.optional(),
  title: string.optional(),
  labels: z.record(z.string(), string, 'expected an object of strings').optional(),
  mcpServerIds: z.array(string, 'expected an array of strings').optional(),
  dynamicTools: z.array(dynamicTool, 'expected an array of tool declarations').optional(),
  parentChatId: string.optional(),
});

const sendMessage = z.strictObject({
  content,
  busy: z.enum(['queue', 'interrupt'], "expected 'queue' or 'interrupt'").optional(),
  modelConfigId: string.optional(),
  createdBy: string.optional(),
});

const editMessage = z.strictObject({
  content,
  modelConfigId: string.optional(),
  createdBy: string.optional(),
});

const messageId = z.int('expected an integer id').min(1, 'expected a positive id');

const authorOptions = z.strictObject({ createdBy: string.optional() }).optional();

// A problem inside message content is reported with every issue, as core's parsers do.
const DOCUMENT_FIELDS = new Set<PropertyKey>(['content']);

/** The checked arguments of each method, in the store's terms (content as stored content). */
export const parseInputs = {
  createChat: (input: unknown) => parseArgument(createChat, input, 'input', DOCUMENT_FIELDS),
  sendMessage: (input: unknown) => parseArgument(sendMessage, input, 'input', DOCUMENT_FIELDS),
  editMessage: (input: unknown) => parseArgument(editMessage, input, 'input', DOCUMENT_FIELDS),
  messageId: (value: unknown) => parseArgument(messageId, value, 'messageId'),
  authorOptions: (value: unknown) => parseArgument(authorOptions, value, 'options'),
};

type Path = readonly (string | number)[];

/**
 * The store's refusal of message content, renamed into the caller's terms: the store checks
 * what it alone can (text Postgres cannot keep, an empty user message) and names the field of
 * its own input, such as `messages.1.content.parts.0.text`, where the caller wrote
 * `content[0].text`. Each issue under `from` moves under `to`; any other error is returned as is.
 */
export function renameContentIssues(
  error: unknown,
  renames: ReadonlyArray<{ from: Path; to: Path }>,
): unknown {
  if (!ChatdError.isInstance(error, 'VALIDATION_FAILED')) return error;
  const { issues } = error as ValidationFailedError;
  const renamed = issues.map((issue) => {
    // An issue of the content itself ends at `content`, one key short of `from`.
    const rename = renames.find(
      ({ from }) =>
        issue.path.length >= from.length - 1 &&
        from.every((key, index) => index >= issue.path.length || issue.path[index] === key),
    );
    if (rename === undefined) return issue;
    return { ...issue, path: [...rename.to, ...issue.path.slice(rename.from.length)] };
  });
  return new ValidationFailedError('input', renamed, { cause: error });
}

/** Where a message transition's input holds the content the caller wrote. */
export const STORED_CONTENT = [{ from: ['content', 'parts'], to: ['content'] }] as const;
