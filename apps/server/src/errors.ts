import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ChatdError } from '@chatd/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The one error body of every route: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** One invalid field of a `VALIDATION_FAILED`: a JSON pointer into the request and the problem. */
export interface InvalidField {
  path: string;
  message: string;
}

/** An HTTP error the routes throw themselves (auth, ownership, unknown routes). */
export class HttpError extends ChatdError<string> {
  readonly statusCode: number;
  /** The invalid fields of a `VALIDATION_FAILED`. */
  readonly issues: InvalidField[] | undefined;
  constructor(statusCode: number, code: string, message: string, issues?: InvalidField[]) {
    super(code, message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.issues = issues;
  }
}

/** A path as a JSON pointer (`['content', 0, 'text']` is `/content/0/text`). */
export function jsonPointer(path: readonly (string | number)[]): string {
  return path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * One Ajv error of a route schema as an invalid field. Ajv reports an unknown or a missing
 * property at the object holding it (`instancePath` `""` for the body itself) and names the
 * property only in `params`: the path goes down to that property, so the client learns which
 * field to remove or add.
 */
function invalidField(issue: NonNullable<FastifyError['validation']>[number]): InvalidField {
  const { additionalProperty, missingProperty } = issue.params as {
    additionalProperty?: unknown;
    missingProperty?: unknown;
  };
  if (typeof additionalProperty === 'string') {
    return {
      path: `${issue.instancePath}${jsonPointer([additionalProperty])}`,
      message: `is not allowed (unknown property '${additionalProperty}')`,
    };
  }
  if (typeof missingProperty === 'string') {
    return {
      path: `${issue.instancePath}${jsonPointer([missingProperty])}`,
      message: `is required (missing property '${missingProperty}')`,
    };
  }
  return { path: issue.instancePath, message: issue.message ?? 'is invalid' };
}

/** The status of each library error code (the rest is 500). */
const STATUS_BY_CODE: Record<string, number> = {
  CHAT_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  QUEUED_MESSAGE_NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  VALIDATION_FAILED: 400,
  CONTENT_TOO_LARGE: 400,
  UNKNOWN_MODEL_CONFIG: 400,
  NO_DEFAULT_MODEL_CONFIG: 400,
  MESSAGE_NOT_USER: 400,
  INVALID_TOOL_RESULTS: 400,
  TRANSITION_NOT_ALLOWED: 409,
  INVALID_STATE: 409,
  NOTHING_PENDING: 409,
  OUTSTANDING_TOOL_CALLS: 409,
  NOTHING_TO_COMPACT: 409,
  CHAT_NOT_ROOT: 409,
  QUEUE_FULL: 429,
  DATABASE_UNREACHABLE: 503,
};

/** Fastify's own errors (schema validation, body limits, bad JSON) and everything else. */
export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const body = toErrorBody(error);
  const status = statusOf(error);
  // The server's own 5xx (503 while shutting down) is no failure to log.
  if (status >= 500 && !(error instanceof HttpError)) {
    request.log.error({ err: error }, 'request failed');
  }
  void reply.status(status).send(body);
}

function statusOf(error: FastifyError | Error): number {
  if (error instanceof HttpError) return error.statusCode;
  if (ChatdError.isInstance(error)) return STATUS_BY_CODE[error.code] ?? 500;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) return 400;
  const status = fastifyError.statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}

function toErrorBody(error: FastifyError | Error): ErrorBody {
  if (ChatdError.isInstance(error)) {
    // A library's 5xx is a failure whose message is not for clients; an HttpError the server
    // threw itself (503 while shutting down) says what it means.
    if (statusOf(error) >= 500 && !(error instanceof HttpError)) {
      // An outage is worth telling apart (retry later), without the database's address.
      if (error.code === 'DATABASE_UNREACHABLE') {
        return {
          error: { code: error.code, message: 'The database cannot be reached; try again shortly' },
        };
      }
      return { error: { code: 'INTERNAL', message: 'Internal server error' } };
    }
    const { issues, max, retryAfterMs } = error as {
      issues?: ReadonlyArray<{ path: string | readonly (string | number)[]; message: string }>;
      max?: unknown;
      retryAfterMs?: unknown;
    };
    // Validation issues name the bad fields, as JSON pointers into the request like the route
    // schemas' own (the libraries' fields are the body's); a full queue names its cap; a rate
    // limit says when to try again.
    const details =
      issues?.map(({ path, message }) => ({
        path: typeof path === 'string' ? path : jsonPointer(path),
        message,
      })) ??
      (max !== undefined ? { max } : retryAfterMs !== undefined ? { retryAfterMs } : undefined);
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(details === undefined ? {} : { details }),
      },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const details = fastifyError.validation.map(invalidField);
    const context = fastifyError.validationContext ?? 'request';
    return {
      error: {
        code: 'VALIDATION_FAILED',
        message: `Invalid request: ${details.map(({ path, message }) => `${context}${path} ${message}`).join(', ')}`,
        details,
      },
    };
  }
  const status = statusOf(error);
  if (status < 500) {
    return { error: { code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message } };
  }
  return { error: { code: 'INTERNAL', message: 'Internal server error' } };
}

/** The status and code of each HTTP parser failure the client error handler answers. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    message: 'The request headers did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: 'The request line and headers (the URL included) are too large',
  },
};

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (a URL or headers over
 * Node's 16 KiB limit: `431`; headers that did not arrive within `headersTimeout`: `408`;
 * anything malformed: `400`), in the one error shape. Fastify's default writes
 * `{ error, message, statusCode }` instead. The connection is closed afterwards, as Node and
 * Fastify do: the parser cannot find where the next request would start.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = CLIENT_ERRORS[error.code ?? ''] ?? {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'The request is not valid HTTP',
  };
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
