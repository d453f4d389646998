/*
 * Version 4: draft rows are UNLOGGED, like the heartbeats. A draft batch is a preview of an
 * answer still streaming, rewritten by the commit that follows within seconds; as a logged
 * table every batch (about thirty a second per streaming chat) waited for its own write-ahead
 * log flush, competing with the commits that matter. Unlogged, the rows survive everything but
 * a crash of the Postgres server itself (they are emptied then, and are not copied to standby
 * servers): a replica that takes over a chat whose worker died still recovers its partial
 * answer; after a database crash the chat simply generates its answer again.
 */
export const migration0004 = {
  version: 4,
  name: 'unlogged drafts',
  sql: /* sql */ `
ALTER TABLE chat_draft_batches SET UNLOGGED;
`,
} as const;
