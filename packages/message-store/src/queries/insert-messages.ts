import { getTableColumns, sql } from 'drizzle-orm';
import { type DbExecutor, queryRows } from '../db/types.js';
import { type ChatMessageRow, chatMessages } from '../schema/tables.js';
import { type NewChatMessage, toMessageValues } from './message-rows.js';

const columns = Object.entries(getTableColumns(chatMessages));

/** A raw `RETURNING *` row, mapped through each drizzle column (int8 checks, Dates, JSON). */
function toRow(raw: Record<string, unknown>): ChatMessageRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    if (column.name === 'content') continue;
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as unknown as ChatMessageRow;
}

const returned = sql.raw(
  columns
    .map(([, column]) => column.name)
    .filter((name) => name !== 'content')
    .join(', '),
);

function array<T>(values: T[]) {
  // One array parameter (drizzle would otherwise expand a JS array into a list).
  return sql.param(values);
}

/**
 * Inserts messages in order with one `INSERT … SELECT FROM unnest(…)` statement (one array
 * parameter per column, so any number of rows is one round trip and a handful of parameters)
 * and returns the stored rows, ids increasing in input order. Each row's revision is the
 * chat's current `snapshot_version` (trigger); history_version follows once per statement.
 *
 * Content must be validated first (`validateContent`). Call it inside the transition's
 * transaction with the transaction handle.
 */
export async function insertMessages(
  executor: DbExecutor,
  messages: readonly NewChatMessage[],
): Promise<ChatMessageRow[]> {
  if (messages.length === 0) return [];
  const values = messages.map(toMessageValues);
  const pick = <K extends keyof (typeof values)[number]>(key: K) =>
    values.map((value) => value[key]);
  const raw = await queryRows<Record<string, unknown>>(
    executor,
    sql`INSERT INTO chat_messages (chat_id, role, content, visibility, input_tokens, output_tokens,
          total_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, context_limit,
          cost_micros, runtime_ms, created_by, model_config_id, reasoning_effort, compressed)
        SELECT chat_id, role, content, visibility, input_tokens, output_tokens, total_tokens,
          reasoning_tokens, cache_read_tokens, cache_write_tokens, context_limit, cost_micros,
          runtime_ms, created_by, model_config_id, reasoning_effort, compressed
        FROM unnest(${array(pick('chatId'))}::uuid[], ${array(pick('role'))}::text[],
          ${array(values.map((value) => JSON.stringify(value.content)))}::jsonb[],
          ${array(pick('visibility'))}::text[], ${array(pick('inputTokens'))}::bigint[],
          ${array(pick('outputTokens'))}::bigint[], ${array(pick('totalTokens'))}::bigint[],
          ${array(pick('reasoningTokens'))}::bigint[], ${array(pick('cacheReadTokens'))}::bigint[],
          ${array(pick('cacheWriteTokens'))}::bigint[], ${array(pick('contextLimit'))}::bigint[],
          ${array(pick('costMicros'))}::bigint[], ${array(pick('runtimeMs'))}::bigint[],
          ${array(pick('createdBy'))}::text[], ${array(pick('modelConfigId'))}::text[],
          ${array(pick('reasoningEffort'))}::text[], ${array(pick('compressed'))}::boolean[])
          WITH ORDINALITY AS t(chat_id, role, content, visibility, input_tokens, output_tokens,
            total_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, context_limit,
            cost_micros, runtime_ms, created_by, model_config_id, reasoning_effort, compressed,
            ordinality)
        ORDER BY ordinality
        RETURNING ${returned}`,
  );
  // Ids are drawn in ORDER BY order; RETURNING itself promises no order. The content is the
  // validated input: not sending it back saves serialising and parsing every message twice.
  const rows = raw.map(toRow).sort((a, b) => a.id - b.id);
  rows.forEach((row, index) => {
    row.content = values[index]?.content as ChatMessageRow['content'];
  });
  return rows;
}
