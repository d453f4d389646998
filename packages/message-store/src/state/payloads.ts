import type { ChatStatus } from '@chatd/core';

/** The channel a chat's {@link ChatUpdatePayload}s are published on: `chat:update:<chatId>`. */
export function chatUpdateChannel(chatId: string): string {
  return `chat:update:${chatId}`;
}

/** The global channel of {@link ChatOwnershipPayload} hints. */
export const CHAT_OWNERSHIP_CHANNEL = 'chat:ownership';

/**
 * Published on `chat:update:<chatId>` after every committed `update` (and `createChat`): the
 * chat's versions, status and ownership as of the commit.
 *
 * Delivery is best-effort and may be dropped, duplicated or reordered; receivers keep a
 * per-chat high-water mark of `snapshotVersion` and ignore anything not newer. Each version
 * tells a subscriber what to re-read: `historyVersion` (messages), `queueVersion` (the queue),
 * `retryStateVersion` (the retry banner), `generationAttempt` (a new preview episode).
 */
export interface ChatUpdatePayload {
  /** The chat. */
  chatId: string;
  /** Bumped by exactly one per committed update; orders updates of one chat. */
  snapshotVersion: number;
  /** The owning worker, or `null` when unowned. */
  workerId: string | null;
  /** The owning runner, or `null` when unowned. */
  runnerId: string | null;
  /** The snapshot version of the last change to the chat's messages. */
  historyVersion: number;
  /** The snapshot version of the last change to the chat's queue. */
  queueVersion: number;
  /** The snapshot version of the last change to the chat's retry state. */
  retryStateVersion: number;
  /** Generation attempts since the history last changed. */
  generationAttempt: number;
  /** The chat's status. */
  status: ChatStatus;
  /** Whether the chat is archived. */
  archived: boolean;
}

/**
 * Published on `chat:ownership` when a committed update leaves a runnable chat (running,
 * interrupting, requires-action) without a live owner: unowned, or its owner's heartbeat is
 * older than the lease. Workers treat it as a hint to run their acquisition query now.
 */
export interface ChatOwnershipPayload {
  /** The chat that needs an owner. */
  chatId: string;
  /** The snapshot version that needed it. */
  snapshotVersion: number;
}
