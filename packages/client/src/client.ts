import type { Chat, ChatMessage } from '@chatd/core';
import { ChatdClientError, errorFromResponse } from './errors.js';
import { type StreamOptions, streamChat } from './stream.js';
import type {
  ClientStreamEvent,
  CreateChatRequest,
  MessagePage,
  ModelInfo,
  SendMessageRequest,
  SendMessageResult,
  TokenInfo,
  ToolResultInput,
  User,
} from './types.js';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** An API token (`Authorization: Bearer`). */
  token: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Query parameters; an array is sent as the key repeated, once per element. */
type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** What `chats.list` filters and pages by. */
export interface ListChatsQuery {
  /** Archived chats only (`true`), unarchived only (`false`), or both (omitted). */
  archived?: boolean;
  /** Page size, 1 to 200 (default 50). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Only chats whose labels include every one of these pairs. */
  labels?: Record<string, string>;
}

/** The typed client of a chatd server; see {@link createClient}. */
export class ChatdClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  /** @internal Use {@link createClient}. */
  constructor({ baseUrl, token, fetch: fetchImpl = globalThis.fetch }: ClientOptions) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
    // Called as a plain function: a browser's `fetch` called as a method of another object
    // (`this.#fetch(…)`) throws "Illegal invocation".
    this.#fetch = (input, init) => fetchImpl(input, init);
  }

  /** Chats: create, list, read, rename, relabel, (un)archive or delete. */
  readonly chats = {
    create: (request: CreateChatRequest) => this.#call<Chat>('POST', '/v1/chats', request),
    /** A page of your chats; `labels` keeps the chats that have every one of these pairs. */
    list: ({ labels, ...query }: ListChatsQuery = {}) =>
      this.#call<{ chats: Chat[]; nextCursor?: string }>('GET', '/v1/chats', undefined, {
        ...query,
        ...(labels === undefined
          ? {}
          : { label: Object.entries(labels).map(([key, value]) => `${key}:${value}`) }),
      }),
    get: (chatId: string) => this.#call<Chat>('GET', `/v1/chats/${enc(chatId)}`),
    /** Renames, relabels (`labels` replaces them all) or (un)archives a chat. */
    update: (
      chatId: string,
      update: { title?: string; labels?: Record<string, string>; archived?: boolean },
    ) => this.#call<Chat>('PATCH', `/v1/chats/${enc(chatId)}`, update),
    /** Deletes a chat with its messages, queue and sub-chats. Irreversible. */
    delete: (chatId: string) => this.#call<void>('DELETE', `/v1/chats/${enc(chatId)}`),
  };

  /** A chat's messages: list pages, send, edit. */
  readonly messages = {
    list: (chatId: string, query: { beforeId?: number; afterId?: number; limit?: number } = {}) =>
      this.#call<MessagePage>('GET', `/v1/chats/${enc(chatId)}/messages`, undefined, query),
    send: (chatId: string, request: SendMessageRequest) =>
      this.#call<SendMessageResult>('POST', `/v1/chats/${enc(chatId)}/messages`, request),
    edit: (
      chatId: string,
      messageId: number,
      request: { content: SendMessageRequest['content'] },
    ) =>
      this.#call<ChatMessage>('PATCH', `/v1/chats/${enc(chatId)}/messages/${messageId}`, request),
  };

  /** A chat's queue of waiting messages. */
  readonly queue = {
    delete: (chatId: string, queuedId: number) =>
      this.#call<void>('DELETE', `/v1/chats/${enc(chatId)}/queue/${queuedId}`),
    promote: (chatId: string, queuedId: number) =>
      this.#call<{ message: ChatMessage | null }>(
        'POST',
        `/v1/chats/${enc(chatId)}/queue/${queuedId}/promote`,
      ),
  };

  /** Actions on a chat's turn. */
  readonly actions = {
    interrupt: (chatId: string) => this.#call<Chat>('POST', `/v1/chats/${enc(chatId)}/interrupt`),
    compact: (chatId: string) => this.#call<void>('POST', `/v1/chats/${enc(chatId)}/compact`),
    reconcile: (chatId: string) => this.#call<Chat>('POST', `/v1/chats/${enc(chatId)}/reconcile`),
    submitToolResults: (chatId: string, results: ToolResultInput[]) =>
      this.#call<{ messages: ChatMessage[] }>('POST', `/v1/chats/${enc(chatId)}/tool-results`, {
        results,
      }),
  };

  /** Model configurations. */
  readonly models = {
    list: () => this.#call<{ models: ModelInfo[] }>('GET', '/v1/models'),
  };

  /** Users and tokens (admins only). */
  readonly admin = {
    listUsers: () => this.#call<{ users: User[] }>('GET', '/v1/admin/users'),
    createUser: (request: { name: string; admin?: boolean }) =>
      this.#call<{ user: User; token: { id: string; token: string } }>(
        'POST',
        '/v1/admin/users',
        request,
      ),
    /** Renames a user, or makes them an admin or not (not yourself). */
    updateUser: (userId: string, request: { name?: string; admin?: boolean }) =>
      this.#call<User>('PATCH', `/v1/admin/users/${enc(userId)}`, request),
    createToken: (userId: string, request: { name?: string } = {}) =>
      this.#call<{ id: string; token: string }>(
        'POST',
        `/v1/admin/users/${enc(userId)}/tokens`,
        request,
      ),
    listTokens: (userId: string) =>
      this.#call<{ tokens: TokenInfo[] }>('GET', `/v1/admin/users/${enc(userId)}/tokens`),
    revokeToken: (tokenId: string) =>
      this.#call<void>('DELETE', `/v1/admin/tokens/${enc(tokenId)}`),
    /** Revokes the user's tokens, then deletes their chats and the user. Not yourself. */
    deleteUser: (userId: string) => this.#call<void>('DELETE', `/v1/admin/users/${enc(userId)}`),
  };

  /** The user the token belongs to. */
  me(): Promise<User> {
    return this.#call<User>('GET', '/v1/me');
  }

  /**
   * A chat's live stream: every server event with its `cursor`, plus `connection` events. It
   * reconnects by itself (with the last cursor, after a jittered backoff) when the connection
   * drops or the server restarts, and ends only when `signal` aborts or the server refuses the
   * stream for good (401, 403, 404: thrown as {@link ChatdClientError}).
   */
  stream(chatId: string, options: StreamOptions = {}): AsyncIterable<ClientStreamEvent> {
    return streamChat(
      {
        url: `${this.#baseUrl}/v1/chats/${enc(chatId)}/stream`,
        token: this.#token,
        fetch: this.#fetch,
      },
      options,
    );
  }

  async #call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const url = new URL(`${this.#baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (Array.isArray(value)) for (const element of value) url.searchParams.append(key, element);
      else if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ChatdClientError(
        0,
        'UNREACHABLE',
        `Cannot reach the chatd server at ${this.#baseUrl}`,
        undefined,
        error,
      );
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

const enc = encodeURIComponent;

/**
 * A typed client of a chatd server's `/v1` API.
 *
 * @example
 * ```ts
 * const client = createClient({ baseUrl: 'http://127.0.0.1:8787', token });
 * const chat = await client.chats.create({ content: 'Hello!' });
 * for await (const event of client.stream(chat.id, { signal })) {
 *   if (event.type === 'message-part' && event.part.type === 'text-delta') process.stdout.write(event.part.delta);
 * }
 * ```
 */
export function createClient(options: ClientOptions): ChatdClient {
  return new ChatdClient(options);
}
