import type { ChatMessagePart, JsonValue, StoredChatMessagePart } from '@chatd/core';
import type { ChatMessageRow } from '@chatd/message-store';
import type { ModelMessage, StepResult, ToolSet } from 'ai';
import { errorText, metadata, toJsonValue } from './stream-parts.js';

type Part<Type extends ChatMessagePart['type']> = Extract<ChatMessagePart, { type: Type }>;
type ToolResultPart = Part<'tool-result'>;

/** What one model step produced, as chatd stores it. */
export interface StepOutput {
  /** The assistant message's parts. */
  parts: ChatMessagePart[];
  /**
   * Error results for calls the AI SDK refused before any tool ran (an unknown tool name,
   * input that does not match the schema): committed as tool messages after the assistant
   * message, so the model sees the problem in its next step.
   */
  refusedCalls: ToolResultPart[];
}

/**
 * Maps a finished step's content to the parts stored in its assistant message. Calls of the
 * chat's client tools are marked `dynamic`, so chatd and clients know who answers them.
 */
export function toStepOutput(
  content: StepResult<ToolSet>['content'],
  dynamicToolNames: readonly string[],
): StepOutput {
  const parts: ChatMessagePart[] = [];
  const refusedCalls: ToolResultPart[] = [];
  for (const part of content) {
    switch (part.type) {
      case 'text':
        if (part.text !== '')
          parts.push({ type: 'text', text: part.text, ...metadata(part.providerMetadata) });
        break;
      case 'reasoning':
        parts.push({ type: 'reasoning', text: part.text, ...metadata(part.providerMetadata) });
        break;
      case 'source':
        parts.push(
          part.sourceType === 'url'
            ? {
                type: 'source',
                sourceType: 'url',
                sourceId: part.id,
                url: part.url,
                ...(part.title === undefined ? {} : { title: part.title }),
                ...metadata(part.providerMetadata),
              }
            : {
                type: 'source',
                sourceType: 'document',
                sourceId: part.id,
                mediaType: part.mediaType,
                title: part.title,
                ...(part.filename === undefined ? {} : { filename: part.filename }),
                ...metadata(part.providerMetadata),
              },
        );
        break;
      case 'file':
        parts.push({
          type: 'file',
          mediaType: part.file.mediaType,
          data: part.file.base64,
          ...metadata(part.providerMetadata),
        });
        break;
      case 'tool-call':
        parts.push({
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: toJsonValue(part.input),
          ...(part.providerExecuted === true ? { providerExecuted: true } : {}),
          ...(dynamicToolNames.includes(part.toolName) ? { dynamic: true } : {}),
          ...(part.title === undefined ? {} : { title: part.title }),
          ...metadata(part.providerMetadata),
        });
        break;
      case 'tool-result':
        // Only provider-executed tools have results inside a step: chatd gives the model its
        // own tools without `execute`.
        parts.push({
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output: toJsonValue(part.output),
          providerExecuted: true,
          ...metadata(part.providerMetadata),
        });
        break;
      case 'tool-error': {
        const result: ToolResultPart = {
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output: errorText(part.error),
          isError: true,
        };
        if (part.providerExecuted === true) parts.push({ ...result, providerExecuted: true });
        else refusedCalls.push(result);
        break;
      }
      default:
        break;
    }
  }
  return { parts, refusedCalls };
}

/** AI SDK per-part provider options from stored provider metadata (same shape). */
function options(part: { providerMetadata?: unknown }) {
  return part.providerMetadata === undefined
    ? {}
    : { providerOptions: part.providerMetadata as Record<string, Record<string, JsonValue>> };
}

function toolOutput(part: ToolResultPart) {
  const { output } = part;
  if (part.isError === true) {
    return typeof output === 'string'
      ? { type: 'error-text' as const, value: output }
      : { type: 'error-json' as const, value: output };
  }
  return typeof output === 'string'
    ? { type: 'text' as const, value: output }
    : { type: 'json' as const, value: output };
}

function known<Type extends ChatMessagePart['type']>(
  part: StoredChatMessagePart,
  type: Type,
): part is Part<Type> {
  return part.type === type;
}

type UserContent = Exclude<Extract<ModelMessage, { role: 'user' }>['content'], string>;
type AssistantContent = Exclude<Extract<ModelMessage, { role: 'assistant' }>['content'], string>;
type ToolContent = Extract<ModelMessage, { role: 'tool' }>['content'];

function userContent(parts: readonly StoredChatMessagePart[]): UserContent {
  const content: UserContent = [];
  for (const part of parts) {
    if (known(part, 'text')) content.push({ type: 'text', text: part.text, ...options(part) });
    if (known(part, 'file')) {
      const data = part.url === undefined ? part.data : new URL(part.url);
      if (data === undefined) continue;
      content.push({
        type: 'file',
        data,
        mediaType: part.mediaType,
        ...(part.filename === undefined ? {} : { filename: part.filename }),
        ...options(part),
      });
    }
  }
  return content;
}

function assistantContent(parts: readonly StoredChatMessagePart[]): AssistantContent {
  const content: AssistantContent = [];
  for (const part of parts) {
    if (known(part, 'text')) content.push({ type: 'text', text: part.text, ...options(part) });
    else if (known(part, 'reasoning')) {
      content.push({ type: 'reasoning', text: part.text, ...options(part) });
    } else if (known(part, 'tool-call')) {
      content.push({
        type: 'tool-call',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: part.input,
        ...(part.providerExecuted === true ? { providerExecuted: true } : {}),
        ...options(part),
      });
    } else if (known(part, 'tool-result')) {
      content.push({
        type: 'tool-result',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        output: toolOutput(part),
        ...options(part),
      });
    } else if (known(part, 'file') && part.data !== undefined) {
      content.push({ type: 'file', data: part.data, mediaType: part.mediaType, ...options(part) });
    }
  }
  return content;
}

function toolContent(parts: readonly StoredChatMessagePart[]): ToolContent {
  const content: ToolContent = [];
  for (const part of parts) {
    if (!known(part, 'tool-result')) continue;
    content.push({
      type: 'tool-result',
      toolCallId: part.toolCallId,
      toolName: part.toolName,
      output: toolOutput(part),
      ...options(part),
    });
  }
  return content;
}

/**
 * The prompt of a model call from stored messages, in order. Parts the model cannot take
 * (sources, step markers, parts of types this version does not know) are left out, and a
 * message left without content is skipped.
 */
export function toModelMessages(
  history: readonly Pick<ChatMessageRow, 'role' | 'content'>[],
): ModelMessage[] {
  const messages: ModelMessage[] = [];
  for (const message of history) {
    const parts = message.content.parts;
    if (message.role === 'system') {
      const text = parts
        .filter((part) => known(part, 'text'))
        .map((part) => (part as Part<'text'>).text)
        .join('\n');
      if (text !== '') messages.push({ role: 'system', content: text });
    } else if (message.role === 'user') {
      const content = userContent(parts);
      if (content.length > 0) messages.push({ role: 'user', content });
    } else if (message.role === 'assistant') {
      const content = assistantContent(parts);
      if (content.length > 0) messages.push({ role: 'assistant', content });
    } else if (message.role === 'tool') {
      const content = toolContent(parts);
      if (content.length > 0) messages.push({ role: 'tool', content });
    }
  }
  return messages;
}
