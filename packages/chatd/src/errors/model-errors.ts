/**
 * A model stream that produced no part for the stream-silence timeout and was cancelled. It
 * is retried like a timeout: the provider may have dropped the connection without closing it.
 */
export class StreamSilenceError extends Error {
  override readonly name = 'StreamSilenceError';

  constructor(readonly silentForMs: number) {
    super(`the model stream sent nothing for ${silentForMs} ms`);
  }
}

/**
 * A step the provider ended for content policy with nothing produced. Not retried: the same
 * prompt would be refused again.
 */
export class ContentFilterError extends Error {
  override readonly name = 'ContentFilterError';

  constructor() {
    super('the provider stopped the answer on content policy grounds before it produced anything');
  }
}
