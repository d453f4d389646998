/*
 * Wiring helpers for the state machine's database tests (not part of the package's API): a
 * store with a recording pubsub, chats driven into each execution state through transitions,
 * and a fingerprint of everything a chat owns, to prove a rejected transition wrote nothing.
 */
import type { ChatErrorInfo, ChatMessageContent, JsonValue } from '@chatd/core';
import { vi } from 'vitest';
import type { ChatStateSnapshot } from '../state/chat-snapshot.js';
import type { ChatTransitions } from '../state/chat-transitions.js';
import type { ExecutionState } from '../state/classify.js';
import type { ChatUpdatePayload } from '../state/payloads.js';
import type { ChatTransactionOptions } from '../state/update-chat.js';
import type { OpenStoreOptions } from '../store/store-options.js';
import type { CreateChatInput, NewMessage } from '../validation/inputs.js';
import type { TestDatabase } from './databases.js';

export const text = (value: string): ChatMessageContent => ({
  version: 1,
  parts: [{ type: 'text', text: value }],
});

export const userMessage = (value: string): NewMessage => ({
  role: 'user',
  content: text(value),
  createdBy: 'user-1',
});

export const assistantText = (value: string): NewMessage => ({
  role: 'assistant',
  content: text(value),
});

/** An assistant message calling tools; `dynamic` ones are client-executed. */
export function assistantCalls(
  calls: { id: string; name?: string; dynamic?: boolean; providerExecuted?: boolean }[],
): NewMessage {
  return {
    role: 'assistant',
    content: {
      version: 1,
      parts: calls.map((call) => ({
        type: 'tool-call' as const,
        toolCallId: call.id,
        toolName: call.name ?? (call.dynamic ? 'client_tool' : 'server_tool'),
        input: {},
        ...(call.dynamic ? { dynamic: true } : {}),
        ...(call.providerExecuted ? { providerExecuted: true } : {}),
      })),
    },
  };
}

/** A tool message answering `id`. */
export function toolResult(id: string, name = 'server_tool'): NewMessage {
  return {
    role: 'tool',
    content: {
      version: 1,
      parts: [{ type: 'tool-result', toolCallId: id, toolName: name, output: 'done' }],
    },
  };
}

export const anError: ChatErrorInfo = { message: 'boom', kind: 'generic', retryable: false };

/** A published message, as recorded. */
export interface Published {
  channel: string;
  payload: JsonValue;
}

/** Opens a store on `database` and binds the state machine's operations to it. */
export async function openMachine(database: TestDatabase, options: Partial<OpenStoreOptions> = {}) {
  const { store, pubsub } = await database.open(options);
  const publish = vi.spyOn(pubsub, 'publish');
  return {
    store,
    pubsub,
    /** Everything published since the last `clearPublished`, optionally about one chat. */
    published(chatId?: string): Published[] {
      return publish.mock.calls
        .map(([channel, payload]) => ({ channel, payload }))
        .filter(
          (message) =>
            chatId === undefined ||
            message.channel === `chat:update:${chatId}` ||
            (message.payload as { chatId?: string }).chatId === chatId,
        );
    },
    clearPublished: () => publish.mockClear(),
    update: <T>(
      chatId: string,
      fn: (chat: ChatTransitions) => Promise<T>,
      options?: ChatTransactionOptions,
    ) => store.update(chatId, fn, options),
    lock: <T>(chatId: string, fn: (chat: ChatStateSnapshot) => Promise<T>) =>
      store.lock(chatId, fn),
    readLock: <T>(chatId: string, fn: (chat: ChatStateSnapshot) => Promise<T>) =>
      store.readLock(chatId, fn),
    create: (input: Partial<CreateChatInput> = {}) =>
      store.createChat({
        ownerId: 'owner-1',
        lastModelConfigId: 'model-1',
        messages: [userMessage('hello')],
        ...input,
      }),
    family: (rootId: string, archived: boolean) => store.setFamilyArchived(rootId, archived),
  };
}

/** What {@link openMachine} returns. */
export type Machine = Awaited<ReturnType<typeof openMachine>>;

/** The latest `chat:update` payload published for `chatId`. */
export function lastUpdate(machine: Machine, chatId: string): ChatUpdatePayload {
  const updates = machine.published(chatId).filter((m) => m.channel.startsWith('chat:update:'));
  return updates.at(-1)?.payload as unknown as ChatUpdatePayload;
}

/** A chat driven into `state`, and the ids a test needs to act on it. */
export interface ChatInState {
  chatId: string;
  /** The first user message (editable). */
  userMessageId: number;
  /** The queue head, when the state has a queue. */
  queuedId: number | undefined;
}

const CLIENT_TOOLS = [{ name: 'client_tool', inputSchema: {} }];

