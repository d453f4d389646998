/*
 * Version 3: a message insert resets the generation attempt only when it moves the history
 * version. A chat is now created with its first messages, its history version and (for an
 * engine that runs it at once) its first attempt in one statement; the old rule reset the attempt
 * whenever it was not 0, which undid that first attempt. Every other write is unchanged: an
 * insert after a snapshot bump still moves the history and resets the attempt, and the store's
 * own insert statement resets it itself.
 */
export const migration0003 = {
  version: 3,
  name: 'attempt resets with history',
  sql: /* sql */ `
CREATE OR REPLACE FUNCTION chatd_chat_messages_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chats SET history_version = snapshot_version, generation_attempt = 0
  WHERE id IN (SELECT chat_id FROM new_rows) AND history_version <> snapshot_version;
  -- User messages are user activity, which orders the owner's chat list.
  UPDATE chats SET last_user_activity_at = now()
  WHERE id IN (SELECT chat_id FROM new_rows WHERE role = 'user')
    AND last_user_activity_at < now();
  RETURN NULL;
END
$$;
`,
} as const;
