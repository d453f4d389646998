import { ChatdError, type ChatdErrorOptions, redactUrl } from '@chatd/core';

/**
 * Error codes thrown by `@chatd/message-store`, besides core's `INVALID_ARGUMENT` and
 * `VALIDATION_FAILED` for malformed input. Check them with `ChatdError.isInstance(error, code)`.
 */
export type StoreErrorCode =
  | 'TRANSITION_NOT_ALLOWED'
  | 'INVALID_STATE'
  | 'QUEUE_FULL'
  | 'QUEUED_MESSAGE_NOT_FOUND'
  | 'MESSAGE_NOT_USER'
  | 'NOTHING_PENDING'
  | 'OUTSTANDING_TOOL_CALLS'
  | 'INVALID_TOOL_RESULTS'
  | 'CHAT_NOT_ROOT'
  | 'CHAT_NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'CONTENT_TOO_LARGE'
  | 'SCHEMA_TOO_NEW'
  | 'DATA_FOLDER_IN_USE'
  | 'DRIVER_NOT_INSTALLED'
  | 'DATABASE_NOT_FOUND'
  | 'DATABASE_UNREACHABLE'
  | 'STORE_CLOSED'
  | 'UNSAFE_INTEGER'
  | 'ROOT_HANDLE_IN_TRANSACTION'
  | 'TRANSACTION_ENDED'
  | 'DRAFT_WRITE_FAILED';

/** No chat with the given id exists (or it was deleted). */
export class ChatNotFoundError extends ChatdError<'CHAT_NOT_FOUND'> {
  /** The id that was looked up. */
  readonly chatId: string;

  constructor(chatId: string, options?: ChatdErrorOptions) {
    super('CHAT_NOT_FOUND', `Chat ${chatId} not found`, options);
    this.name = 'ChatNotFoundError';
    this.chatId = chatId;
  }
}

/** No message with the given id exists in the chat (or it is soft-deleted where that matters). */
export class MessageNotFoundError extends ChatdError<'MESSAGE_NOT_FOUND'> {
  /** The message id that was looked up. */
  readonly messageId: number;

  constructor(messageId: number, options?: ChatdErrorOptions) {
    super('MESSAGE_NOT_FOUND', `Message ${messageId} not found`, options);
    this.name = 'MessageNotFoundError';
    this.messageId = messageId;
  }
}

/** Serialised content is larger than the store's `limits.maxContentBytes`; nothing was written. */
export class ContentTooLargeError extends ChatdError<'CONTENT_TOO_LARGE'> {
  /** The UTF-8 size of the serialised content. */
  readonly bytes: number;
  /** The configured limit. */
  readonly maxBytes: number;

