import { z } from 'zod';
import {
  fileUrlSchema,
  identifierSchema,
  mediaTypeSchema,
  memberTypes,
  unknownDiscriminatorMessage,
  webUrlSchema,
} from './common.js';
import { type JsonValue, jsonValueSchema } from './json.js';
import { optionalProviderMetadataSchema, type ProviderMetadata } from './provider-metadata.js';

/**
 * One streamed piece of an in-flight message: the preview subscribers see before the message
 * is committed. Each `type` is an AI SDK UI message stream chunk type with the same fields and
 * optionality (`ai@5` to `ai@7`), so an AI SDK adapter forwards parts unchanged; the
 * message-level chunks (`start`, `finish`, `abort`, `error`, metadata) are not parts and travel
 * as stream events. Pick one kind with `Extract<ChatStreamPart, { type: 'text-delta' }>`.
 */
export type ChatStreamPart =
  | {
      /** `text-start` opens a text part; `text-delta`s with the same `id` follow, then a `text-end`. */
      type: 'text-start';
      /** Id of the text part, unique within the message. */
      id: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /** `text-delta` appends text to the open text part with the same `id`. */
      type: 'text-delta';
      /** Id of the open text part. */
      id: string;
      /** The text to append; may be empty. */
      delta: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /** `text-end` closes the text part with the same `id`. */
      type: 'text-end';
      /** Id of the text part. */
      id: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /**
       * `reasoning-start` opens a reasoning part; `reasoning-delta`s with the same `id` follow,
       * then a `reasoning-end`.
       */
      type: 'reasoning-start';
      /** Id of the reasoning part, unique within the message. */
      id: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /** `reasoning-delta` appends reasoning text to the open reasoning part with the same `id`. */
      type: 'reasoning-delta';
      /** Id of the open reasoning part. */
      id: string;
      /** The reasoning text to append; may be empty. */
      delta: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /**
       * `reasoning-end` closes the reasoning part with the same `id`. Providers often send the
       * reasoning signature here, in `providerMetadata`.
       */
      type: 'reasoning-end';
      /** Id of the reasoning part. */
      id: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /** `tool-input-start`: the model started a tool call whose input streams in `tool-input-delta`s. */
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
       * Whether the tool is dynamic (see {@link ToolCallPart.dynamic}).
       * @default false
       */
      dynamic?: boolean;
      /** A human-readable title for the call, when the tool defines one. */
      title?: string;
    }
  | {
      /**
       * `tool-input-delta`: a fragment of a tool call's input JSON text; the fragments
       * concatenate to the input.
       */
      type: 'tool-input-delta';
      /** Id of the tool call. */
      toolCallId: string;
      /** The next fragment of the input's JSON text. */
      inputTextDelta: string;
    }
  | {
      /**
       * `tool-input-available`: a tool call's input is complete. May come without a preceding
       * `tool-input-start` when the provider does not stream inputs.
       */
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
       * Whether the tool is dynamic (see {@link ToolCallPart.dynamic}).
       * @default false
       */
      dynamic?: boolean;
      /** A human-readable title for the call, when the tool defines one. */
      title?: string;
    }
  | {
      /** `tool-output-available`: a tool call succeeded (or, with `preliminary`, reported progress). */
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
       * Whether the tool is dynamic (see {@link ToolCallPart.dynamic}).
       * @default false
       */
      dynamic?: boolean;
      /**
       * Whether this is an intermediate output a later `tool-output-available` replaces.
       * @default false
       */
      preliminary?: boolean;
    }
  | {
      /**
       * `tool-output-error`: a tool call failed. Not fatal to the chat: the model sees the error
       * and carries on (fatal errors travel as `error` stream events instead).
       */
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
       * Whether the tool is dynamic (see {@link ToolCallPart.dynamic}).
       * @default false
       */
      dynamic?: boolean;
    }
  | {
      /** `file`: a file the model produced. */
      type: 'file';
      /** Where the file can be fetched: an absolute `http(s):` URL, or a `data:` URL (inline). */
      url: string;
      /** The file's media type, e.g. `image/png`. */
      mediaType: string;
      /** Provider-specific data (see {@link ProviderMetadata}). */
      providerMetadata?: ProviderMetadata;
    }
  | {
      /** `source-url`: the model cited a web page. */
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
  | {
      /** `source-document`: the model cited a document. */
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
  | {
      /** `start-step`: a model call (step) begins; a tool loop holds several steps in one message. */
      type: 'start-step';
    }
  | {
      /** `finish-step`: the current model call (step) ended; open text and reasoning parts are closed. */
      type: 'finish-step';
    }
  | {
      /**
       * `data-warning`: something the user should know about this step that did not stop it,
       * e.g. a tool server that could not be reached (its tools are missing from the step). It
       * is a data part of the AI SDK's UI message stream, so `useChat` shows it as one; it is
       * not part of the committed message.
       */
      type: 'data-warning';
      /** The warning. */
      data: {
        /** A sentence for the user. */
        message: string;
        /** What it is about (a tool server's name), when it is about one thing. */
        source?: string;
      };
    };

const optionalFlag = z.boolean().exactOptional();

/**
 * Schema of {@link ChatStreamPart}: rejects unknown part types, missing or invalid fields and
 * unknown fields.
 */
export const chatStreamPartSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('text-start'),
      id: identifierSchema,
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('text-delta'),
      id: identifierSchema,
      delta: z.string(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('text-end'),
      id: identifierSchema,
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('reasoning-start'),
      id: identifierSchema,
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('reasoning-delta'),
      id: identifierSchema,
      delta: z.string(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('reasoning-end'),
      id: identifierSchema,
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('tool-input-start'),
      toolCallId: identifierSchema,
      toolName: identifierSchema,
      providerExecuted: optionalFlag,
      providerMetadata: optionalProviderMetadataSchema,
      dynamic: optionalFlag,
      title: z.string().exactOptional(),
    }),
    z.strictObject({
      type: z.literal('tool-input-delta'),
      toolCallId: identifierSchema,
      inputTextDelta: z.string(),
    }),
    z.strictObject({
      type: z.literal('tool-input-available'),
      toolCallId: identifierSchema,
      toolName: identifierSchema,
      input: jsonValueSchema,
      providerExecuted: optionalFlag,
      providerMetadata: optionalProviderMetadataSchema,
      dynamic: optionalFlag,
      title: z.string().exactOptional(),
    }),
    z.strictObject({
      type: z.literal('tool-output-available'),
      toolCallId: identifierSchema,
      output: jsonValueSchema,
      providerExecuted: optionalFlag,
      providerMetadata: optionalProviderMetadataSchema,
      dynamic: optionalFlag,
      preliminary: optionalFlag,
    }),
    z.strictObject({
      type: z.literal('tool-output-error'),
      toolCallId: identifierSchema,
      errorText: z.string(),
      providerExecuted: optionalFlag,
      providerMetadata: optionalProviderMetadataSchema,
      dynamic: optionalFlag,
    }),
    z.strictObject({
      type: z.literal('file'),
      url: fileUrlSchema,
      mediaType: mediaTypeSchema,
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('source-url'),
      sourceId: identifierSchema,
      url: webUrlSchema,
      title: z.string().exactOptional(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({
      type: z.literal('source-document'),
      sourceId: identifierSchema,
      mediaType: mediaTypeSchema,
      title: z.string(),
      filename: z.string().exactOptional(),
      providerMetadata: optionalProviderMetadataSchema,
    }),
    z.strictObject({ type: z.literal('start-step') }),
    z.strictObject({ type: z.literal('finish-step') }),
    z.strictObject({
      type: z.literal('data-warning'),
      data: z.strictObject({ message: z.string(), source: z.string().exactOptional() }),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? unknownDiscriminatorMessage('stream part type', issue.input, 'type', chatStreamPartTypes)
        : undefined,
  },
) satisfies z.ZodType<ChatStreamPart>;

/** Every stream part `type` this version knows, in schema order. */
export const chatStreamPartTypes = memberTypes(chatStreamPartSchema.options);
