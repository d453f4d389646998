import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import type { Columns } from './columns.js';
import { chatColumns, heartbeatColumns, messageColumns, queuedMessageColumns } from './rows.js';

const descriptions: [table: string, columns: Columns][] = [
  ['chats', chatColumns],
  ['chat_messages', messageColumns],
  ['chat_queued_messages', queuedMessageColumns],
  ['chat_heartbeats', heartbeatColumns],
];

/** `column → nullable`, sorted by column name, so a mismatch shows as a readable diff. */
const byName = (entries: [string, boolean][]) =>
  Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));

describeEachDatabase('table descriptions match the migrated schema', (database) => {
  it.each(descriptions)('%s: same columns, same nullability', async (table, columns) => {
    const rows = await database.query<{ column_name: string; is_nullable: 'YES' | 'NO' }>(
      `SELECT column_name, is_nullable FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    // A missing table would otherwise compare as "no columns".
    expect(rows.length).toBeGreaterThan(0);
    const actual = byName(rows.map((row) => [row.column_name, row.is_nullable === 'YES']));
    const described = byName(
      Object.values(columns).map((column) => [column.sqlName, column.nullable]),
    );
    expect(described).toEqual(actual);
  });
});
