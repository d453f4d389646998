import type { ChatMessageRow } from '@chatd/message-store';

/**
 * The part of the history the model sees: every system message, then everything from the
 * latest compaction summary on (older messages are what the summary replaced).
 */
export function promptWindow(history: readonly ChatMessageRow[]): ChatMessageRow[] {
  const boundary = history.findLastIndex((message) => message.compressed);
  if (boundary === -1) return [...history];
  return history.filter((message, index) => index >= boundary || message.role === 'system');
}
