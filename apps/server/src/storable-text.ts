import type { FastifyInstance } from 'fastify';
import { HttpError, jsonPointer } from './errors.js';

/**
 * Text Postgres cannot store unchanged: the NUL character (the query fails) and lone UTF-16
 * surrogates (stored as U+FFFD, so the value read back is not the one sent).
 */
const unstorable = (text: string) => text.includes('\u0000') || !text.isWellFormed();

/**
 * The JSON-pointer path of the first string or object key in `value` that Postgres cannot
 * store unchanged, or `undefined`. Walks with its own stack: request bodies may nest deeper
 * than the call stack allows.
 */
export function unstorableTextPath(value: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[value, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (unstorable(item)) return path;
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        const childPath = path + jsonPointer([key]);
        if (unstorable(key)) return childPath;
        pending.push([child, childPath]);
      }
    }
  }
  return undefined;
}

/**
 * Refuses (400 `VALIDATION_FAILED`) a request whose path parameters, query or JSON body hold
 * text Postgres cannot store unchanged, before validation and before any handler writes. The
 * message store refuses such text in chat content the same way; this covers the server's own
 * tables (users, tokens, model configurations, MCP servers, client chat ids) and the sealed
 * secrets, which would otherwise fail with a 500 or be stored altered.
 */
export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const parts = { params: request.params, querystring: request.query, body: request.body };
    for (const [part, value] of Object.entries(parts)) {
      const path = unstorableTextPath(value);
      if (path !== undefined) {
        const problem = 'holds a NUL character or a lone UTF-16 surrogate';
        throw new HttpError(
          400,
          'VALIDATION_FAILED',
          `Invalid request: ${part}${path} ${problem}`,
          [{ path, message: problem }],
        );
      }
    }
  });
}
