/*
 * One schema per input of the store's public methods and transitions. The input types are
 * derived from these schemas (so each field is described once, here); every method parses its
 * arguments with them before any database work.
 */
import {
  CHAT_MESSAGE_ROLES,
  type ChatErrorInfo,
  type ChatMessageContent,
  type ChatMessageRole,
  type ChatMessageUsage,
  chatErrorInfoSchema,
  chatMessageContentSchema,
  chatMessageUsageSchema,
  type JsonObject,
  type JsonValue,
  jsonValueSchema,
} from '@chatd/core';
import { z } from 'zod';
import { checkContent, checkStorableJson, checkStorableString } from './parse-input.js';

/**
 * Core's protocol schema, typed as its protocol type on the way in and out: core declares each
 * `satisfies` that type, and callers write the protocol types, not zod's inferred shapes.
 */
const protocol = <T>(schema: z.ZodType) => schema as unknown as z.ZodType<T, T>;

const role = protocol<ChatMessageRole>(z.enum(CHAT_MESSAGE_ROLES));
const usage = protocol<ChatMessageUsage>(chatMessageUsageSchema);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID: ids that are not cannot exist, so lookups answer "not found". */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A string Postgres stores unchanged, of 1 to `max` characters. */
const text = (max = 1000) =>
  z
    .string()
    .min(1, 'expected a non-empty string')
    .max(max, `expected at most ${max} characters`)
    .superRefine(checkStorableString);

/** A JSON value Postgres stores unchanged. */
export const storableJsonSchema =
  protocol<JsonValue>(jsonValueSchema).superRefine(checkStorableJson);

/** A storable JSON object (zod's refine does not narrow the type, hence the cast). */
const jsonObject = storableJsonSchema.refine(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'expected a JSON object',
) as unknown as z.ZodType<JsonObject, JsonObject>;

/** A database id: a positive safe integer. */
export const rowIdSchema = z.int('expected an integer id').min(1, 'expected a positive id');

/** A non-negative safe integer (a revision, a cost). */
const count = z.int('expected an integer').min(0, 'expected a non-negative integer');

/** An id the caller gives: chat ids are checked for existence separately. */
export const chatIdSchema = z.string('expected a chat id (a UUID string)');

/** A user, worker or runner id (opaque, app-defined). */
export const actorIdSchema = text();

/** A page size from 1 to `max`. */
const limitSchema = (max: number) => {
  const message = `expected an integer from 1 to ${max}`;
  return z.int(message).min(1, message).max(max, message);
};

/** A title, 1 to 500 characters. */
const title = text(500);

/** App-defined labels: string keys and values. */
const labels = z.record(z.string(), z.string('expected a string')).superRefine(checkStorableJson);

/** A client-executed (dynamic) tool a chat declares; the model may call it. */
const dynamicToolSchema = z.strictObject({
  /** Tool name, unique within the chat. */
  name: text(128),
  /** What the tool does, for the model. */
  description: z.string().superRefine(checkStorableString).optional(),
  /** JSON Schema of the tool's input. */
  inputSchema: jsonObject,
});

/** Who may see a message: the user's transcript, the model's prompt, or both. */
const visibilitySchema = z.enum(['user', 'model', 'both']);

const heartbeatEntrySchema = z.strictObject({
  /** The owned chat. */
  chatId: z.string().regex(UUID, 'expected a chat id (UUID)'),
  /** The runner that owns it. */
  runnerId: text(),
});

/** The callback of `update`, `lock` and `readLock`. */
export const callbackSchema = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === 'function',
  'expected a function',
);

const signalSchema = z.instanceof(AbortSignal, { message: 'expected an AbortSignal' });

/** Options of `lock` and `readLock`. */
export const transactionOptionsSchema = z
  .strictObject({ signal: signalSchema })
  .partial()
  .optional();

/** Options of `update`. */
export const updateOptionsSchema = z
  .strictObject({ signal: signalSchema, durable: z.boolean(), pipelined: z.boolean() })
  .partial()
  .optional();

/** Options of `createChat`. */
export const createChatOptionsSchema = z
  .strictObject({ beforeWrite: callbackSchema })
  .partial()
  .optional();

/** Whether user content says something: a part that is not blank text. */
function hasSubstance(content: { parts?: unknown }): boolean {
  return (
    Array.isArray(content.parts) &&
    content.parts.some(
      (part: { type?: unknown; text?: unknown }) =>
        part?.type !== 'text' || (typeof part.text === 'string' && part.text.trim() !== ''),
    )
  );
}

