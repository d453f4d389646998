import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  ChatActionRequiredEvent,
  ChatErrorEvent,
  ChatErrorInfo,
  ChatErrorKind,
  ChatHistoryResetEvent,
  ChatMessage,
  ChatMessageContent,
  ChatMessageEvent,
  ChatMessagePart,
  ChatMessagePartEvent,
  ChatMessageRole,
  ChatMessageUsage,
  ChatPreviewResetEvent,
  ChatQueueUpdateEvent,
  ChatRetryEvent,
  ChatStatus,
  ChatStatusEvent,
  ChatStreamEvent,
  ChatStreamPart,
  chatActionRequiredEventSchema,
  chatErrorEventSchema,
  chatErrorInfoSchema,
  chatErrorKindSchema,
  chatHistoryResetEventSchema,
  chatMessageContentSchema,
  chatMessageEventSchema,
  chatMessagePartEventSchema,
  chatMessagePartSchema,
  chatMessageRoleSchema,
  chatMessageSchema,
  chatMessageUsageSchema,
  chatPreviewResetEventSchema,
  chatQueueUpdateEventSchema,
  chatRetryEventSchema,
  chatStatusEventSchema,
  chatStatusSchema,
  chatStreamEventSchema,
  chatStreamPartSchema,
  FilePart,
  FileStreamPart,
  FinishStepStreamPart,
  filePartSchema,
  fileStreamPartSchema,
  finishStepStreamPartSchema,
  JsonValue,
  jsonValueSchema,
  PendingToolCall,
  ProviderMetadata,
  pendingToolCallSchema,
  providerMetadataSchema,
  QueuedChatMessage,
  queuedChatMessageSchema,
  ReasoningDeltaStreamPart,
  ReasoningEndStreamPart,
  ReasoningPart,
  ReasoningStartStreamPart,
  reasoningDeltaStreamPartSchema,
  reasoningEndStreamPartSchema,
  reasoningPartSchema,
  reasoningStartStreamPartSchema,
  SourceDocumentPart,
  SourceDocumentStreamPart,
  SourcePart,
  SourceUrlPart,
  SourceUrlStreamPart,
  StartStepStreamPart,
  StepStartPart,
  StoredChatMessageContent,
  StoredChatMessagePart,
  sourceDocumentPartSchema,
  sourceDocumentStreamPartSchema,
  sourcePartSchema,
  sourceUrlPartSchema,
  sourceUrlStreamPartSchema,
  startStepStreamPartSchema,
  stepStartPartSchema,
  storedChatMessageContentSchema,
  storedChatMessagePartSchema,
  TextDeltaStreamPart,
  TextEndStreamPart,
  TextPart,
  TextStartStreamPart,
  ToolCallPart,
  ToolInputAvailableStreamPart,
  ToolInputDeltaStreamPart,
  ToolInputStartStreamPart,
  ToolOutputAvailableStreamPart,
  ToolOutputErrorStreamPart,
  ToolResultPart,
  textDeltaStreamPartSchema,
  textEndStreamPartSchema,
  textPartSchema,
  textStartStreamPartSchema,
  toolCallPartSchema,
  toolInputAvailableStreamPartSchema,
  toolInputDeltaStreamPartSchema,
  toolInputStartStreamPartSchema,
  toolOutputAvailableStreamPartSchema,
  toolOutputErrorStreamPartSchema,
  toolResultPartSchema,
} from './index.js';

/*
 * Compile-time proof that every schema's output type and its hand-written interface are the
 * same type, so neither can drift: `tsc --noEmit` (and vitest's typecheck, where enabled) fails
 * on any mismatch, including optionality (`exactOptionalPropertyTypes` is on). The `it` blocks
 * exist so each check is reported by name; the checks themselves are in the types.
 */
