import { ChatdError } from '@chatd/core';

/**
 * A request to the server failed: `status` is the HTTP status (0 when the server could not be
 * reached), `code` and `message` come from the server's error body (`{ error: { code, message } }`)
 * or describe the network failure.
 */
export class ChatdClientError extends ChatdError<string> {
  /** The HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** The server's `details`, when it sent any. */
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown, cause?: unknown) {
    super(code, message, {
      retryable: status === 0 || status >= 500 || status === 429,
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'ChatdClientError';
    this.status = status;
    this.details = details;
  }
}

/** Reads a failed response into a {@link ChatdClientError}. */
export async function errorFromResponse(response: Response): Promise<ChatdClientError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as {
      error?: { code?: unknown; message?: unknown; details?: unknown };
    };
    const { code, message, details } = body.error ?? {};
    if (typeof code === 'string' && typeof message === 'string') {
      return new ChatdClientError(response.status, code, message, details);
    }
  } catch {}
  return new ChatdClientError(
    response.status,
    `HTTP_${response.status}`,
    `The server answered ${response.status} ${response.statusText}`.trim(),
  );
}