const EMPTY_USER_MESSAGE = 'a user message needs a part that is not empty or blank text';

const chatMetadata = {
  /** The title. @default 'New Chat' */
  title: title.optional(),
  /** App-defined labels: string values only. @default {} */
  labels: labels.optional(),
};

/** Metadata a caller may change outside the state machine (at least one field). */
export const chatMetadataSchema = z
  .strictObject({
    ...chatMetadata,
    /**
     * Change nothing unless the title is still exactly this: replaces a placeholder title
     * without overwriting a rename that came first, in one statement.
     */
    onlyIfTitle: z.string().optional(),
  })
  .refine((update) => update.title !== undefined || update.labels !== undefined, {
    message: 'expected title or labels',
  });

/** Who takes ownership of a chat. */
export const acquireSchema = z.strictObject({
  /** The worker (process) taking the chat. */
  workerId: text(),
  /** The runner inside that worker; its heartbeat row keeps the lease alive. */
  runnerId: text(),
});

/** The retry state shown to clients between attempts: any JSON value but null. */
export const retryStateSchema = z
  .custom<JsonValue>((value) => value !== null && value !== undefined, {
    message: 'a retry state is required',
  })
  .pipe(storableJsonSchema);

/** Options of the transitions that end a turn or an interruption. */
export const finishOptionsSchema = z
  .strictObject({
    /**
     * Also hand the chat back (clear its owner, as `abandon` would) when the transition leaves
     * it idle (waiting or error), in the same write. A chat that goes on running keeps it.
     * @default false
     */
    release: z.boolean().default(false),
  })
  .default({ release: false });

/** The output of synthetic tool results. */
export const reasonSchema = text(10_000).optional();

/** An archived flag. */
export const archivedSchema = z.boolean('expected a boolean');

/** An error payload to record. */
export const lastErrorSchema =
  protocol<ChatErrorInfo>(chatErrorInfoSchema).superRefine(checkStorableJson);

/** The results a client posts for the chat's pending tool calls. */
export const completeRequiresActionSchema = z.strictObject({
  /** Who posted them. */
  createdBy: text(),
  /** The model config to attribute the tool messages to. @default the chat's last one */
  modelConfigId: text().optional(),
  /** Exactly one result per pending call. */
  results: z.array(
    z.strictObject({
      /** The pending call it answers. */
      toolCallId: z.string(),
      /** What the tool returned (any JSON value; checked per result). */
      output: z.custom<JsonValue>(),
      /** Whether the tool failed. @default false */
      isError: z.boolean().optional(),
    }),
  ),
});

/** Options of `reconcileInvalidState`. */
export const reconcileSchema = z
  .strictObject({
    /** The error to record. @default an `internal` error saying the chat was found in an invalid state */
    lastError: lastErrorSchema.optional(),
    /** The output of the synthetic results closing pending client tool calls. */
    reason: reasonSchema,
  })
  .optional();

/** Options of `enterRequiresAction`. */
export const enterRequiresActionSchema = z
  .strictObject({
    /**
     * How long the client has to post its tool results, in milliseconds of database time.
     * @default 300000 (5 minutes)
     */
    timeoutMs: z.int('expected an integer').min(1, 'expected a positive integer').optional(),
  })
  .optional();

/** Ownership leases to refresh or remove. */
export const heartbeatsSchema = z.array(heartbeatEntrySchema);

/** Chat ids to sync (ids that cannot exist are absent from the result). */
export const chatIdsSchema = z.array(z.string('expected a chat id'));

/** Options of `listChats`. */
export const listChatsSchema = z
  .strictObject({
    /** Archived chats only (`true`), unarchived only (`false`), or both (omitted). */
    archived: z.boolean().optional(),
    /**
     * Page size, 1 to 200.
     * @default 50
     */
    limit: limitSchema(200).optional(),
    /** The `nextCursor` of the previous page. */
    cursor: z.string().optional(),
    /** Only chats whose labels include every one of these pairs. */
    labels: labels.optional(),
    /**
     * Include sub-chats (chats with a parent); by default only roots are listed.
     * @default false
     */
    includeChildren: z.boolean().optional(),
  })
  .optional();

