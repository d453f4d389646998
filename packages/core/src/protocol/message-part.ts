import { z } from 'zod';
import {
  fileUrlSchema,
  hasOnlyUnrecognizedKeys,
  identifierSchema,
  mediaTypeSchema,
  memberTypes,
  timestampSchema,
  unknownDiscriminatorMessage,
  webUrlSchema,
} from './common.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { optionalProviderMetadataSchema, type ProviderMetadata } from './provider-metadata.js';

/** A call of a tool by the model, with its complete input. */
export interface ToolCallPart {
  /** `tool-call`, the name the AI SDK's model messages give the same part. */
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
  /** `tool-result`, the name the AI SDK's model messages give the same part. */
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
 * One durable piece of a message's content, as stored and as sent in committed messages, told
 * apart by `type` (and, for sources, `sourceType`). Pick one kind with
 * `Extract<ChatMessagePart, { type: 'file' }>`.
 */
export type ChatMessagePart =
  | {
      /** `text`: text the model produced or the user wrote. */
      type: 'text';
      /** The text; may be empty. */
      text: string;
      /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /**
       * `reasoning`: the model's reasoning ("thinking"). Its `providerMetadata` usually holds
       * what the provider needs to accept the reasoning back on the next turn (Anthropic's
       * `signature`, OpenAI's encrypted content and item id, Google's thought signature), so it
       * must survive every rewrite.
       */
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
  | ToolCallPart
  | ToolResultPart
  | {
      /**
       * `file`: an image the user attached, an image the model generated. Exactly one of `data`
       * (inline, base64) or `url` (a reference, which may be a `data:` URL) is set.
       */
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
  | {
      /** `source`: something the model cited, here a web page (the AI SDK's `source-url`). */
      type: 'source';
      /** `url`: the source is a web page. */
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
  | {
      /** `source`: something the model cited, here a document (the AI SDK's `source-document`). */
      type: 'source';
      /** `document`: the source is a document. */
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
  | {
      /**
       * `step-start`: the start of a step, one model call within a multi-step (tool loop)
       * assistant message. The AI SDK renders step boundaries from it.
       */
      type: 'step-start';
      /** Provider-specific data, kept verbatim (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    };

/**
 * A part as read back from storage or the wire: a known {@link ChatMessagePart}, or a part whose
 * `type` this version does not know, written by a newer version. Tolerant reads keep such a part
 * verbatim (every field, in order) so that writing the content back does not lose it; renderers
 * skip it. A part whose `type` is known has been validated as that type.
 */
export type StoredChatMessagePart =
  | ChatMessagePart
  | {
      /** A part type this version does not know. */
      type: string;
      /** Every other field of the part, as read. */
      [field: string]: unknown;
    };

/**
 * Schema of {@link ChatMessagePart}, the strict write path: rejects unknown part types, missing
 * or invalid fields and unknown fields (rejected rather than stripped, so a misspelt
 * `providerMetadata` fails instead of vanishing).
 */
export const chatMessagePartSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('text'),
      text: z.string(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('reasoning'),
      text: z.string(),
      createdAt: timestampSchema.exactOptional(),
      completedAt: timestampSchema.exactOptional(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('tool-call'),
      toolCallId: identifierSchema,
      toolName: identifierSchema,
      input: jsonValueSchema,
      title: z.string().exactOptional(),
      providerExecuted: z.boolean().exactOptional(),
      dynamic: z.boolean().exactOptional(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('tool-result'),
      toolCallId: identifierSchema,
      toolName: identifierSchema,
      output: jsonValueSchema,
      isError: z.boolean().exactOptional(),
      providerExecuted: z.boolean().exactOptional(),
      dynamic: z.boolean().exactOptional(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z
      .strictObject({
        type: z.literal('file'),
        mediaType: mediaTypeSchema,
        data: z.base64({ error: 'expected base64-encoded data' }).exactOptional(),
        url: fileUrlSchema.exactOptional(),
        filename: z.string().exactOptional(),
        providerMetadata: optionalProviderMetadataSchema,
      })
      .refine((part) => (part.data === undefined) !== (part.url === undefined), {
        message: 'expected exactly one of data or url',
      }),
    z.discriminatedUnion(
      'sourceType',
      [
        z.strictObject({
          type: z.literal('source'),
          sourceType: z.literal('url'),
          sourceId: identifierSchema,
          url: webUrlSchema,
          title: z.string().exactOptional(),
          providerMetadata: optionalProviderMetadataSchema,
        }),
        z.strictObject({
          type: z.literal('source'),
          sourceType: z.literal('document'),
          sourceId: identifierSchema,
          mediaType: mediaTypeSchema,
          title: z.string(),
          filename: z.string().exactOptional(),
          providerMetadata: optionalProviderMetadataSchema,
        }),
      ],
      {
        error: (issue) =>
          issue.code === 'invalid_union'
            ? unknownDiscriminatorMessage('source type', issue.input, 'sourceType', [
                'url',
                'document',
              ])
            : undefined,
      },
    ),
    z.strictObject({
      type: z.literal('step-start'),
      providerMetadata: optionalProviderMetadataSchema,
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('part type', issue.input, 'type', chatMessagePartTypes)
        : undefined,
  },
) satisfies z.ZodType<ChatMessagePart>;

/** Every durable part `type` this version knows, in schema order. */
export const chatMessagePartTypes = memberTypes(chatMessagePartSchema.options);

const knownPartTypes: ReadonlySet<string> = new Set(chatMessagePartTypes);

/**
 * Whether `part` is a known {@link ChatMessagePart} rather than a part from a newer version.
 * Decides by `type` alone: tolerant reads never let a malformed part of a known type through.
 */
export function isKnownChatMessagePart(part: StoredChatMessagePart): part is ChatMessagePart {
  return knownPartTypes.has(part.type);
}

/**
 * Schema of {@link StoredChatMessagePart}, the tolerant read path for one part.
 *
 * - A part of an unknown `type` is kept verbatim.
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
