/*
 * Version 5: the error an update raises when the chat is no longer at the snapshot version it
 * expected. An update that runs its callback against the chat as the store last left it sends
 * its statements without waiting for the row lock's read; its first statement bumps the
 * snapshot only from the expected version and otherwise fails here, which aborts the
 * transaction, so none of the statements sent behind it can write anything.
 */
export const migration0005 = {
  version: 5,
  name: 'snapshot expectation',
  sql: /* sql */ `
CREATE FUNCTION chatd_snapshot_moved(chat_id uuid, expected bigint, actual bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'chat % is at snapshot version %, not the expected %', chat_id, actual, expected
    USING ERRCODE = 'CD001';
END
$$;
`,
} as const;
