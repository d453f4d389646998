/*
 * Version 2: the draft rows of in-flight episodes. A generating replica appends the parts it
 * streams in batches (one row per batch, never rewritten), so other replicas can follow the
 * episode and a replica that takes a crashed chat over can recover the partial answer.
 *
 * A trigger deletes an episode's rows in the transaction that moves the chat past it (a
 * committed step, a finished interruption, the next attempt, an edit): no writer has to
 * remember to, and rows never outlive the episode except when a writer dies before the chat
 * moves on (then the sweep removes them).
 */
export const migration0002 = {
  version: 2,
  name: 'draft batches',
  sql: /* sql */ `
CREATE TABLE chat_draft_batches (
  chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  history_version bigint NOT NULL CHECK (history_version >= 0),
  generation_attempt integer NOT NULL CHECK (generation_attempt >= 1),
  first_seq integer NOT NULL CHECK (first_seq >= 1),
  last_seq integer NOT NULL CHECK (last_seq >= first_seq),
  envelopes jsonb NOT NULL CHECK (jsonb_typeof(envelopes) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, history_version, generation_attempt, first_seq)
);

CREATE INDEX chat_draft_batches_created_at ON chat_draft_batches (created_at);

CREATE FUNCTION chatd_drop_passed_drafts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM chat_draft_batches d
   WHERE d.chat_id = NEW.id
     AND (d.history_version <> NEW.history_version
          OR d.generation_attempt <> NEW.generation_attempt);
  RETURN NULL;
END $$;

CREATE TRIGGER chats_drop_passed_drafts
  AFTER UPDATE OF history_version, generation_attempt ON chats
  FOR EACH ROW
  WHEN (OLD.history_version IS DISTINCT FROM NEW.history_version
        OR OLD.generation_attempt IS DISTINCT FROM NEW.generation_attempt)
  EXECUTE FUNCTION chatd_drop_passed_drafts();
`,
} as const;
