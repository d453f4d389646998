import { ChatdError } from '@chatd/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The one error body of every route: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An HTTP error the routes throw themselves (auth, ownership, unknown routes). */
export class HttpError extends ChatdError<string> {
  readonly statusCode: number;
  constructor(statusCode: number, code: string, message: string) {
    super(code, message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
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
};

/** Fastify's own errors (schema validation, body limits, bad JSON) and everything else. */
export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const body = toErrorBody(error);
  const status = statusOf(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
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
    const status = statusOf(error);
    if (status >= 500) return { error: { code: 'INTERNAL', message: 'Internal server error' } };
    const { issues, max, retryAfterMs } = error as {
      issues?: unknown;
      max?: unknown;
      retryAfterMs?: unknown;
    };
    // Validation issues name the bad fields; a full queue names its cap; a rate limit says
    // when to try again.
    const details =
      issues ??
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
    return {
      error: {
        code: 'VALIDATION_FAILED',
        message: `Invalid request: ${fastifyError.message}`,
        details: fastifyError.validation.map((issue) => ({
          path: issue.instancePath,
          message: issue.message,
        })),
      },
    };
  }
  const status = statusOf(error);
  if (status < 500) {
    return { error: { code: fastifyError.code ?? 'BAD_REQUEST', message: fastifyError.message } };
  }
  return { error: { code: 'INTERNAL', message: 'Internal server error' } };
}
