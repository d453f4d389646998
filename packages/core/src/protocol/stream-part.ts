import { z } from 'zod';
import {
  fileUrlSchema,
  identifierSchema,
  mediaTypeSchema,
  unknownDiscriminatorMessage,
  webUrlSchema,
} from './common.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { type ProviderMetadata, providerMetadataSchema } from './provider-metadata.js';

/**
 * Every {@link ChatStreamPart} `type` this version knows. Each is an AI SDK UI message stream
 * chunk type with the same name and fields, so a stream maps onto AI SDK chunks one to one.
 */
export const CHAT_STREAM_PART_TYPES = [
  'text-start',
  'text-delta',
  'text-end',
  'reasoning-start',
  'reasoning-delta',
  'reasoning-end',
  'tool-input-start',
  'tool-input-delta',
  'tool-input-available',
  'tool-output-available',
  'tool-output-error',
  'file',
  'source-url',
  'source-document',
  'start-step',
  'finish-step',
] as const;

/** The `type` of a {@link ChatStreamPart}. */
export type ChatStreamPartType = (typeof CHAT_STREAM_PART_TYPES)[number];

/** Opens a text part; `text-delta`s with the same `id` follow, then a `text-end`. */
export interface TextStartStreamPart {
  /** Discriminator. */
  type: 'text-start';
  /** Id of the text part, unique within the message. */
  id: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** Appends text to the open text part with the same `id`. */
export interface TextDeltaStreamPart {
  /** Discriminator. */
  type: 'text-delta';
  /** Id of the open text part. */
  id: string;
  /** The text to append; may be empty. */
  delta: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** Closes the text part with the same `id`. */
export interface TextEndStreamPart {
  /** Discriminator. */
  type: 'text-end';
  /** Id of the text part. */
  id: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** Opens a reasoning part; `reasoning-delta`s with the same `id` follow, then a `reasoning-end`. */
export interface ReasoningStartStreamPart {
  /** Discriminator. */
  type: 'reasoning-start';
  /** Id of the reasoning part, unique within the message. */
  id: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** Appends reasoning text to the open reasoning part with the same `id`. */
export interface ReasoningDeltaStreamPart {
  /** Discriminator. */
  type: 'reasoning-delta';
  /** Id of the open reasoning part. */
  id: string;
  /** The reasoning text to append; may be empty. */
  delta: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/**
 * Closes the reasoning part with the same `id`. Providers often send the reasoning signature
 * here, in `providerMetadata`.
 */
export interface ReasoningEndStreamPart {
  /** Discriminator. */
  type: 'reasoning-end';
  /** Id of the reasoning part. */
  id: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** The model started a tool call whose input will stream in `tool-input-delta`s. */
export interface ToolInputStartStreamPart {
  /** Discriminator. */
  type: 'tool-input-start';
  /** Id of the tool call, unique within the chat. */
  toolCallId: string;
  /** Name of the tool called. */
  toolName: string;
  /**
   * Whether the provider executes the tool itself.
   * @default false
   */
  providerExecuted?: boolean;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
  /**
   * Whether the tool is dynamic (see `ToolCallPart.dynamic`).
   * @default false
   */
  dynamic?: boolean;
  /** A human-readable title for the call, when the tool defines one. */
  title?: string;
}

/** A fragment of a tool call's input JSON text; the fragments concatenate to the input. */
export interface ToolInputDeltaStreamPart {
  /** Discriminator. */
  type: 'tool-input-delta';
  /** Id of the tool call. */
  toolCallId: string;
  /** The next fragment of the input's JSON text. */
  inputTextDelta: string;
}

/**
 * A tool call's input is complete. May come without a preceding `tool-input-start` when the
 * provider does not stream inputs.
 */
export interface ToolInputAvailableStreamPart {
  /** Discriminator. */
  type: 'tool-input-available';
  /** Id of the tool call. */
  toolCallId: string;
  /** Name of the tool called. */
  toolName: string;
  /** The complete input, parsed. */
  input: JsonValue;
  /**
   * Whether the provider executes the tool itself.
   * @default false
   */
  providerExecuted?: boolean;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
  /**
   * Whether the tool is dynamic (see `ToolCallPart.dynamic`).
   * @default false
   */
  dynamic?: boolean;
  /** A human-readable title for the call, when the tool defines one. */
  title?: string;
}

/** A tool call succeeded (or, with `preliminary`, reported progress). */
export interface ToolOutputAvailableStreamPart {
  /** Discriminator. */
  type: 'tool-output-available';
  /** Id of the tool call this answers; it appeared earlier in the message. */
  toolCallId: string;
  /** What the tool returned. */
  output: JsonValue;
  /**
   * Whether the provider executed the tool.
   * @default false
   */
  providerExecuted?: boolean;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
  /**
   * Whether the tool is dynamic (see `ToolCallPart.dynamic`).
   * @default false
   */
  dynamic?: boolean;
  /**
   * Whether this is an intermediate output a later `tool-output-available` replaces.
   * @default false
   */
  preliminary?: boolean;
}

/**
 * A tool call failed. Not fatal to the chat: the model sees the error and carries on (fatal
 * errors travel as `error` stream events instead).
 */
export interface ToolOutputErrorStreamPart {
  /** Discriminator. */
  type: 'tool-output-error';
  /** Id of the tool call this answers; it appeared earlier in the message. */
  toolCallId: string;
  /** What went wrong, for the model and the user. */
  errorText: string;
  /**
   * Whether the provider executed the tool.
   * @default false
   */
  providerExecuted?: boolean;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
  /**
   * Whether the tool is dynamic (see `ToolCallPart.dynamic`).
   * @default false
   */
  dynamic?: boolean;
}

/** A file the model produced. */
export interface FileStreamPart {
  /** Discriminator. */
  type: 'file';
  /** Where the file can be fetched: an absolute `http(s):` URL, or a `data:` URL (inline). */
  url: string;
  /** The file's media type, e.g. `image/png`. */
  mediaType: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** The model cited a web page. */
export interface SourceUrlStreamPart {
  /** Discriminator. */
  type: 'source-url';
  /** Id of the source, unique within the message. */
  sourceId: string;
  /** The page's URL: absolute, `http:` or `https:`. */
  url: string;
  /** The page's title, when known. */
  title?: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** The model cited a document. */
export interface SourceDocumentStreamPart {
  /** Discriminator. */
  type: 'source-document';
  /** Id of the source, unique within the message. */
  sourceId: string;
  /** The document's media type, e.g. `application/pdf`. */
  mediaType: string;
  /** The document's title. */
  title: string;
  /** The document's file name, when known. */
  filename?: string;
  /** Provider-specific data (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** A model call (step) begins; multi-step tool loops hold several steps in one message. */
export interface StartStepStreamPart {
  /** Discriminator. */
  type: 'start-step';
}

/** The current model call (step) ended; open text and reasoning parts are closed. */
export interface FinishStepStreamPart {
  /** Discriminator. */
  type: 'finish-step';
}

/**
 * One streamed piece of an in-flight message: the preview subscribers see before the message
 * is committed. Names, fields and optionality are the AI SDK UI message stream chunks'
 * (`ai@5` to `ai@7`), so an AI SDK adapter forwards them unchanged; the message-level chunks
 * (`start`, `finish`, `abort`, `error`, metadata) are not parts and travel as stream events.
 */
export type ChatStreamPart =
  | TextStartStreamPart
  | TextDeltaStreamPart
  | TextEndStreamPart
  | ReasoningStartStreamPart
  | ReasoningDeltaStreamPart
  | ReasoningEndStreamPart
  | ToolInputStartStreamPart
  | ToolInputDeltaStreamPart
  | ToolInputAvailableStreamPart
  | ToolOutputAvailableStreamPart
  | ToolOutputErrorStreamPart
  | FileStreamPart
  | SourceUrlStreamPart
  | SourceDocumentStreamPart
  | StartStepStreamPart
  | FinishStepStreamPart;

const optionalProviderMetadata = providerMetadataSchema.exactOptional();
const optionalFlag = z.boolean().exactOptional();

/** Schema of {@link TextStartStreamPart}. Rejects unknown fields. */
export const textStartStreamPartSchema = z.strictObject({
  type: z.literal('text-start'),
  id: identifierSchema,
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<TextStartStreamPart>;

/** Schema of {@link TextDeltaStreamPart}. Rejects unknown fields. */
export const textDeltaStreamPartSchema = z.strictObject({
  type: z.literal('text-delta'),
  id: identifierSchema,
  delta: z.string(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<TextDeltaStreamPart>;

/** Schema of {@link TextEndStreamPart}. Rejects unknown fields. */
export const textEndStreamPartSchema = z.strictObject({
  type: z.literal('text-end'),
  id: identifierSchema,
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<TextEndStreamPart>;

/** Schema of {@link ReasoningStartStreamPart}. Rejects unknown fields. */
export const reasoningStartStreamPartSchema = z.strictObject({
  type: z.literal('reasoning-start'),
  id: identifierSchema,
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ReasoningStartStreamPart>;

/** Schema of {@link ReasoningDeltaStreamPart}. Rejects unknown fields. */
export const reasoningDeltaStreamPartSchema = z.strictObject({
  type: z.literal('reasoning-delta'),
  id: identifierSchema,
  delta: z.string(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ReasoningDeltaStreamPart>;

/** Schema of {@link ReasoningEndStreamPart}. Rejects unknown fields. */
export const reasoningEndStreamPartSchema = z.strictObject({
  type: z.literal('reasoning-end'),
  id: identifierSchema,
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ReasoningEndStreamPart>;

/** Schema of {@link ToolInputStartStreamPart}. Rejects unknown fields. */
export const toolInputStartStreamPartSchema = z.strictObject({
  type: z.literal('tool-input-start'),
  toolCallId: identifierSchema,
  toolName: identifierSchema,
  providerExecuted: optionalFlag,
  providerMetadata: optionalProviderMetadata,
  dynamic: optionalFlag,
  title: z.string().exactOptional(),
}) satisfies z.ZodType<ToolInputStartStreamPart>;

/** Schema of {@link ToolInputDeltaStreamPart}. Rejects unknown fields. */
export const toolInputDeltaStreamPartSchema = z.strictObject({
  type: z.literal('tool-input-delta'),
  toolCallId: identifierSchema,
  inputTextDelta: z.string(),
}) satisfies z.ZodType<ToolInputDeltaStreamPart>;

/** Schema of {@link ToolInputAvailableStreamPart}. Rejects unknown fields. */
export const toolInputAvailableStreamPartSchema = z.strictObject({
  type: z.literal('tool-input-available'),
  toolCallId: identifierSchema,
  toolName: identifierSchema,
  input: jsonValueSchema,
  providerExecuted: optionalFlag,
  providerMetadata: optionalProviderMetadata,
  dynamic: optionalFlag,
  title: z.string().exactOptional(),
}) satisfies z.ZodType<ToolInputAvailableStreamPart>;

/** Schema of {@link ToolOutputAvailableStreamPart}. Rejects unknown fields. */
export const toolOutputAvailableStreamPartSchema = z.strictObject({
  type: z.literal('tool-output-available'),
  toolCallId: identifierSchema,
  output: jsonValueSchema,
  providerExecuted: optionalFlag,
  providerMetadata: optionalProviderMetadata,
  dynamic: optionalFlag,
  preliminary: optionalFlag,
}) satisfies z.ZodType<ToolOutputAvailableStreamPart>;

/** Schema of {@link ToolOutputErrorStreamPart}. Rejects unknown fields. */
export const toolOutputErrorStreamPartSchema = z.strictObject({
  type: z.literal('tool-output-error'),
  toolCallId: identifierSchema,
  errorText: z.string(),
  providerExecuted: optionalFlag,
  providerMetadata: optionalProviderMetadata,
  dynamic: optionalFlag,
}) satisfies z.ZodType<ToolOutputErrorStreamPart>;

/** Schema of {@link FileStreamPart}. Rejects unknown fields. */
export const fileStreamPartSchema = z.strictObject({
  type: z.literal('file'),
  url: fileUrlSchema,
  mediaType: mediaTypeSchema,
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<FileStreamPart>;

/** Schema of {@link SourceUrlStreamPart}. Rejects unknown fields. */
export const sourceUrlStreamPartSchema = z.strictObject({
  type: z.literal('source-url'),
  sourceId: identifierSchema,
  url: webUrlSchema,
  title: z.string().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<SourceUrlStreamPart>;

/** Schema of {@link SourceDocumentStreamPart}. Rejects unknown fields. */
export const sourceDocumentStreamPartSchema = z.strictObject({
  type: z.literal('source-document'),
  sourceId: identifierSchema,
  mediaType: mediaTypeSchema,
  title: z.string(),
  filename: z.string().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<SourceDocumentStreamPart>;

/** Schema of {@link StartStepStreamPart}. Rejects unknown fields. */
export const startStepStreamPartSchema = z.strictObject({
  type: z.literal('start-step'),
}) satisfies z.ZodType<StartStepStreamPart>;

/** Schema of {@link FinishStepStreamPart}. Rejects unknown fields. */
export const finishStepStreamPartSchema = z.strictObject({
  type: z.literal('finish-step'),
}) satisfies z.ZodType<FinishStepStreamPart>;

/**
 * Schema of {@link ChatStreamPart}: rejects unknown part types, missing or invalid fields and
 * unknown fields.
 */
export const chatStreamPartSchema = z.discriminatedUnion(
  'type',
  [
    textStartStreamPartSchema,
    textDeltaStreamPartSchema,
    textEndStreamPartSchema,
    reasoningStartStreamPartSchema,
    reasoningDeltaStreamPartSchema,
    reasoningEndStreamPartSchema,
    toolInputStartStreamPartSchema,
    toolInputDeltaStreamPartSchema,
    toolInputAvailableStreamPartSchema,
    toolOutputAvailableStreamPartSchema,
    toolOutputErrorStreamPartSchema,
    fileStreamPartSchema,
    sourceUrlStreamPartSchema,
    sourceDocumentStreamPartSchema,
    startStepStreamPartSchema,
    finishStepStreamPartSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage(
            'stream part type',
            issue.input,
            'type',
            CHAT_STREAM_PART_TYPES,
          )
        : undefined,
  },
) satisfies z.ZodType<ChatStreamPart>;
