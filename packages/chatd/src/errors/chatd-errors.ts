import { ChatdError, type ChatdErrorOptions } from '@chatd/core';

/** Codes of the errors chatd itself throws (the store's pass through unchanged). */
export type ChatdEngineErrorCode =
  | 'UNKNOWN_MODEL_CONFIG'
  | 'NO_DEFAULT_MODEL_CONFIG'
  | 'NOTHING_TO_COMPACT'
  | 'CHATD_CLOSED'
  | 'ALREADY_STARTED';

/** A `modelConfigId` the model resolver does not know; nothing was written. */
export class UnknownModelConfigError extends ChatdError<'UNKNOWN_MODEL_CONFIG'> {
  constructor(
    readonly modelConfigId: string,
    options?: ChatdErrorOptions,
  ) {
    super('UNKNOWN_MODEL_CONFIG', `Unknown model configuration "${modelConfigId}".`, options);
  }
}

/** A chat created without `modelConfigId` while the model resolver has no default. */
export class NoDefaultModelConfigError extends ChatdError<'NO_DEFAULT_MODEL_CONFIG'> {
  constructor(options?: ChatdErrorOptions) {
    super(
      'NO_DEFAULT_MODEL_CONFIG',
      'No modelConfigId was given and the model resolver has no default model configuration.',
      options,
    );
  }
}

/** `compact` on a chat with nothing new since its last compaction; nothing was written. */
export class NothingToCompactError extends ChatdError<'NOTHING_TO_COMPACT'> {
  constructor(
    readonly chatId: string,
    options?: ChatdErrorOptions,
  ) {
    super('NOTHING_TO_COMPACT', `Chat ${chatId} has nothing new to compact.`, options);
  }
}

/** A call after `close()`. */
export class ChatdClosedError extends ChatdError<'CHATD_CLOSED'> {
  constructor(options?: ChatdErrorOptions) {
    super('CHATD_CLOSED', 'This chatd instance is closed.', options);
  }
}

/** A second `start()`. */
export class AlreadyStartedError extends ChatdError<'ALREADY_STARTED'> {
  constructor(options?: ChatdErrorOptions) {
    super('ALREADY_STARTED', 'This chatd instance was already started.', options);
  }
}
