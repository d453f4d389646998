import type { ServerDatabase } from '../database.js';

/** The client chat ids of each user, mapped to chatd chats. */
export class ClientChats {
  readonly #db: ServerDatabase;
  constructor(db: ServerDatabase) {
    this.#db = db;
  }
  async find(userId: string, clientChatId: string): Promise<string | undefined> {
    const [row] = await this.#db.query<{ chat_id: string }>(
      'SELECT chat_id FROM server_client_chats WHERE user_id = $1 AND client_chat_id = $2',
      [userId, clientChatId],
    );
    return row?.chat_id;
  }
  /**
   * Maps the client chat id to `chatId` unless a concurrent request mapped it first: the chat
   * it maps to either way.
   */
  async add(userId: string, clientChatId: string, chatId: string): Promise<string> {
    const [row] = await this.#db.query<{ chat_id: string }>(
      `INSERT INTO server_client_chats (user_id, client_chat_id, chat_id) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, client_chat_id) DO NOTHING RETURNING chat_id`,
      [userId, clientChatId, chatId],
    );
    return row?.chat_id ?? (await this.find(userId, clientChatId)) ?? chatId;
  }
}