/** Options of `listMessages`. */
export const listMessagesSchema = z
  .strictObject({
    /** Only messages with a smaller id. */
    before: count.optional(),
    /** Only messages with a larger id. */
    after: count.optional(),
    /**
     * Page size, 1 to 200.
     * @default 50
     */
    limit: limitSchema(200).optional(),
  })
  .optional();

/** A revision to read after. */
export const revisionSchema = count;

/** How many acquisition candidates to read at once. */
export const candidateLimitSchema = limitSchema(1000);

/**
 * Builds the input schemas that carry message content, checked against one store's
 * `limits.maxContentBytes`.
 */
export function createInputSchemas(maxContentBytes: number) {
  const content = protocol<ChatMessageContent>(chatMessageContentSchema).superRefine(
    (value, context) => checkContent(value, maxContentBytes, context),
  );

  const userContent = content.refine(hasSubstance, {
    message: EMPTY_USER_MESSAGE,
    path: ['parts'],
  });

  const message = z
    .strictObject({
      /** Who the message is from. */
      role: role,
      /** The content (validated strictly). */
      content,
      /**
       * Who sees it.
       * @default 'both'
       */
      visibility: visibilitySchema.optional(),
      /** Token usage (assistant messages). */
      usage: usage.optional(),
      /** Cost in millionths of the currency unit. */
      costMicros: count.optional(),
      /** Wall time the model call(s) took, in milliseconds. */
      runtimeMs: count.optional(),
      /** The user who wrote it. */
      createdBy: text().optional(),
      /** The model configuration that produced or will answer it. */
      modelConfigId: text().optional(),
      /** Reasoning effort requested for it. */
      reasoningEffort: text(100).optional(),
      /**
       * Whether it is a compaction summary standing in for older history.
       * @default false
       */
      compressed: z.boolean().optional(),
    })
    .superRefine((value, context) => {
      if (value.role === 'user' && !hasSubstance(value.content ?? {})) {
        context.addIssue({
          code: 'custom',
          path: ['content', 'parts'],
          message: EMPTY_USER_MESSAGE,
        });
      }
    });

  const messages = (what: string) => z.array(message).min(1, `expected at least one ${what}`);

  return {
    message,
    createChat: z
      .strictObject({
        /**
         * The new chat's id, when the caller chooses it (to use it before the write commits,
         * say); random by default. An id a chat has already is refused.
         */
        id: z.string().regex(UUID, 'expected a chat id (a UUID)').optional(),
        /** The owner (opaque, app-defined). */
        ownerId: text(),
        ...chatMetadata,
        /** The parent chat, for a sub-chat; its root becomes this chat's root. */
        parentChatId: chatIdSchema.optional(),
        /** The model config to use. */
        lastModelConfigId: text().optional(),
        /** MCP servers the chat may use (opaque ids). @default [] */
        mcpServerIds: z.array(text()).optional(),
        /** Client-executed tools the model may call; names are unique. @default [] */
        dynamicTools: z
          .array(dynamicToolSchema)
          .superRefine((tools, context) => {
            const names = new Set<string>();
            tools.forEach((tool, index) => {
              if (names.has(tool.name)) {
                context.addIssue({ code: 'custom', path: [index, 'name'], message: 'duplicate' });
              }
              names.add(tool.name);
            });
          })
          .optional(),
        /**
         * The initial messages, at least one, in order (any roles: a system prompt, a seeded
         * history; the last need not be a user message).
         */
        messages: messages('initial message'),
        /**
         * Create the chat already acquired by this worker's runner, with its lease, as `acquire`
         * would: for an engine that runs the chat itself, so its first turn does not wait for an
         * acquisition pass. No ownership hint is published then.
         */
        owner: acquireSchema.optional(),
        /**
         * Also record the first generation attempt (as `recordGenerationAttempt` would) in the
         * same transaction: for an `owner` that starts generating at once, so the attempt needs
         * no transaction of its own. Requires `owner`.
         * @default false
         */
        recordGenerationAttempt: z.boolean().optional(),
      })
      .superRefine((value, context) => {
        if (value.recordGenerationAttempt === true && value.owner === undefined) {
          context.addIssue({
            code: 'custom',
            path: ['recordGenerationAttempt'],
            message: "requires owner: only the chat's owner records its attempts",
          });
        }
      }),
    sendMessage: z.strictObject({
      /** Must be `user`; anything else is rejected with `MESSAGE_NOT_USER`. */
      role,
      /** The message content (validated strictly on write). */
      content: userContent,
      /** Who wrote it. */
      createdBy: text(),
      /** The model config to answer it with, when not the chat's default. */
      modelConfigId: text().optional(),
      /** The reasoning effort to answer it with. */
      reasoningEffort: text(100).optional(),
      /**
       * What to do when the chat is busy (running, interrupting, requires-action): `queue`
       * waits for the current turn; `interrupt` puts the message at the head of the queue and
       * stops the current turn, so it is answered next.
       * @default 'queue'
       */
      busy: z.enum(['queue', 'interrupt']).optional(),
    }),
    editMessage: z.strictObject({
      /** The user message to replace; it and everything after it are soft-deleted. */
      messageId: rowIdSchema,
      /** The new content. */
      content: userContent,
      /** Who edited it. */
      createdBy: text(),
      /** Model config for the new turn. @default the edited message's */
      modelConfigId: text().optional(),
      /** Reasoning effort for the new turn. @default the edited message's */
      reasoningEffort: text(100).optional(),
    }),
    commitStep: z.strictObject({
      /** At least one message (assistant output, tool results). */
      messages: messages('message'),
      /**
       * Clears the compaction marker in the same transaction: the step is the compaction the
       * marker asked for.
       * @default false
       */
      consumeCompactionRequest: z.boolean().optional(),
      /**
       * Also end the turn, as `finishTurn` would with these options, in the same transaction.
       * When that leaves the chat waiting (no queued message), the messages and the finish are
       * one statement; otherwise the queue head starts the next turn as `finishTurn` would.
       */
      finishTurn: finishOptionsSchema.unwrap().optional(),
      /**
       * The caller's update does nothing after this step. When the step is one statement (it
       * ends the turn and the chat ends up waiting), that statement carries the update's
       * COMMIT: on Postgres both go out together, one round trip less at the end of a turn.
       * The landing state is checked before it is sent. Anything the callback tries after it
       * is refused, and the update still commits. Otherwise ignored.
       * @default false
       */
      lastInUpdate: z.boolean().optional(),
    }),
    partials: z.array(message),
  };
}

