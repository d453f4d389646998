import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MINUTE_MS = 60_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Too many mutations from one user; `retryAfterMs` says when the next one is allowed. */
export class RateLimitedError extends HttpError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(429, 'RATE_LIMITED', 'Too many requests; slow down');
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Limits each user's mutations (POST, PUT, PATCH, DELETE) to `perMinute`, with bursts up to
 * the same number: a token bucket per user that refills continuously. Reads and streams are
 * not limited. The buckets live in this process, so with several replicas a user's budget is
 * per replica, which still bounds what one token can make the cluster write.
 */
export function rateLimitMutations(
  app: FastifyInstance,
  perMinute: number,
  now: () => number = Date.now,
): void {
  if (perMinute <= 0) return;
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / MINUTE_MS;
  // On `onRequest` (after the token check, which is registered first): before the body is
  // parsed and validated, so a body that fails validation, or is too large, costs as much as
  // any other request and cannot be sent without limit.
  app.addHook('onRequest', async (request, reply) => {
    const user = request.user;
    if (user === undefined || !MUTATIONS.has(request.method)) return;
    const at = now();
    const bucket = buckets.get(user.id) ?? { tokens: perMinute, updatedAt: at };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (at - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = at;
    buckets.set(user.id, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterMs = Math.ceil((1 - bucket.tokens) / refillPerMs);
    void reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    throw new RateLimitedError(retryAfterMs);
  });
  // A full bucket is the same as no bucket: forget users who have been quiet, so the map holds
  // only the active ones.
  const sweep = setInterval(() => {
    const at = now();
    for (const [userId, bucket] of buckets) {
      if (bucket.tokens + (at - bucket.updatedAt) * refillPerMs >= perMinute)
        buckets.delete(userId);
    }
  }, MINUTE_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
