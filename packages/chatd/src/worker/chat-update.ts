import type { ChatUpdatePayload } from '@chatd/message-store';

const VERSION_FIELDS = [
  'snapshotVersion',
  'historyVersion',
  'queueVersion',
  'retryStateVersion',
  'generationAttempt',
] as const;

/**
 * Whether `value` looks like a `chat:update` payload: hints come from other processes (another
 * chatd version, a foreign publisher), so they are checked before anyone acts on them.
 */
export function isChatUpdate(value: unknown): value is ChatUpdatePayload {
  if (typeof value !== 'object' || value === null) return false;
  const hint = value as Record<string, unknown>;
  return (
    typeof hint.chatId === 'string' &&
    VERSION_FIELDS.every((field) => typeof hint[field] === 'number') &&
    typeof hint.status === 'string' &&
    typeof hint.archived === 'boolean'
  );
}