describe('schemas and interfaces agree', () => {
  it('json, provider metadata and enums', () => {
    expectTypeOf<z.output<typeof jsonValueSchema>>().toEqualTypeOf<JsonValue>();
    expectTypeOf<z.output<typeof providerMetadataSchema>>().toEqualTypeOf<ProviderMetadata>();
    expectTypeOf<z.output<typeof chatMessageRoleSchema>>().toEqualTypeOf<ChatMessageRole>();
    expectTypeOf<z.output<typeof chatStatusSchema>>().toEqualTypeOf<ChatStatus>();
    expectTypeOf<z.output<typeof chatErrorKindSchema>>().toEqualTypeOf<ChatErrorKind>();
    expectTypeOf<z.output<typeof chatErrorInfoSchema>>().toEqualTypeOf<ChatErrorInfo>();
  });

  it('durable message parts and content', () => {
    expectTypeOf<z.output<typeof textPartSchema>>().toEqualTypeOf<TextPart>();
    expectTypeOf<z.output<typeof reasoningPartSchema>>().toEqualTypeOf<ReasoningPart>();
    expectTypeOf<z.output<typeof toolCallPartSchema>>().toEqualTypeOf<ToolCallPart>();
    expectTypeOf<z.output<typeof toolResultPartSchema>>().toEqualTypeOf<ToolResultPart>();
    expectTypeOf<z.output<typeof filePartSchema>>().toEqualTypeOf<FilePart>();
    expectTypeOf<z.output<typeof sourceUrlPartSchema>>().toEqualTypeOf<SourceUrlPart>();
    expectTypeOf<z.output<typeof sourceDocumentPartSchema>>().toEqualTypeOf<SourceDocumentPart>();
    expectTypeOf<z.output<typeof sourcePartSchema>>().toEqualTypeOf<SourcePart>();
    expectTypeOf<z.output<typeof stepStartPartSchema>>().toEqualTypeOf<StepStartPart>();
    expectTypeOf<z.output<typeof chatMessagePartSchema>>().toEqualTypeOf<ChatMessagePart>();
    expectTypeOf<
      z.output<typeof storedChatMessagePartSchema>
    >().toEqualTypeOf<StoredChatMessagePart>();
    expectTypeOf<z.output<typeof chatMessageContentSchema>>().toEqualTypeOf<ChatMessageContent>();
    expectTypeOf<
      z.output<typeof storedChatMessageContentSchema>
    >().toEqualTypeOf<StoredChatMessageContent>();
  });

  it('stream parts', () => {
    expectTypeOf<z.output<typeof textStartStreamPartSchema>>().toEqualTypeOf<TextStartStreamPart>();
    expectTypeOf<z.output<typeof textDeltaStreamPartSchema>>().toEqualTypeOf<TextDeltaStreamPart>();
    expectTypeOf<z.output<typeof textEndStreamPartSchema>>().toEqualTypeOf<TextEndStreamPart>();
    expectTypeOf<
      z.output<typeof reasoningStartStreamPartSchema>
    >().toEqualTypeOf<ReasoningStartStreamPart>();
    expectTypeOf<
      z.output<typeof reasoningDeltaStreamPartSchema>
    >().toEqualTypeOf<ReasoningDeltaStreamPart>();
    expectTypeOf<
      z.output<typeof reasoningEndStreamPartSchema>
    >().toEqualTypeOf<ReasoningEndStreamPart>();
    expectTypeOf<
      z.output<typeof toolInputStartStreamPartSchema>
    >().toEqualTypeOf<ToolInputStartStreamPart>();
    expectTypeOf<
      z.output<typeof toolInputDeltaStreamPartSchema>
    >().toEqualTypeOf<ToolInputDeltaStreamPart>();
    expectTypeOf<
      z.output<typeof toolInputAvailableStreamPartSchema>
    >().toEqualTypeOf<ToolInputAvailableStreamPart>();
    expectTypeOf<
      z.output<typeof toolOutputAvailableStreamPartSchema>
    >().toEqualTypeOf<ToolOutputAvailableStreamPart>();
    expectTypeOf<
      z.output<typeof toolOutputErrorStreamPartSchema>
    >().toEqualTypeOf<ToolOutputErrorStreamPart>();
    expectTypeOf<z.output<typeof fileStreamPartSchema>>().toEqualTypeOf<FileStreamPart>();
    expectTypeOf<z.output<typeof sourceUrlStreamPartSchema>>().toEqualTypeOf<SourceUrlStreamPart>();
    expectTypeOf<
      z.output<typeof sourceDocumentStreamPartSchema>
    >().toEqualTypeOf<SourceDocumentStreamPart>();
    expectTypeOf<z.output<typeof startStepStreamPartSchema>>().toEqualTypeOf<StartStepStreamPart>();
    expectTypeOf<
      z.output<typeof finishStepStreamPartSchema>
    >().toEqualTypeOf<FinishStepStreamPart>();
    expectTypeOf<z.output<typeof chatStreamPartSchema>>().toEqualTypeOf<ChatStreamPart>();
  });

  it('messages and stream events', () => {
    expectTypeOf<z.output<typeof chatMessageUsageSchema>>().toEqualTypeOf<ChatMessageUsage>();
    expectTypeOf<z.output<typeof chatMessageSchema>>().toEqualTypeOf<ChatMessage>();
    expectTypeOf<z.output<typeof queuedChatMessageSchema>>().toEqualTypeOf<QueuedChatMessage>();
    expectTypeOf<z.output<typeof pendingToolCallSchema>>().toEqualTypeOf<PendingToolCall>();
    expectTypeOf<
      z.output<typeof chatMessagePartEventSchema>
    >().toEqualTypeOf<ChatMessagePartEvent>();
    expectTypeOf<z.output<typeof chatMessageEventSchema>>().toEqualTypeOf<ChatMessageEvent>();
    expectTypeOf<z.output<typeof chatStatusEventSchema>>().toEqualTypeOf<ChatStatusEvent>();
    expectTypeOf<z.output<typeof chatErrorEventSchema>>().toEqualTypeOf<ChatErrorEvent>();
    expectTypeOf<z.output<typeof chatRetryEventSchema>>().toEqualTypeOf<ChatRetryEvent>();
    expectTypeOf<
      z.output<typeof chatQueueUpdateEventSchema>
    >().toEqualTypeOf<ChatQueueUpdateEvent>();
    expectTypeOf<
      z.output<typeof chatActionRequiredEventSchema>
    >().toEqualTypeOf<ChatActionRequiredEvent>();
    expectTypeOf<
      z.output<typeof chatPreviewResetEventSchema>
    >().toEqualTypeOf<ChatPreviewResetEvent>();
    expectTypeOf<
      z.output<typeof chatHistoryResetEventSchema>
    >().toEqualTypeOf<ChatHistoryResetEvent>();
    expectTypeOf<z.output<typeof chatStreamEventSchema>>().toEqualTypeOf<ChatStreamEvent>();
  });

  it('write-path content is assignable to read-path content', () => {
    expectTypeOf<ChatMessageContent>().toExtend<StoredChatMessageContent>();
    expectTypeOf<ChatMessagePart>().toExtend<StoredChatMessagePart>();
  });
});
