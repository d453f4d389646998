import { z } from 'zod';
import { identifierSchema } from './common.js';

/**
 * What kind of failure a {@link ChatErrorInfo} describes, so clients can react without parsing
 * messages.
 *
 * - `generic`: anything not classified below (and, on read, any kind from a newer version).
 * - `rate-limit`: the provider throttled us (HTTP 429 or equivalent).
 * - `overloaded`: the provider is temporarily over capacity (HTTP 503/529).
 * - `timeout`: the provider or a tool took too long.
 * - `auth`: credentials missing, invalid or not allowed (HTTP 401/403).
 * - `invalid-request`: the provider rejected the request as malformed (HTTP 400/422).
 * - `context-length`: the conversation no longer fits the model's context window.
 * - `content-filter`: the provider refused on content policy grounds.
 * - `network`: the connection to the provider failed or dropped.
 * - `internal`: a bug or failure inside chatd itself.
 * - `config`: the model configuration cannot be used (unknown model, missing key, a
 *   compaction that cannot bring the conversation under the limit); retrying will not help.
 * - `usage-limit`: the account's spending or quota limit is reached.
 * - `stream-silence`: the model's stream produced nothing for too long and was cancelled.
 */
export type ChatErrorKind =
  | 'generic'
  | 'rate-limit'
  | 'overloaded'
  | 'timeout'
  | 'auth'
  | 'invalid-request'
  | 'context-length'
  | 'content-filter'
  | 'network'
  | 'internal'
  | 'config'
  | 'usage-limit'
  | 'stream-silence';

/** Every {@link ChatErrorKind} this version knows (a type test checks that none is missing). */
export const CHAT_ERROR_KINDS = [
  'generic',
  'rate-limit',
  'overloaded',
  'timeout',
  'auth',
  'invalid-request',
  'context-length',
  'content-filter',
  'network',
  'internal',
  'config',
  'usage-limit',
  'stream-silence',
] as const satisfies readonly ChatErrorKind[];

// Annotated rather than inferred: chatErrorInfoSchema is exported, and the inferred enum type
// would put one undocumented property per kind into its API docs.
export const chatErrorKindSchema: z.ZodType<ChatErrorKind> = z.enum(CHAT_ERROR_KINDS);

/**
 * Why a generation failed: stored as the chat's last error and sent in `error` and `retry`
 * events. Safe to show to the chat's user: it never holds secrets or prompt content.
 */
export interface ChatErrorInfo {
  /** A short, human-readable summary, e.g. `The model provider is overloaded.` */
  message: string;
  /** More detail for the curious, e.g. the provider's own error message. */
  detail?: string;
  /** What kind of failure this is. */
  kind: ChatErrorKind;
  /** The model provider involved, e.g. `anthropic`, when the failure came from one. */
  provider?: string;
  /** Whether trying again (automatically or by the user) may succeed. */
  retryable: boolean;
  /** The HTTP status the provider answered with, when there was one. */
  statusCode?: number;
}

/**
 * Schema of {@link ChatErrorInfo}, strict: known kinds only, no unknown fields. Tolerant reads
 * (`readChatErrorInfo`) map unknown kinds to `generic` first.
 */
export const chatErrorInfoSchema = z.strictObject({
  message: z.string().min(1, 'expected a non-empty message'),
  detail: z.string().exactOptional(),
  kind: chatErrorKindSchema,
  provider: identifierSchema.exactOptional(),
  retryable: z.boolean(),
  statusCode: z.int().min(100).max(599).exactOptional(),
}) satisfies z.ZodType<ChatErrorInfo>;
