import { namedStatement, type Queryable } from '../db/database.js';
import {
  CHAT_SELECT,
  type ChatMessageRow,
  type ChatRow,
  MESSAGE_SELECT,
  readChatRow,
  readMessageRow,
} from '../schema/rows.js';
import type { CreateChatInput } from '../validation/inputs.js';
import {
  INSERTED_IDS,
  insertMessageRows,
  MODEL_VISIBLE,
  messageDocument,
  readInsertedIds,
} from './messages.js';

/*
 * One statement, so a new chat costs one round trip and no transaction of its own:
 * - The parent (for a sub-chat) is locked FOR SHARE, so it cannot be deleted before the
 *   child's foreign keys are checked; a missing parent inserts nothing, and so does an id
 *   taken already (the caller tells the two apart).
 * - The chat row starts where inserting its messages would leave it: history at snapshot 1
 *   and, when asked, its first attempt. A trigger resets the attempt only when an insert moves
 *   the history version, which this one does not.
 * - The lease and the messages read the chat from `created`, so they are written after it;
 *   the message trigger that stamps each row's revision sees the new chat, and the foreign
 *   keys are checked at the statement's end.
 * - The model-visible messages come back whole, as JSON (their revision as the trigger
 *   stamped it): the chat's prompt history, which the runner that starts the first turn at
 *   once would otherwise read right after.
 */
const CREATE_CHAT = namedStatement(
  'create_chat',
  `WITH parent AS (
       SELECT coalesce(p.root_chat_id, p.id) AS root_id FROM chats p WHERE p.id = $4 FOR SHARE),
     created AS (
       INSERT INTO chats AS c (id, owner_id, title, parent_chat_id, root_chat_id, status,
         last_model_config_id, mcp_server_ids, labels, dynamic_tools, worker_id, runner_id,
         snapshot_version, history_version, generation_attempt)
       SELECT $1, $2, coalesce($3, 'New Chat'), $4, (SELECT root_id FROM parent), 'running', $5,
         $6::text[], $7::text::jsonb, $8::text::jsonb, $9, $10, 1, 1, $12
       WHERE $4::uuid IS NULL OR EXISTS (SELECT FROM parent)
       ON CONFLICT (id) DO NOTHING
       RETURNING ${CHAT_SELECT}),
     lease AS (
       INSERT INTO chat_heartbeats (chat_id, runner_id, worker_id, heartbeat_at)
       SELECT id, $10, $9, now() FROM created WHERE $10::text IS NOT NULL),
     inserted AS (${insertMessageRows('created.id', '$11', 'created,', '*')})
   SELECT created.*, ${INSERTED_IDS},
     (SELECT json_agg(history ORDER BY history.id) FROM (
        SELECT ${MESSAGE_SELECT} FROM inserted m WHERE NOT m.deleted AND ${MODEL_VISIBLE}
      ) history) AS "promptHistory"
   FROM created`,
);

/**
 * Inserts a chat in `running` with its messages (and the owner's lease when it has one) in one
 * statement, with the defaults of the fields `chat` leaves out (`chat` must be parsed). Returns
 * the message ids in input order, the chat row as committed and the prompt history (what
 * `getPromptHistory` would read), or `undefined` when the parent does not exist or a chat
 * has the id already.
 */
export async function insertChat(
  db: Queryable,
  id: string,
  chat: CreateChatInput,
): Promise<{ messageIds: number[]; chat: ChatRow; promptHistory: ChatMessageRow[] } | undefined> {
  const [raw] = await db.query(CREATE_CHAT, [
    id,
    chat.ownerId,
    chat.title ?? null,
    chat.parentChatId ?? null,
    chat.lastModelConfigId ?? null,
    chat.mcpServerIds ?? [],
    JSON.stringify(chat.labels ?? {}),
    JSON.stringify(chat.dynamicTools ?? []),
    chat.owner?.workerId ?? null,
    chat.owner?.runnerId ?? null,
    messageDocument(chat.messages),
    chat.recordGenerationAttempt === true ? 1 : 0,
  ]);
  if (raw === undefined) return undefined;
  // json_agg gives NULL for no rows; a driver may hand JSON over as text.
  const history: unknown = raw.promptHistory ?? [];
  const rows: Record<string, unknown>[] =
    typeof history === 'string' ? JSON.parse(history) : history;
  return {
    messageIds: readInsertedIds(raw),
    chat: readChatRow(raw),
    promptHistory: rows.map(readMessageRow),
  };
}
