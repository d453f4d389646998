import type { Chatd } from '@chatd/chatd';
import { ChatdError } from '@chatd/core';
import type { FastifyInstance } from 'fastify';
import type { Users } from '../auth.js';
import { HttpError } from '../errors.js';
import { currentUser, requireAdmin } from './auth-hook.js';
import { emptyResponse, errorResponses, ref } from './schemas.js';

const uuidParam = (name: string) =>
  ({
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', format: 'uuid' } },
  }) as const;
const tags = ['users'];
/** A user's name: letters, digits and `_.@-`, as in an email address or a handle. */
const userName = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[\\w.@-]+$' } as const;
const adminsOnly = 'Admins only (`FORBIDDEN`)';
const badRequest = 'The request does not match the schema (`VALIDATION_FAILED`)';

/** Deletes every chat of a user (sub-chats included), including any created meanwhile. */
async function deleteChatsOf(chatd: Chatd, ownerId: string): Promise<void> {
  for (;;) {
    const { chats } = await chatd.listChats(ownerId, { includeChildren: true, limit: 200 });
    if (chats.length === 0) return;
    for (const chat of chats) {
      // A sub-chat goes with its root; one deleted so is no longer there.
      await chatd.deleteChat(chat.id).catch((error: unknown) => {
        if (!ChatdError.isInstance(error, 'CHAT_NOT_FOUND')) throw error;
      });
    }
  }
}