/**
 * Creates a chat and drives it into `state` through transitions only (Invalid: one raw
 * UPDATE, since no transition produces it). Its history is a user message and an assistant
 * message with one pending client-executed call `d1`; it is owned by worker `w1` / runner `r1`.
 */
export async function chatIn(
  machine: Machine,
  database: TestDatabase,
  state: Exclude<ExecutionState, 'N'>,
): Promise<ChatInState> {
  const { chatId, messageIds } = await machine.create({
    messages: [userMessage('hello'), assistantCalls([{ id: 'd1', dynamic: true }])],
    dynamicTools: CLIENT_TOOLS,
  });
  const queued = async (chat: ChatTransitions, busy: 'queue' | 'interrupt' = 'queue') => {
    await chat.sendMessage({ role: 'user', content: text('later'), createdBy: 'user-1', busy });
  };
  await machine.update(chatId, async (chat) => {
    await chat.acquire({ workerId: 'w1', runnerId: 'r1' });
    switch (state) {
      case 'R0':
      case 'Invalid':
        return;
      case 'R1':
        return queued(chat);
      case 'I0':
        return chat.interrupt();
      case 'I1':
        return queued(chat, 'interrupt');
      case 'A0':
        await chat.enterRequiresAction();
        return;
      case 'A1':
        await chat.enterRequiresAction();
        return queued(chat);
      case 'W':
      case 'XW':
        await chat.finishTurn();
        if (state === 'XW') await chat.setArchived(true);
        return;
      case 'E0':
      case 'XE0':
        await chat.finishError(anError);
        if (state === 'XE0') await chat.setArchived(true);
        return;
      case 'E1':
      case 'XE1':
        await queued(chat);
        await chat.finishError(anError);
        if (state === 'XE1') await chat.setArchived(true);
        return;
    }
  });
  if (state === 'Invalid') {
    await database.query('UPDATE chats SET archived = true WHERE id = $1', [chatId]);
  }
  const [head] = await database.query<{ id: string | number }>(
    'SELECT id FROM chat_queued_messages WHERE chat_id = $1 ORDER BY position, id LIMIT 1',
    [chatId],
  );
  machine.clearPublished();
  return {
    chatId,
    userMessageId: messageIds[0] as number,
    queuedId: head === undefined ? undefined : Number(head.id),
  };
}

/** Everything a chat owns, serialised: equal fingerprints mean nothing was written. */
export async function fingerprint(database: TestDatabase, chatId: string): Promise<string> {
  const [chat] = await database.query('SELECT * FROM chats WHERE id = $1', [chatId]);
  const messages = await database.query(
    'SELECT * FROM chat_messages WHERE chat_id = $1 ORDER BY id',
    [chatId],
  );
  const queue = await database.query(
    'SELECT * FROM chat_queued_messages WHERE chat_id = $1 ORDER BY id',
    [chatId],
  );
  const heartbeats = await database.query(
    'SELECT * FROM chat_heartbeats WHERE chat_id = $1 ORDER BY runner_id',
    [chatId],
  );
  return JSON.stringify({ chat, messages, queue, heartbeats });
}

/** The chat row's version columns as numbers. */
export async function versions(database: TestDatabase, chatId: string) {
  const [row] = await database.query<Record<string, string | number>>(
    `SELECT snapshot_version, history_version, queue_version, generation_attempt,
            retry_state_version FROM chats WHERE id = $1`,
    [chatId],
  );
  const value = (key: string) => Number(row?.[key]);
  return {
    snapshot: value('snapshot_version'),
    history: value('history_version'),
    queue: value('queue_version'),
    attempt: value('generation_attempt'),
    retry: value('retry_state_version'),
  };
}

/** The chat's messages (deleted included) in id order, with the fields tests look at. */
export async function messagesOf(database: TestDatabase, chatId: string) {
  const rows = await database.query<Record<string, unknown>>(
    `SELECT id, role, content, deleted, revision, visibility, model_config_id, created_by
     FROM chat_messages WHERE chat_id = $1 ORDER BY id`,
    [chatId],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    role: row.role as string,
    content: row.content as ChatMessageContent,
    deleted: row.deleted as boolean,
    revision: Number(row.revision),
    visibility: row.visibility as string,
    modelConfigId: row.model_config_id as string | null,
    createdBy: row.created_by as string | null,
  }));
}

/** The chat's queue in head-first order (position, then id). */
export async function queueOf(database: TestDatabase, chatId: string) {
  const rows = await database.query<{ id: string | number; content: ChatMessageContent }>(
    'SELECT id, content FROM chat_queued_messages WHERE chat_id = $1 ORDER BY position, id',
    [chatId],
  );
  return rows.map((row) => ({ id: Number(row.id), content: row.content }));
}
