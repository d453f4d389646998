import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  ChatMessage,
  chatMessageSchema,
  QueuedChatMessage,
  queuedChatMessageSchema,
} from './chat-message.js';
import type { ChatStatus, chatStatusSchema } from './chat-status.js';
import type { CHAT_ERROR_KINDS, ChatErrorKind, chatErrorKindSchema } from './error-info.js';
import type {
  ChatErrorInfo,
  ChatMessageContent,
  ChatMessagePart,
  ChatMessageUsage,
  ChatStreamEvent,
  ChatStreamPart,
  chatErrorInfoSchema,
  chatMessageContentSchema,
  chatMessageUsageSchema,
  JsonValue,
  jsonValueSchema,
  PendingToolCall,
  ProviderMetadata,
  StoredChatMessageContent,
  StoredChatMessagePart,
  ToolCallPart,
  ToolResultPart,
} from './index.js';
import type { storedChatMessageContentSchema } from './message-content.js';
import type { chatMessagePartSchema, storedChatMessagePartSchema } from './message-part.js';
import type { ChatMessageRole, chatMessageRoleSchema } from './message-role.js';
import type { optionalProviderMetadataSchema } from './provider-metadata.js';
import type { chatStreamEventSchema } from './stream-event.js';
import type { chatStreamPartSchema } from './stream-part.js';

/*
 * Every schema's output type and its hand-written type are the same type, so neither can drift,
 * optionality included (`exactOptionalPropertyTypes` is on). `vitest run` type-checks this file
 * and reports each `it` as a test; a mismatch fails it.
 */

/** One member of a union discriminated by `type`. */
type Member<Union, Type> = Extract<Union, { type: Type }>;