/** Users and API tokens, for admins: tokens are shown once, in the response that creates them. */
export function adminRoutes(app: FastifyInstance, users: Users, chatd: Chatd): void {
  app.get(
    '/v1/admin/users',
    {
      schema: {
        summary: 'List users',
        tags,
        operationId: 'listUsers',
        response: {
          200: {
            description: 'Every user, oldest first',
            type: 'object',
            required: ['users'],
            additionalProperties: false,
            properties: { users: { type: 'array', items: ref('User') } },
          },
          ...errorResponses({ 403: adminsOnly }),
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      return { users: await users.list() };
    },
  );

  app.post<{ Body: { name: string; admin?: boolean } }>(
    '/v1/admin/users',
    {
      schema: {
        summary: 'Create a user with a first API token',
        tags,
        operationId: 'createUser',
        response: {
          201: {
            description: 'The user and its token (shown this once)',
            type: 'object',
            required: ['user', 'token'],
            additionalProperties: false,
            properties: { user: ref('User'), token: ref('IssuedToken') },
          },
          ...errorResponses({
            400: badRequest,
            403: adminsOnly,
            409: 'The name is taken (`USER_EXISTS`)',
          }),
        },
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          examples: [{ name: 'alice' }],
          properties: {
            name: userName,
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

  app.patch<{ Params: { userId: string }; Body: { name?: string; admin?: boolean } }>(
    '/v1/admin/users/:userId',
    {
      schema: {
        summary: 'Rename a user, or make them an admin or not',
        description:
          'Holds from the next request on every replica. An admin cannot take their own admin rights away, so an admin is always left.',
        tags,
        operationId: 'updateUser',
        params: uuidParam('userId'),
        body: {
          type: 'object',
          additionalProperties: false,
          examples: [{ admin: true }],
          properties: {
            name: userName,
            admin: { type: 'boolean' },
          },
        },
        response: {
          200: { description: 'The user as changed', ...ref('User') },
          ...errorResponses({
            400: badRequest,
            403: adminsOnly,
            404: 'No such user (`USER_NOT_FOUND`)',
            409: 'The name is taken (`USER_EXISTS`), or that is you losing admin (`CANNOT_DEMOTE_SELF`)',
          }),
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { userId } = request.params;
      const { name, admin } = request.body;
      if (admin === false && userId === currentUser(request).id) {
        throw new HttpError(
          409,
          'CANNOT_DEMOTE_SELF',
          'You cannot take your own admin rights away',
        );
      }
      const updated = await users.update(userId, {
        ...(name === undefined ? {} : { name }),
        ...(admin === undefined ? {} : { isAdmin: admin }),
      });
      if (updated === undefined) throw new HttpError(404, 'USER_NOT_FOUND', 'No such user');
      if (updated === 'name-taken') {
        throw new HttpError(409, 'USER_EXISTS', `A user named ${name} exists`);
      }
      return updated;
    },
  );

  app.delete<{ Params: { userId: string } }>(
    '/v1/admin/users/:userId',
    {
      schema: {
        summary: 'Delete a user with everything of theirs',
        description:
          'Revokes the user’s tokens first (their open streams end and nothing signs in as them), then deletes their chats (running turns stop), their MCP tokens and the user. Irreversible. An admin cannot delete their own user, so an admin is always left.',
        tags,
        operationId: 'deleteUser',
        params: uuidParam('userId'),
        response: {
          204: emptyResponse('Deleted'),
          ...errorResponses({
            400: 'A malformed user id',
            403: adminsOnly,
            404: 'No such user (`USER_NOT_FOUND`)',
            409: 'That is you (`CANNOT_DELETE_SELF`)',
          }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      const { userId } = request.params;
      if (userId === currentUser(request).id) {
        throw new HttpError(409, 'CANNOT_DELETE_SELF', 'You cannot delete your own user');
      }
      if ((await users.get(userId)) === undefined) {
        throw new HttpError(404, 'USER_NOT_FOUND', 'No such user');
      }
      // Tokens first: from then on the user can start nothing new while their chats go.
      await users.revokeAllTokens(userId);
      await deleteChatsOf(chatd, userId);
      await users.delete(userId);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { userId: string } }>(
    '/v1/admin/users/:userId/tokens',
    {
      schema: {
        summary: "List a user's API tokens",
        description:
          'Their ids, names and creation times; never the tokens, which only their hashes stand for.',
        tags,
        operationId: 'listTokens',
        params: uuidParam('userId'),
        response: {
          200: {
            description: 'The user’s tokens, oldest first',
            type: 'object',
            required: ['tokens'],
            additionalProperties: false,
            properties: { tokens: { type: 'array', items: ref('TokenInfo') } },
          },
          ...errorResponses({
            400: 'A malformed user id',
            403: adminsOnly,
            404: 'No such user (`USER_NOT_FOUND`)',
          }),
        },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { userId } = request.params;
      if ((await users.get(userId)) === undefined) {
        throw new HttpError(404, 'USER_NOT_FOUND', 'No such user');
      }
      return { tokens: await users.listTokens(userId) };
    },
  );

  app.post<{ Params: { userId: string }; Body: { name?: string } }>(
    '/v1/admin/users/:userId/tokens',
    {
      schema: {
        summary: 'Issue another API token for a user',
        tags,
        operationId: 'issueToken',
        response: {
          201: { description: 'The token (shown this once)', ...ref('IssuedToken') },
          ...errorResponses({
            400: badRequest,
            403: adminsOnly,
            404: 'No such user (`USER_NOT_FOUND`)',
          }),
        },
        params: uuidParam('userId'),
        body: {
          type: 'object',
          additionalProperties: false,
          examples: [{ name: 'laptop' }],
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
      },
      // The body is optional: a request with none is the same as `{}` (a JSON `null` is not).
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
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
    {
      schema: {
        summary: 'Revoke an API token',
        tags,
        operationId: 'revokeToken',
        params: uuidParam('tokenId'),
        response: {
          204: emptyResponse('Revoked: requests with it get 401 from now on'),
          ...errorResponses({
            400: 'A malformed token id',
            403: adminsOnly,
            404: 'No such token (`TOKEN_NOT_FOUND`)',
          }),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request);
      if (!(await users.revokeToken(request.params.tokenId))) {
        throw new HttpError(404, 'TOKEN_NOT_FOUND', 'No such token');
      }
      return reply.status(204).send();
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        summary: 'Who the token belongs to',
        tags,
        operationId: 'getMe',
        response: { 200: { description: 'You', ...ref('User') } },
      },
    },
    async (request) => currentUser(request),
  );
}