  constructor(bytes: number, maxBytes: number) {
    super('CONTENT_TOO_LARGE', `Content is ${bytes} bytes, over the limit of ${maxBytes} bytes`);
    this.name = 'ContentTooLargeError';
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

/**
 * The database was migrated by a newer version of this package; opening it with this version
 * could corrupt it. Upgrade the package (or use a separate database).
 */
export class SchemaTooNewError extends ChatdError<'SCHEMA_TOO_NEW'> {
  /** The newest schema version found in the database. */
  readonly databaseVersion: number;
  /** The newest schema version this package knows. */
  readonly packageVersion: number;

  constructor(databaseVersion: number, packageVersion: number) {
    super(
      'SCHEMA_TOO_NEW',
      `Database schema version ${databaseVersion} is newer than this package's ${packageVersion}`,
    );
    this.name = 'SchemaTooNewError';
    this.databaseVersion = databaseVersion;
    this.packageVersion = packageVersion;
  }
}

/** Another live process holds the PGlite data folder (PGlite allows one process per folder). */
export class DataFolderInUseError extends ChatdError<'DATA_FOLDER_IN_USE'> {
  /** The data folder. */
  readonly dataDir: string;
  /** The process id found in the lock file. */
  readonly pid: number;

  /**
   * @param pid - The owner's process id, or 0 when it cannot be known.
   * @param reason - Replaces the default message when the owner is unknown.
   */
  constructor(dataDir: string, pid: number, reason?: string) {
    super('DATA_FOLDER_IN_USE', reason ?? `Data folder ${dataDir} is in use by process ${pid}`);
    this.name = 'DataFolderInUseError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

/**
 * `openStore({ url })` needs the optional peer dependency `pg`, which could not be loaded.
 * Install it (`npm install pg`); PGlite sources and `{ pool }` do not need it.
 */
export class DriverNotInstalledError extends ChatdError<'DRIVER_NOT_INSTALLED'> {
  constructor(options?: ChatdErrorOptions) {
    super(
      'DRIVER_NOT_INSTALLED',
      'Opening a store from a Postgres URL needs the optional peer dependency `pg`: npm install pg',
      options,
    );
    this.name = 'DriverNotInstalledError';
  }
}

/**
 * The database a `{ url }` names does not exist on the server (Postgres error 3D000). The store
 * creates its tables, not the database: create it, or fix the URL.
 */
export class DatabaseNotFoundError extends ChatdError<'DATABASE_NOT_FOUND'> {
  /** The database the URL names; `''` when the URL names none (the server's default). */
  readonly database: string;

  /** @param url - The URL opened; only its redacted form (no credentials) is kept. */
  constructor(database: string, url: string, options?: ChatdErrorOptions) {
    const where = redactUrl(url);
    super(
      'DATABASE_NOT_FOUND',
      database === ''
        ? `The database of ${where} does not exist: create it, or name an existing one in the URL`
        : `Database "${database}" does not exist at ${where}: create it first ` +
            `(CREATE DATABASE "${database.replaceAll('"', '""')}"), or fix the URL`,
      options,
    );
    this.name = 'DatabaseNotFoundError';
    this.database = database;
  }
}

/**
 * The Postgres server could not be reached: the connection was refused, the host is unknown, or
 * connecting timed out. It is down, or the host or port is wrong. Retryable: the pool connects
 * afresh on the next call.
 */
export class DatabaseUnreachableError extends ChatdError<'DATABASE_UNREACHABLE'> {
  /**
   * @param url - The URL opened, when the store opened it; only its redacted form (no
   *   credentials) is kept.
   * @param reason - The system error code (`ECONNREFUSED`, …).
   */
  constructor(url: string | undefined, reason: string, options?: ChatdErrorOptions) {
    super(
      'DATABASE_UNREACHABLE',
      url === undefined
        ? `Cannot reach the Postgres server (${reason}): is it running?`
        : `Cannot reach the Postgres server at ${redactUrl(url)} (${reason}): ` +
            'is it running, and are the host and port in the URL right?',
      { retryable: true, ...options },
    );
    this.name = 'DatabaseUnreachableError';
  }
}

/** The store was closed; every call after `close()` fails with this. */
export class StoreClosedError extends ChatdError<'STORE_CLOSED'> {
  constructor() {
    super('STORE_CLOSED', 'The message store is closed');
    this.name = 'StoreClosedError';
  }
}

/** A bigint column held a value outside JavaScript's safe integer range. */
export class UnsafeIntegerError extends ChatdError<'UNSAFE_INTEGER'> {
  /** The value as the driver returned it. */
  readonly value: string;

  constructor(value: string) {
    super('UNSAFE_INTEGER', `Integer ${value} is outside the safe range of a JavaScript number`);
    this.name = 'UnsafeIntegerError';
    this.value = value;
  }
}

/**
 * Code used the root database handle while a transaction was open in the same async context.
 * PGlite has one connection, so that query would wait for the transaction forever; on Postgres
 * it would silently run outside the transaction. Use the transaction handle instead.
 */
export class RootHandleInTransactionError extends ChatdError<'ROOT_HANDLE_IN_TRANSACTION'> {
  constructor(
    message = 'The root database handle was used inside a transaction; use the transaction handle',
  ) {
    super('ROOT_HANDLE_IN_TRANSACTION', message);
    this.name = 'RootHandleInTransactionError';
  }
}

/**
 * A statement was sent on a transaction that can take no more: it has sent its COMMIT, or its
 * callback has returned (committed or rolled back). Sent anyway, it would run outside the
 * transaction, on a connection that may be serving someone else. Usually a statement or a
 * transition that the callback did not await.
 */
export class TransactionEndedError extends ChatdError<'TRANSACTION_ENDED'> {
  constructor(message: string) {
    super('TRANSACTION_ENDED', message);
    this.name = 'TransactionEndedError';
  }
}

/**
 * Writing a batch of draft envelopes failed (the database is unreachable, say). The envelopes
 * stay queued and the writer keeps retrying with backoff; `cause` is the driver's error.
 */
export class DraftWriteFailedError extends ChatdError<'DRAFT_WRITE_FAILED'> {
  /** The chat whose episode could not be written. */
  readonly chatId: string;

  constructor(chatId: string, options?: ChatdErrorOptions) {
    super(
      'DRAFT_WRITE_FAILED',
      `Writing the draft of chat ${chatId} failed; it is retried`,
      options,
    );
    this.name = 'DraftWriteFailedError';
    this.chatId = chatId;
  }
}