describe('schemas and types agree', () => {
  it('json, provider metadata and enums', () => {
    expectTypeOf<z.output<typeof jsonValueSchema>>().toEqualTypeOf<JsonValue>();
    expectTypeOf<
      z.output<typeof optionalProviderMetadataSchema>
    >().toEqualTypeOf<ProviderMetadata>();
    expectTypeOf<z.output<typeof chatMessageRoleSchema>>().toEqualTypeOf<ChatMessageRole>();
    expectTypeOf<z.output<typeof chatStatusSchema>>().toEqualTypeOf<ChatStatus>();
    expectTypeOf<(typeof CHAT_ERROR_KINDS)[number]>().toEqualTypeOf<ChatErrorKind>();
    expectTypeOf<z.output<typeof chatErrorKindSchema>>().toEqualTypeOf<ChatErrorKind>();
    expectTypeOf<z.output<typeof chatErrorInfoSchema>>().toEqualTypeOf<ChatErrorInfo>();
  });

  it('durable message parts, one member at a time', () => {
    type Output = z.output<typeof chatMessagePartSchema>;
    expectTypeOf<Member<Output, 'text'>>().toEqualTypeOf<Member<ChatMessagePart, 'text'>>();
    expectTypeOf<Member<Output, 'reasoning'>>().toEqualTypeOf<
      Member<ChatMessagePart, 'reasoning'>
    >();
    expectTypeOf<Member<Output, 'tool-call'>>().toEqualTypeOf<ToolCallPart>();
    expectTypeOf<Member<Output, 'tool-result'>>().toEqualTypeOf<ToolResultPart>();
    expectTypeOf<Member<Output, 'file'>>().toEqualTypeOf<Member<ChatMessagePart, 'file'>>();
    expectTypeOf<Member<Output, 'source'>>().toEqualTypeOf<Member<ChatMessagePart, 'source'>>();
    expectTypeOf<Member<Output, 'step-start'>>().toEqualTypeOf<
      Member<ChatMessagePart, 'step-start'>
    >();
    expectTypeOf<Output>().toEqualTypeOf<ChatMessagePart>();
  });

  it('stored parts and content', () => {
    expectTypeOf<
      z.output<typeof storedChatMessagePartSchema>
    >().toEqualTypeOf<StoredChatMessagePart>();
    expectTypeOf<z.output<typeof chatMessageContentSchema>>().toEqualTypeOf<ChatMessageContent>();
    expectTypeOf<
      z.output<typeof storedChatMessageContentSchema>
    >().toEqualTypeOf<StoredChatMessageContent>();
  });

  it('stream parts, one member at a time', () => {
    type Output = z.output<typeof chatStreamPartSchema>;
    expectTypeOf<Member<Output, 'text-start'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'text-start'>
    >();
    expectTypeOf<Member<Output, 'text-delta'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'text-delta'>
    >();
    expectTypeOf<Member<Output, 'text-end'>>().toEqualTypeOf<Member<ChatStreamPart, 'text-end'>>();
    expectTypeOf<Member<Output, 'reasoning-start'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'reasoning-start'>
    >();
    expectTypeOf<Member<Output, 'reasoning-delta'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'reasoning-delta'>
    >();
    expectTypeOf<Member<Output, 'reasoning-end'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'reasoning-end'>
    >();
    expectTypeOf<Member<Output, 'tool-input-start'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'tool-input-start'>
    >();
    expectTypeOf<Member<Output, 'tool-input-delta'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'tool-input-delta'>
    >();
    expectTypeOf<Member<Output, 'tool-input-available'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'tool-input-available'>
    >();
    expectTypeOf<Member<Output, 'tool-output-available'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'tool-output-available'>
    >();
    expectTypeOf<Member<Output, 'tool-output-error'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'tool-output-error'>
    >();
    expectTypeOf<Member<Output, 'file'>>().toEqualTypeOf<Member<ChatStreamPart, 'file'>>();
    expectTypeOf<Member<Output, 'source-url'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'source-url'>
    >();
    expectTypeOf<Member<Output, 'source-document'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'source-document'>
    >();
    expectTypeOf<Member<Output, 'start-step'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'start-step'>
    >();
    expectTypeOf<Member<Output, 'finish-step'>>().toEqualTypeOf<
      Member<ChatStreamPart, 'finish-step'>
    >();
    expectTypeOf<Output>().toEqualTypeOf<ChatStreamPart>();
  });

  it('messages and stream events, one member at a time', () => {
    type Output = z.output<typeof chatStreamEventSchema>;
    expectTypeOf<z.output<typeof chatMessageUsageSchema>>().toEqualTypeOf<ChatMessageUsage>();
    expectTypeOf<z.output<typeof chatMessageSchema>>().toEqualTypeOf<ChatMessage>();
    expectTypeOf<z.output<typeof queuedChatMessageSchema>>().toEqualTypeOf<QueuedChatMessage>();
    expectTypeOf<
      Member<Output, 'action-required'>['toolCalls'][number]
    >().toEqualTypeOf<PendingToolCall>();
    expectTypeOf<Member<Output, 'message-part'>>().toEqualTypeOf<
      Member<ChatStreamEvent, 'message-part'>
    >();
    expectTypeOf<Member<Output, 'message'>>().toEqualTypeOf<Member<ChatStreamEvent, 'message'>>();
    expectTypeOf<Member<Output, 'status'>>().toEqualTypeOf<Member<ChatStreamEvent, 'status'>>();
    expectTypeOf<Member<Output, 'error'>>().toEqualTypeOf<Member<ChatStreamEvent, 'error'>>();
    expectTypeOf<Member<Output, 'retry'>>().toEqualTypeOf<Member<ChatStreamEvent, 'retry'>>();
    expectTypeOf<Member<Output, 'queue-update'>>().toEqualTypeOf<
      Member<ChatStreamEvent, 'queue-update'>
    >();
    expectTypeOf<Member<Output, 'action-required'>>().toEqualTypeOf<
      Member<ChatStreamEvent, 'action-required'>
    >();
    expectTypeOf<Member<Output, 'preview-reset'>>().toEqualTypeOf<
      Member<ChatStreamEvent, 'preview-reset'>
    >();
    expectTypeOf<Member<Output, 'history-reset'>>().toEqualTypeOf<
      Member<ChatStreamEvent, 'history-reset'>
    >();
    expectTypeOf<Output>().toEqualTypeOf<ChatStreamEvent>();
  });

  it('write-path content is assignable to read-path content', () => {
    expectTypeOf<ChatMessageContent>().toExtend<StoredChatMessageContent>();
    expectTypeOf<ChatMessagePart>().toExtend<StoredChatMessagePart>();
  });
});
