/*
 * Version 1: tables, indexes and the triggers that keep the version counters (history, queue,
 * retry state, message revision) so that no caller can set them.
 *
 * Written for PostgreSQL 15 (production) and PGlite (PostgreSQL 18): no syntax newer than 15.
 * Trigger functions raise with SQLSTATE 'P0001' and a message naming the column, so a caller
 * that writes a database-maintained column gets a clear error and the statement rolls back.
 */
export const migration0001 = {
  version: 1,
  name: 'initial',
  sql: /* sql */ `
CREATE TABLE chats (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL,
  title text NOT NULL DEFAULT 'New Chat',
  parent_chat_id uuid REFERENCES chats (id) ON DELETE CASCADE,
  root_chat_id uuid REFERENCES chats (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'waiting'
    CHECK (status IN ('waiting', 'running', 'interrupting', 'requires-action', 'error')),
  archived boolean NOT NULL DEFAULT false,
  worker_id text,
  runner_id text,
  last_error jsonb CHECK (last_error IS NULL OR jsonb_typeof(last_error) = 'object'),
  last_model_config_id text,
  mcp_server_ids text[] NOT NULL DEFAULT '{}',
  labels jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
  dynamic_tools jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(dynamic_tools) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_user_activity_at timestamptz NOT NULL DEFAULT now(),
  snapshot_version bigint NOT NULL DEFAULT 1,
  history_version bigint NOT NULL DEFAULT 0,
  queue_version bigint NOT NULL DEFAULT 0,
  generation_attempt integer NOT NULL DEFAULT 0,
  retry_state jsonb,
  retry_state_version bigint NOT NULL DEFAULT 0,
  requires_action_deadline_at timestamptz,
  compaction_requested_at timestamptz,
  -- A root has neither; a child has both.
  CHECK ((parent_chat_id IS NULL) = (root_chat_id IS NULL))
);

-- Worker acquisition: runnable, unarchived chats in updated order.
CREATE INDEX chats_acquisition_idx ON chats (status, updated_at, id) WHERE NOT archived;
-- Owner listing: most recent user activity first, keyset-paginated.
CREATE INDEX chats_owner_activity_idx
  ON chats (owner_id, archived, last_user_activity_at DESC, id DESC);
CREATE INDEX chats_root_idx ON chats (root_chat_id) WHERE root_chat_id IS NOT NULL;
CREATE INDEX chats_parent_idx ON chats (parent_chat_id) WHERE parent_chat_id IS NOT NULL;

CREATE TABLE chat_messages (
  id bigserial PRIMARY KEY,
  chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
  visibility text NOT NULL DEFAULT 'both' CHECK (visibility IN ('user', 'model', 'both')),
  input_tokens bigint,
  output_tokens bigint,
  total_tokens bigint,
  reasoning_tokens bigint,
  cache_read_tokens bigint,
  cache_write_tokens bigint,
  context_limit bigint,
  cost_micros bigint,
  runtime_ms bigint,
  created_by text,
  model_config_id text,
  reasoning_effort text,
  compressed boolean NOT NULL DEFAULT false,
  deleted boolean NOT NULL DEFAULT false,
  revision bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX chat_messages_chat_id_idx ON chat_messages (chat_id, id);
CREATE INDEX chat_messages_chat_revision_idx ON chat_messages (chat_id, revision);

CREATE SEQUENCE chat_queued_messages_position_seq;

CREATE TABLE chat_queued_messages (
  id bigserial PRIMARY KEY,
  chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  content jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
  position bigint NOT NULL DEFAULT nextval('chat_queued_messages_position_seq'),
  created_by text NOT NULL,
  model_config_id text,
  reasoning_effort text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX chat_queued_messages_chat_idx ON chat_queued_messages (chat_id, position, id);

-- UNLOGGED: losing leases in a crash only makes chats look stale, which is what a crash means.
CREATE UNLOGGED TABLE chat_heartbeats (
  chat_id uuid NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  runner_id text NOT NULL,
  worker_id text,
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, runner_id)
);

CREATE INDEX chat_heartbeats_heartbeat_at_idx ON chat_heartbeats (heartbeat_at);

-- Message revision: every write stamps the chat's current snapshot_version.
CREATE FUNCTION chatd_chat_messages_before_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.revision IS NOT NULL THEN
      RAISE EXCEPTION 'chat_messages.revision is assigned by the database';
    END IF;
  ELSE
    IF NEW.revision IS DISTINCT FROM OLD.revision THEN
      RAISE EXCEPTION 'chat_messages.revision is assigned by the database';
    END IF;
    IF NEW.chat_id IS DISTINCT FROM OLD.chat_id THEN
      RAISE EXCEPTION 'chat_messages.chat_id cannot change';
    END IF;
    -- A no-op update keeps its revision, so history does not move.
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NEW;
    END IF;
  END IF;
  SELECT snapshot_version INTO NEW.revision FROM chats WHERE id = NEW.chat_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chat % does not exist', NEW.chat_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER chat_messages_before_write
  BEFORE INSERT OR UPDATE ON chat_messages
  FOR EACH ROW EXECUTE FUNCTION chatd_chat_messages_before_write();

-- History version: once per statement, for the chats whose history really changed. Resetting
-- generation_attempt also clears retry_state (chats trigger below).
CREATE FUNCTION chatd_chat_messages_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chats SET history_version = snapshot_version, generation_attempt = 0
  WHERE id IN (SELECT chat_id FROM new_rows)
    AND (history_version <> snapshot_version OR generation_attempt <> 0);
  -- User messages are user activity, which orders the owner's chat list.
  UPDATE chats SET last_user_activity_at = now()
  WHERE id IN (SELECT chat_id FROM new_rows WHERE role = 'user')
    AND last_user_activity_at < now();
  RETURN NULL;
END
$$;

CREATE TRIGGER chat_messages_after_insert
  AFTER INSERT ON chat_messages
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION chatd_chat_messages_after_insert();

CREATE FUNCTION chatd_chat_messages_after_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chats SET history_version = snapshot_version, generation_attempt = 0
  WHERE id IN (
      SELECT n.chat_id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n IS DISTINCT FROM o
    )
    AND (history_version <> snapshot_version OR generation_attempt <> 0);
  RETURN NULL;
END
$$;

CREATE TRIGGER chat_messages_after_update
  AFTER UPDATE ON chat_messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION chatd_chat_messages_after_update();

-- Queue version: any insert or delete, or a change of what the queue shows or its order.
CREATE FUNCTION chatd_chat_queued_messages_after_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  target uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN
    target := OLD.chat_id;
  ELSE
    target := NEW.chat_id;
  END IF;
  UPDATE chats SET queue_version = snapshot_version
  WHERE id = target AND queue_version <> snapshot_version;
  IF TG_OP = 'INSERT' THEN
    UPDATE chats SET last_user_activity_at = now()
    WHERE id = target AND last_user_activity_at < now();
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER chat_queued_messages_after_insert_delete
  AFTER INSERT OR DELETE ON chat_queued_messages
  FOR EACH ROW EXECUTE FUNCTION chatd_chat_queued_messages_after_write();

CREATE TRIGGER chat_queued_messages_after_update
  AFTER UPDATE ON chat_queued_messages
  FOR EACH ROW
  WHEN (OLD.content IS DISTINCT FROM NEW.content
     OR OLD.model_config_id IS DISTINCT FROM NEW.model_config_id
     OR OLD.position IS DISTINCT FROM NEW.position
     OR OLD.created_by IS DISTINCT FROM NEW.created_by)
  EXECUTE FUNCTION chatd_chat_queued_messages_after_write();

-- Retry state: cleared by a new generation attempt; its version moves only when it changes.
CREATE FUNCTION chatd_chats_before_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.retry_state_version <> 0 THEN
      RAISE EXCEPTION 'chats.retry_state_version is assigned by the database';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.retry_state_version IS DISTINCT FROM OLD.retry_state_version THEN
    RAISE EXCEPTION 'chats.retry_state_version is assigned by the database';
  END IF;
  IF NEW.generation_attempt IS DISTINCT FROM OLD.generation_attempt THEN
    NEW.retry_state := NULL;
  END IF;
  IF NEW.retry_state IS DISTINCT FROM OLD.retry_state THEN
    NEW.retry_state_version := NEW.snapshot_version;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER chats_before_write
  BEFORE INSERT OR UPDATE ON chats
  FOR EACH ROW EXECUTE FUNCTION chatd_chats_before_write();
`,
} as const;
