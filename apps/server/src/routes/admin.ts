import type { FastifyInstance } from 'fastify';
import type { Users } from '../auth.js';
import { HttpError } from '../errors.js';
import { currentUser, requireAdmin } from './auth-hook.js';

const uuidParam = (name: string) =>
  ({
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', format: 'uuid' } },
  }) as const;

/** Users and API tokens, for admins: tokens are shown once, in the response that creates them. */
export function adminRoutes(app: FastifyInstance, users: Users): void {
  app.get('/v1/admin/users', async (request) => {
    requireAdmin(request);
    return { users: await users.list() };
  });

  app.post<{ Body: { name: string; admin?: boolean } }>(
    '/v1/admin/users',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\w.@-]+$' },
            admin: { type: 'boolean' },
          },
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const user = await users.create(request.body.name, request.body.admin ?? false);
      if (user === undefined) {
        throw new HttpError(409, 'USER_EXISTS', `A user named ${request.body.name} exists`);
      }
      const { id, token } = await users.issueToken(user.id, 'created with the user');
      return reply.status(201).send({ user, token: { id, token } });
    },
  );

  app.post<{ Params: { userId: string }; Body: { name?: string } }>(
    '/v1/admin/users/:userId/tokens',
    {
      schema: {
        params: uuidParam('userId'),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const user = await users.get(request.params.userId);
      if (user === undefined) throw new HttpError(404, 'USER_NOT_FOUND', 'No such user');
      return reply
        .status(201)
        .send(await users.issueToken(user.id, request.body?.name ?? 'api token'));
    },
  );

  app.delete<{ Params: { tokenId: string } }>(
    '/v1/admin/tokens/:tokenId',
    { schema: { params: uuidParam('tokenId') } },
    async (request, reply) => {
      requireAdmin(request);
      if (!(await users.revokeToken(request.params.tokenId))) {
        throw new HttpError(404, 'TOKEN_NOT_FOUND', 'No such token');
      }
      return reply.status(204).send();
    },
  );

  app.get('/v1/me', async (request) => currentUser(request));
}
