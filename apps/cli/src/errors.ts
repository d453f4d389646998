import { ChatdError } from '@chatd/core';
import { safeLine } from './terminal-text.js';

/** A failure the user can act on, printed as one line (never a stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Whether `error` says the server could not be reached (it may come back). */
export function isUnreachable(error: unknown): boolean {
  return ChatdError.isInstance(error) && error.code === 'UNREACHABLE';
}

/** One clear line for any failure, safe to draw (a server's message is its text). */
export function describeError(error: unknown, url: string | undefined): string {
  return safeLine(describe(error, url));
}

function describe(error: unknown, url: string | undefined): string {
  if (error instanceof CliError) return error.message;
  if (ChatdError.isInstance(error)) {
    const status = (error as { status?: number }).status;
    if (isUnreachable(error)) {
      // The client's message names the URL it tried (the saved one or --url).
      const tried = /at (\S+)$/.exec(error.message)?.[1] ?? url ?? '(no url)';
      return `cannot reach the chatd server at ${tried}: is it running? (npm start)`;
    }
    if (status === 401) return 'the server refused the token: log in again with `chatd login`';
    if (status === 404 && error.code === 'CHAT_NOT_FOUND') return 'no such chat';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
