import type { ChatStateSnapshot } from './chat-snapshot.js';

/** How many chats {@link RecentChats} keeps. */
const CAPACITY = 1000;

/**
 * The chats as this store's own commits last left them (the most recently changed ones): what
 * a pipelined update runs its callback against before the row lock's read returns. A chat
 * another store changed since is simply not at the kept snapshot version any more, which the
 * update's first statement detects.
 */
export class RecentChats {
  readonly #chats = new Map<string, ChatStateSnapshot>();

  /** The chat as last kept, if it is kept. */
  get(chatId: string): ChatStateSnapshot | undefined {
    return this.#chats.get(chatId);
  }

  /**
   * Keeps `chat` (what a commit left) unless a newer snapshot of it is kept: commits of one
   * chat are ordered by its row lock, but their callbacks may run in either order.
   */
  keep(chat: ChatStateSnapshot): void {
    const { id, snapshotVersion } = chat.row;
    const kept = this.#chats.get(id);
    if (kept !== undefined && kept.row.snapshotVersion >= snapshotVersion) return;
    this.#chats.delete(id);
    this.#chats.set(id, chat);
    if (this.#chats.size > CAPACITY) {
      this.#chats.delete(this.#chats.keys().next().value as string);
    }
  }

  /** Forgets a chat (its kept snapshot turned out stale, or this store deleted it). */
  forget(chatId: string): void {
    this.#chats.delete(chatId);
  }
}
