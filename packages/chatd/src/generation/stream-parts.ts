import {
  type ChatStreamPart,
  findJsonIssues,
  type JsonValue,
  type ProviderMetadata,
} from '@chatd/core';
import type { TextStreamPart, ToolSet } from 'ai';

/** `{ providerMetadata }` when there is any, else nothing (absent stays absent). */
export function metadata(value: object | undefined): { providerMetadata?: ProviderMetadata } {
  // The AI SDK's metadata is JSON by contract (`undefined` members aside, which JSON drops).
  return value === undefined ? {} : { providerMetadata: value as ProviderMetadata };
}

function flags(part: { providerExecuted?: boolean | undefined; dynamic?: boolean | undefined }) {
  return {
    ...(part.providerExecuted === true ? { providerExecuted: true } : {}),
    ...(part.dynamic === true ? { dynamic: true } : {}),
  };
}

/**
 * A value as JSON: what a tool's input or output becomes when it is stored or sent. Values
 * JSON cannot carry (`undefined` fields, functions) drop out as `JSON.stringify` drops them;
 * `undefined` itself becomes `null`. A value nested deeper than a stored JSON value may be
 * becomes its JSON text, so the model still sees all of it and the step can be committed.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return String(value);
  }
  if (text === undefined) return null;
  const parsed = JSON.parse(text) as JsonValue;
  return findJsonIssues(parsed, 1).length === 0 ? parsed : text;
}

/** A short, stable text for a tool error: its message when it has one. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return JSON.stringify(toJsonValue(error));
}

/**
 * Maps one part of `streamText(...).fullStream` to chatd's stream part, which mirrors the AI
 * SDK's UI message stream chunks, so a client can feed them to a UI as they are. The one place
 * this mapping lives: the buffer episode and every other tee of a turn's parts use it.
 *
 * Parts with no stream counterpart return `undefined`: `start` and `finish` (a turn's
 * boundaries are chatd's status changes), `tool-input-end` (the `tool-call` that follows
 * carries the whole input), `error` and `abort` (the generation task handles them), `raw`,
 * and tool approvals (chatd runs tools itself).
 */
export function toChatStreamPart(part: TextStreamPart<ToolSet>): ChatStreamPart | undefined {
  switch (part.type) {
    // The per-token cases build their part without spreads: they run once per streamed token.
    case 'text-start':
    case 'text-end':
    case 'reasoning-start':
    case 'reasoning-end':
      return part.providerMetadata === undefined
        ? ({ type: part.type, id: part.id } as ChatStreamPart)
        : ({
            type: part.type,
            id: part.id,
            providerMetadata: part.providerMetadata as ProviderMetadata,
          } as ChatStreamPart);
    case 'text-delta':
    case 'reasoning-delta':
      return part.providerMetadata === undefined
        ? ({ type: part.type, id: part.id, delta: part.text } as ChatStreamPart)
        : ({
            type: part.type,
            id: part.id,
            delta: part.text,
            providerMetadata: part.providerMetadata as ProviderMetadata,
          } as ChatStreamPart);
    case 'tool-input-start':
      return {
        type: 'tool-input-start',
        toolCallId: part.id,
        toolName: part.toolName,
        ...flags(part),
        ...(part.title === undefined ? {} : { title: part.title }),
        ...metadata(part.providerMetadata),
      };
    case 'tool-input-delta':
      return { type: 'tool-input-delta', toolCallId: part.id, inputTextDelta: part.delta };
    case 'tool-call':
      return {
        type: 'tool-input-available',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: toJsonValue(part.input),
        ...flags(part),
        ...(part.title === undefined ? {} : { title: part.title }),
        ...metadata(part.providerMetadata),
      };
    case 'tool-result':
      return {
        type: 'tool-output-available',
        toolCallId: part.toolCallId,
        output: toJsonValue(part.output),
        ...flags(part),
      };
    case 'tool-error':
      return {
        type: 'tool-output-error',
        toolCallId: part.toolCallId,
        errorText: errorText(part.error),
        ...flags(part),
      };
    case 'source':
      return part.sourceType === 'url'
        ? {
            type: 'source-url',
            sourceId: part.id,
            url: part.url,
            ...(part.title === undefined ? {} : { title: part.title }),
            ...metadata(part.providerMetadata),
          }
        : {
            type: 'source-document',
            sourceId: part.id,
            mediaType: part.mediaType,
            title: part.title,
            ...(part.filename === undefined ? {} : { filename: part.filename }),
            ...metadata(part.providerMetadata),
          };
    case 'file':
      return {
        type: 'file',
        url: `data:${part.file.mediaType};base64,${part.file.base64}`,
        mediaType: part.file.mediaType,
        ...metadata(part.providerMetadata),
      };
    case 'start-step':
      return { type: 'start-step' };
    case 'finish-step':
      return { type: 'finish-step' };
    default:
      return undefined;
  }
}
