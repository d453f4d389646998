import { type ChatMessageContent, type JsonValue, readChatMessageContent } from '@chatd/core';
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { dbNow } from '../db/db-time.js';
import type { DbTransaction } from '../db/types.js';
import { validateContent } from '../queries/content.js';
import { insertMessages } from '../queries/insert-messages.js';
import { chatHeartbeats, chatMessages, chatQueuedMessages, chats } from '../schema/index.js';
import type { ChatRow } from '../schema/tables.js';
import type { ResolvedLimits } from '../store/store-options.js';
import type {
  ChatStateRow,
  ExecutionWrite,
  StateQueries,
  StateQueuedInsert,
  StateQueuedRow,
} from './state-queries.js';

function toStateRow(row: ChatRow): ChatStateRow {
  return {
    id: row.id,
    ownerId: row.ownerId,
    parentChatId: row.parentChatId,
    status: row.status,
    archived: row.archived,
    workerId: row.workerId,
    runnerId: row.runnerId,
    lastError: row.lastError,
    lastModelConfigId: row.lastModelConfigId,
    dynamicToolNames: row.dynamicTools.map((tool) => tool.name),
    snapshotVersion: row.snapshotVersion,
    historyVersion: row.historyVersion,
    queueVersion: row.queueVersion,
    generationAttempt: row.generationAttempt,
    retryState: row.retryState,
    retryStateVersion: row.retryStateVersion,
    requiresActionDeadlineAt: row.requiresActionDeadlineAt,
    compactionRequestedAt: row.compactionRequestedAt,
  };
}

const queueOrder = [asc(chatQueuedMessages.position), asc(chatQueuedMessages.id)];

function toQueuedRow(row: typeof chatQueuedMessages.$inferSelect): StateQueuedRow {
  return {
    id: row.id,
    // Queued content was validated strictly on write; read it tolerantly like all stored data.
    content: readChatMessageContent(row.content) as ChatMessageContent,
    createdBy: row.createdBy,
    modelConfigId: row.modelConfigId,
    reasoningEffort: row.reasoningEffort,
  };
}

