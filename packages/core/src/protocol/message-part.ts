import { z } from 'zod';
import {
  fileUrlSchema,
  hasOnlyUnrecognizedKeys,
  identifierSchema,
  mediaTypeSchema,
  timestampSchema,
  unknownDiscriminatorMessage,
  webUrlSchema,
} from './common.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { type ProviderMetadata, providerMetadataSchema } from './provider-metadata.js';

/** Every durable {@link ChatMessagePart} `type` this version knows. */
export const CHAT_MESSAGE_PART_TYPES = [
  'text',
  'reasoning',
  'tool-call',
  'tool-result',
  'file',
  'source',
  'step-start',
] as const;

/** The `type` of a known {@link ChatMessagePart}. */
export type ChatMessagePartType = (typeof CHAT_MESSAGE_PART_TYPES)[number];

/** Text the model produced or the user wrote. */
export interface TextPart {
  /** Discriminator. */
  type: 'text';
  /** The text; may be empty. */
  text: string;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/**
 * The model's reasoning ("thinking"). Its `providerMetadata` usually holds what the provider
 * needs to accept the reasoning back on the next turn (Anthropic's `signature`, OpenAI's
 * encrypted content and item id, Google's thought signature), so it must survive every rewrite.
 */
export interface ReasoningPart {
  /** Discriminator. */
  type: 'reasoning';
  /** The reasoning text; may be empty when the provider only returns an encrypted form. */
  text: string;
  /** When the model started reasoning (ISO 8601). Absent when unknown. */
  createdAt?: string;
  /** When the model finished reasoning (ISO 8601). Absent while streaming or when interrupted. */
  completedAt?: string;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** A call of a tool by the model, with its complete input. */
export interface ToolCallPart {
  /** Discriminator. */
  type: 'tool-call';
  /** Id of this call, unique within the chat; the matching {@link ToolResultPart} repeats it. */
  toolCallId: string;
  /** Name of the tool called. */
  toolName: string;
  /** The arguments the model passed, as JSON. */
  input: JsonValue;
  /** A human-readable title for the call, when the tool defines one. */
  title?: string;
  /**
   * Whether the provider executed the tool itself (web search, code execution); its result then
   * comes from the provider in the same assistant message.
   * @default false
   */
  providerExecuted?: boolean;
  /**
   * Whether the tool is dynamic: declared at run time rather than known to the client's code.
   * In chatd these are the client-executed tools: the client runs them and posts the results
   * back while the chat waits in `requires-action`. The AI SDK's flag of the same name (used for
   * any tool unknown to the client's static types) maps onto it one to one.
   * @default false
   */
  dynamic?: boolean;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** The result of a tool call. */
export interface ToolResultPart {
  /** Discriminator. */
  type: 'tool-result';
  /** Id of the {@link ToolCallPart} this answers. */
  toolCallId: string;
  /** Name of the tool that produced the result. */
  toolName: string;
  /** What the tool returned, or a description of its failure when `isError` is set. */
  output: JsonValue;
  /**
   * Whether the tool failed; `output` then describes the failure. The model still sees it: a
   * failed tool is not a failed chat.
   * @default false
   */
  isError?: boolean;
  /**
   * Whether the provider executed the tool (see {@link ToolCallPart.providerExecuted}).
   * @default false
   */
  providerExecuted?: boolean;
  /**
   * Whether the tool is dynamic (see {@link ToolCallPart.dynamic}).
   * @default false
   */
  dynamic?: boolean;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/**
 * A file: an image the user attached, an image the model generated. Exactly one of `data`
 * (inline, base64) or `url` (a reference, which may be a `data:` URL) is set.
 */
export interface FilePart {
  /** Discriminator. */
  type: 'file';
  /** The file's media type, e.g. `image/png`. */
  mediaType: string;
  /** The file's bytes, base64-encoded. Set when the file is stored inline; excludes `url`. */
  data?: string;
  /** Where the file can be fetched: an absolute `http(s):` or `data:` URL. Excludes `data`. */
  url?: string;
  /** The original file name, when known. */
  filename?: string;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** A web page the model cited (the AI SDK's `source-url`). */
export interface SourceUrlPart {
  /** Discriminator. */
  type: 'source';
  /** Second discriminator: a web page. */
  sourceType: 'url';
  /** Id of the source, unique within the message. */
  sourceId: string;
  /** The page's URL: absolute, `http:` or `https:`. */
  url: string;
  /** The page's title, when known. */
  title?: string;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** A document the model cited (the AI SDK's `source-document`). */
export interface SourceDocumentPart {
  /** Discriminator. */
  type: 'source';
  /** Second discriminator: a document. */
  sourceType: 'document';
  /** Id of the source, unique within the message. */
  sourceId: string;
  /** The document's media type, e.g. `application/pdf`. */
  mediaType: string;
  /** The document's title. */
  title: string;
  /** The document's file name, when known. */
  filename?: string;
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/** A source the model cited: a web page or a document, told apart by `sourceType`. */
export type SourcePart = SourceUrlPart | SourceDocumentPart;

/**
 * The start of a step: one model call within a multi-step (tool loop) assistant message. The
 * AI SDK renders step boundaries from it.
 */
export interface StepStartPart {
  /** Discriminator. */
  type: 'step-start';
  /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
  providerMetadata?: ProviderMetadata;
}

/**
 * One durable piece of a message's content, as stored and as sent in committed messages.
 * Discriminated by `type`; see {@link CHAT_MESSAGE_PART_TYPES}.
 */
export type ChatMessagePart =
  | TextPart
  | ReasoningPart
  | ToolCallPart
  | ToolResultPart
  | FilePart
  | SourcePart
  | StepStartPart;

/**
 * A part whose `type` this version does not know, written by a newer version. Tolerant reads
 * keep it verbatim (every field, in order) so that writing the content back does not lose it;
 * renderers skip it (see {@link isKnownChatMessagePart}).
 */
export interface UnknownChatMessagePart {
  /** A part type not in {@link CHAT_MESSAGE_PART_TYPES}. */
  type: string;
  /** Every other field of the part, as read. */
  [field: string]: unknown;
}

/** A part as read back from storage or the wire: a known part, or one from a newer version. */
export type StoredChatMessagePart = ChatMessagePart | UnknownChatMessagePart;

const optionalProviderMetadata = providerMetadataSchema.exactOptional();

/** Schema of {@link TextPart}. Rejects unknown fields. */
export const textPartSchema = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<TextPart>;

/** Schema of {@link ReasoningPart}. Rejects unknown fields. */
export const reasoningPartSchema = z.strictObject({
  type: z.literal('reasoning'),
  text: z.string(),
  createdAt: timestampSchema.exactOptional(),
  completedAt: timestampSchema.exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ReasoningPart>;

/** Schema of {@link ToolCallPart}. Rejects unknown fields. */
export const toolCallPartSchema = z.strictObject({
  type: z.literal('tool-call'),
  toolCallId: identifierSchema,
  toolName: identifierSchema,
  input: jsonValueSchema,
  title: z.string().exactOptional(),
  providerExecuted: z.boolean().exactOptional(),
  dynamic: z.boolean().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ToolCallPart>;

/** Schema of {@link ToolResultPart}. Rejects unknown fields. */
export const toolResultPartSchema = z.strictObject({
  type: z.literal('tool-result'),
  toolCallId: identifierSchema,
  toolName: identifierSchema,
  output: jsonValueSchema,
  isError: z.boolean().exactOptional(),
  providerExecuted: z.boolean().exactOptional(),
  dynamic: z.boolean().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<ToolResultPart>;

/** Schema of {@link FilePart}. Rejects unknown fields and requires exactly one of data or url. */
export const filePartSchema = z
  .strictObject({
    type: z.literal('file'),
    mediaType: mediaTypeSchema,
    data: z.base64({ error: 'expected base64-encoded data' }).exactOptional(),
    url: fileUrlSchema.exactOptional(),
    filename: z.string().exactOptional(),
    providerMetadata: optionalProviderMetadata,
  })
  .refine((part) => (part.data === undefined) !== (part.url === undefined), {
    message: 'expected exactly one of data or url',
  }) satisfies z.ZodType<FilePart>;

/** Schema of {@link SourceUrlPart}. Rejects unknown fields. */
export const sourceUrlPartSchema = z.strictObject({
  type: z.literal('source'),
  sourceType: z.literal('url'),
  sourceId: identifierSchema,
  url: webUrlSchema,
  title: z.string().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<SourceUrlPart>;

/** Schema of {@link SourceDocumentPart}. Rejects unknown fields. */
export const sourceDocumentPartSchema = z.strictObject({
  type: z.literal('source'),
  sourceType: z.literal('document'),
  sourceId: identifierSchema,
  mediaType: mediaTypeSchema,
  title: z.string(),
  filename: z.string().exactOptional(),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<SourceDocumentPart>;

/** Schema of {@link SourcePart}, discriminated by `sourceType`. */
export const sourcePartSchema = z.discriminatedUnion(
  'sourceType',
  [sourceUrlPartSchema, sourceDocumentPartSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('source type', issue.input, 'sourceType', ['url', 'document'])
        : undefined,
  },
) satisfies z.ZodType<SourcePart>;

/** Schema of {@link StepStartPart}. Rejects unknown fields. */
export const stepStartPartSchema = z.strictObject({
  type: z.literal('step-start'),
  providerMetadata: optionalProviderMetadata,
}) satisfies z.ZodType<StepStartPart>;

/**
 * Schema of {@link ChatMessagePart}, the strict write-path schema: rejects unknown part types,
 * missing or invalid fields and unknown fields.
 */
export const chatMessagePartSchema = z.discriminatedUnion(
  'type',
  [
    textPartSchema,
    reasoningPartSchema,
    toolCallPartSchema,
    toolResultPartSchema,
    filePartSchema,
    sourcePartSchema,
    stepStartPartSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('part type', issue.input, 'type', CHAT_MESSAGE_PART_TYPES)
        : undefined,
  },
) satisfies z.ZodType<ChatMessagePart>;

const knownPartTypes: ReadonlySet<string> = new Set(CHAT_MESSAGE_PART_TYPES);

/**
 * Whether `part` is one of the known {@link ChatMessagePart}s rather than an
 * {@link UnknownChatMessagePart} from a newer version. Narrows the type, so a renderer can
 * `switch (part.type)` exhaustively after it.
 *
 * Decides by `type` alone: tolerant reads never let a malformed part of a known type through.
 */
export function isKnownChatMessagePart(part: StoredChatMessagePart): part is ChatMessagePart {
  return knownPartTypes.has(part.type);
}

/**
 * Schema of {@link StoredChatMessagePart}, the tolerant read-path schema for one part.
 *
 * - A part of an unknown `type` is kept verbatim as an {@link UnknownChatMessagePart}.
 * - A part of a known type is validated by {@link chatMessagePartSchema}, except that fields
 *   this version does not know are kept rather than rejected (a newer version may have added
 *   optional fields; they survive a round trip).
 * - A part of a known type that is malformed (a missing or mistyped field) is an error: the
 *   write path validates strictly, so this means corruption or a bug, and letting it through
 *   would hand renderers a part whose `type` lies about its shape.
 * - A value that is not an object with a string `type` is an error.
 */
export const storedChatMessagePartSchema = z
  .looseObject({ type: z.string() })
  .transform((part, context): StoredChatMessagePart => {
    if (!knownPartTypes.has(part.type)) return part;
    const result = chatMessagePartSchema.safeParse(part);
    if (result.success) return result.data;
    if (hasOnlyUnrecognizedKeys(result.error.issues)) return part as ChatMessagePart;
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') continue;
      context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return z.NEVER;
  }) satisfies z.ZodType<StoredChatMessagePart>;
