import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User, Users } from '../auth.js';
import { HttpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a `/v1` request. */
    user: User | undefined;
    /** The id of the token it authenticated with. */
    tokenId: string | undefined;
  }
}

/** The authenticated user; the hook has refused the request when there is none. */
export function currentUser(request: FastifyRequest): User {
  if (request.user === undefined)
    throw new HttpError(401, 'UNAUTHORIZED', 'Missing or invalid API token');
  return request.user;
}

/** Refuses (403) a user who is not an admin. */
export function requireAdmin(request: FastifyRequest): void {
  if (!currentUser(request).isAdmin) throw new HttpError(403, 'FORBIDDEN', 'Admins only');
}

/**
 * Whether a path needs `Authorization: Bearer <token>`: everything under `/v1` and
 * `/api/chat`. The OpenAPI document marks the same routes as secured, from this one rule.
 */
export function requiresToken(path: string): boolean {
  return path.startsWith('/v1/') || path.startsWith('/api/chat');
}

/** Whether a path is an admin route (`/v1/admin/…`): admins only, every one of them. */
export function requiresAdmin(path: string): boolean {
  return path.startsWith('/v1/admin/');
}

/**
 * Every `/v1` and `/api/chat` route needs `Authorization: Bearer <token>`. Checked on
 * `onRequest`, before the body is parsed and validated, so the rate limit that follows counts
 * requests whatever their body.
 */
export function authHook(app: FastifyInstance, users: Users): void {
  app.decorateRequest('user', undefined);
  app.decorateRequest('tokenId', undefined);
  app.addHook('onRequest', async (request) => {
    // The matched route, not the raw URL: a percent-encoded path (`/%761/models`) reaches the
    // same route and must need the same token. Unmatched paths (404s) fall back to the URL.
    const path = request.routeOptions.url ?? request.url;
    if (!requiresToken(path)) return;
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    const found = match === null ? undefined : await users.authenticate(match[1] as string);
    if (found === undefined)
      throw new HttpError(401, 'UNAUTHORIZED', 'Missing or invalid API token');
    request.user = found.user;
    request.tokenId = found.tokenId;
  });
}

/**
 * Every `/v1/admin` route needs an admin, checked on `onRequest` like the token (after the rate
 * limit, which counts every user's requests): a user who may not call a route gets `403`
 * before its body is read, and so learns nothing of its schema. The handlers check again
 * (`requireAdmin`); this is the early answer.
 */
export function adminHook(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (requiresAdmin(request.routeOptions.url ?? request.url)) requireAdmin(request);
  });
}