/** The state machine's queries over one transaction handle. @internal */
export function sqlStateQueries(tx: DbTransaction, limits: ResolvedLimits): StateQueries {
  return {
    now: () => dbNow(tx),

    async lockAndBump(chatId) {
      // An UPDATE takes the row lock itself: lock and bump are one statement, so two updates
      // of one chat serialize here and each gets its own snapshot version.
      const [row] = await tx
        .update(chats)
        .set({ snapshotVersion: sql`${chats.snapshotVersion} + 1` })
        .where(eq(chats.id, chatId))
        .returning();
      return row && toStateRow(row);
    },

    async lockRow(chatId, mode) {
      const [row] = await tx.select().from(chats).where(eq(chats.id, chatId)).for(mode);
      return row && toStateRow(row);
    },

    async read(chatId) {
      // One statement for the row and its queue length: every transition reads the chat twice
      // (to check the matrix before, and where it landed after), so round trips add up.
      const [result] = await tx
        .select({
          row: chats,
          // Spelled out: drizzle drops table qualifiers in a one-table select, which would bind
          // the inner "id" to the queue's own id.
          queuedCount: sql<number>`(SELECT count(*)::int FROM chat_queued_messages AS queued WHERE queued.chat_id = "chats"."id")`,
        })
        .from(chats)
        .where(eq(chats.id, chatId));
      if (result === undefined) return undefined;
      return { row: toStateRow(result.row), queuedCount: Number(result.queuedCount) };
    },

    async writeExecution(chatId, write: ExecutionWrite) {
      await tx
        .update(chats)
        .set({ ...write, updatedAt: sql`now()` })
        .where(eq(chats.id, chatId));
    },

    async insertMessages(chatId, messages) {
      if (messages.length === 0) return [];
      const rows = await insertMessages(
        tx,
        messages.map((message) => ({
          ...message,
          chatId,
          content: validateContent(message.content, limits),
        })),
      );
      return rows.map((row) => row.id);
    },

    async historyTail(chatId) {
      const rows = await tx
        .select({ id: chatMessages.id, role: chatMessages.role, content: chatMessages.content })
        .from(chatMessages)
        .where(
          and(
            eq(chatMessages.chatId, chatId),
            eq(chatMessages.deleted, false),
            gte(
              chatMessages.id,
              sql`coalesce((SELECT max(id) FROM ${chatMessages} WHERE chat_id = ${chatId}
                AND NOT deleted AND role = 'assistant'), 0)`,
            ),
          ),
        )
        .orderBy(asc(chatMessages.id));
      return rows.map((row) => ({ ...row, content: readChatMessageContent(row.content) }));
    },

    async getMessage(messageId) {
      const [row] = await tx
        .select({
          id: chatMessages.id,
          chatId: chatMessages.chatId,
          role: chatMessages.role,
          deleted: chatMessages.deleted,
          visibility: chatMessages.visibility,
          modelConfigId: chatMessages.modelConfigId,
          reasoningEffort: chatMessages.reasoningEffort,
        })
        .from(chatMessages)
        .where(eq(chatMessages.id, messageId));
      return row;
    },

    async softDeleteFrom(chatId, fromId) {
      const rows = await tx
        .update(chatMessages)
        .set({ deleted: true })
        .where(
          and(
            eq(chatMessages.chatId, chatId),
            gte(chatMessages.id, fromId),
            eq(chatMessages.deleted, false),
          ),
        )
        .returning({ id: chatMessages.id });
      return rows.map((row) => row.id).sort((a, b) => a - b);
    },

    async queueCount(chatId) {
      const [row] = await tx
        .select({ count: sql<number>`count(*)::int` })
        .from(chatQueuedMessages)
        .where(eq(chatQueuedMessages.chatId, chatId));
      return Number(row?.count ?? 0);
    },

    async enqueue(chatId, message: StateQueuedInsert) {
      const [row] = await tx
        .insert(chatQueuedMessages)
        .values({
          chatId,
          content: validateContent(message.content, limits),
          createdBy: message.createdBy,
          modelConfigId: message.modelConfigId ?? null,
          reasoningEffort: message.reasoningEffort ?? null,
        })
        .returning({ id: chatQueuedMessages.id });
      return (row as { id: number }).id;
    },

    async queueHead(chatId) {
      const [row] = await tx
        .select()
        .from(chatQueuedMessages)
        .where(eq(chatQueuedMessages.chatId, chatId))
        .orderBy(...queueOrder)
        .limit(1);
      return row && toQueuedRow(row);
    },

    async getQueued(chatId, queuedId) {
      const [row] = await tx
        .select()
        .from(chatQueuedMessages)
        .where(and(eq(chatQueuedMessages.chatId, chatId), eq(chatQueuedMessages.id, queuedId)));
      return row && toQueuedRow(row);
    },

    async deleteQueued(chatId, queuedId) {
      await tx
        .delete(chatQueuedMessages)
        .where(and(eq(chatQueuedMessages.chatId, chatId), eq(chatQueuedMessages.id, queuedId)));
    },

    async clearQueue(chatId) {
      const rows = await tx
        .delete(chatQueuedMessages)
        .where(eq(chatQueuedMessages.chatId, chatId))
        .returning({ id: chatQueuedMessages.id });
      return rows.map((row) => row.id).sort((a, b) => a - b);
    },

    async moveToHead(chatId, queuedId) {
      // Only when it is not the head already (lowest position, then id), so a no-op promote
      // does not move queue_version.
      await tx.execute(sql`
        UPDATE chat_queued_messages q
        SET position = head.position - 1
        FROM (
          SELECT id, position FROM chat_queued_messages
          WHERE chat_id = ${chatId} ORDER BY position, id LIMIT 1
        ) head
        WHERE q.chat_id = ${chatId} AND q.id = ${queuedId} AND head.id <> q.id`);
    },

    async upsertHeartbeat(chatId, runnerId, workerId) {
      await tx
        .insert(chatHeartbeats)
        .values({ chatId, runnerId, workerId })
        .onConflictDoUpdate({
          target: [chatHeartbeats.chatId, chatHeartbeats.runnerId],
          set: { workerId, heartbeatAt: sql`now()` },
        });
    },

    async isHeartbeatStale(chatId, runnerId, staleAfterMs) {
      const [row] = await tx
        .select({ id: chatHeartbeats.chatId })
        .from(chatHeartbeats)
        .where(
          and(
            eq(chatHeartbeats.chatId, chatId),
            eq(chatHeartbeats.runnerId, runnerId),
            sql`${chatHeartbeats.heartbeatAt} > now() - ${staleAfterMs} * interval '1 millisecond'`,
          ),
        );
      return row === undefined;
    },

    async incrementGenerationAttempt(chatId) {
      const [row] = await tx
        .update(chats)
        .set({ generationAttempt: sql`${chats.generationAttempt} + 1` })
        .where(eq(chats.id, chatId))
        .returning({ generationAttempt: chats.generationAttempt });
      return (row as { generationAttempt: number }).generationAttempt;
    },

    async setRetryState(chatId, retryState: JsonValue) {
      await tx.update(chats).set({ retryState }).where(eq(chats.id, chatId));
    },

    async familyIds(rootId) {
      const rows = await tx
        .select({ id: chats.id })
        .from(chats)
        .where(sql`${chats.id} = ${rootId} OR ${chats.rootChatId} = ${rootId}`)
        .orderBy(sql`${chats.id} = ${rootId} DESC`, asc(chats.createdAt), asc(chats.id));
      return rows.map((row) => row.id);
    },
  };
}