/** The content-carrying schemas of one store. */
export type InputSchemas = ReturnType<typeof createInputSchemas>;

/** A message a transition or `createChat` inserts. Content is validated strictly. */
export interface NewMessage extends z.input<InputSchemas['message']> {}
/** A new chat and its first messages. */
export interface CreateChatInput extends z.input<InputSchemas['createChat']> {}
/** Metadata a caller may change outside the state machine (at least one field). */
export interface ChatMetadataUpdate extends z.input<typeof chatMetadataSchema> {}
/** A user message sent to a chat. */
export interface SendMessageInput extends z.input<InputSchemas['sendMessage']> {}
/** A replacement for a user message. */
export interface EditMessageInput extends z.input<InputSchemas['editMessage']> {}
/** Messages a generation step produced. */
export interface CommitStepInput extends z.input<InputSchemas['commitStep']> {}
/** Who takes ownership of a chat. */
export interface AcquireInput extends z.input<typeof acquireSchema> {}
/** The results a client posts for the chat's pending tool calls. */
export interface CompleteRequiresActionInput extends z.input<typeof completeRequiresActionSchema> {}
/** Options of `finishTurn`, `finishError` and `finishInterruption`. */
export interface FinishOptions extends NonNullable<z.input<typeof finishOptionsSchema>> {}
/** Options of `createChat`. */
export interface CreateChatOptions {
  /**
   * Called once the input is valid, right before the chat is written; the write waits for
   * the promise it returns. For work that should start as early as possible but never for
   * input the store refuses (chatd sends a new chat's first model request here).
   */
  beforeWrite?: () => void | Promise<void>;
}
/** Options of `reconcileInvalidState`. */
export interface ReconcileInput extends NonNullable<z.input<typeof reconcileSchema>> {}
/** One ownership lease to refresh or remove. */
export interface HeartbeatEntry extends z.input<typeof heartbeatEntrySchema> {}
/** Options of {@link MessageStore.listChats}. */
export interface ListChatsOptions extends NonNullable<z.input<typeof listChatsSchema>> {}
/** Options of {@link MessageStore.listMessages}. */
export interface ListMessagesOptions extends NonNullable<z.input<typeof listMessagesSchema>> {}
/** A client-executed (dynamic) tool a chat declares. */
export type DynamicToolDeclaration = z.output<typeof dynamicToolSchema>;
