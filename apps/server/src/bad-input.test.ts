import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, readStream } from './test-support/read-stream.js';
import {
  ADMIN_TOKEN,
  call,
  createUser,
  registeredRoutes,
  startTestServer,
  type TestServer,
} from './test-support/test-server.js';

/*
 * Bad input on every route that takes any: generated with fast-check (wrong JSON types for
 * each field, missing required fields, unknown fields, over-long strings and arrays, NUL
 * characters and lone surrogates, malformed and unknown ids, invalid JSON, other content
 * types) plus a table of oversized bodies. The property: a 4xx in the one error shape (never
 * a 5xx, never a dropped connection), and nothing written: the users' chats, the chat's
 * messages and queue, the users, model configurations and MCP servers are as they were.
 *
 * Runs are seeded: a failure prints the seed and the input; `FUZZ_SEED=<seed>` replays it.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_205);
/** Runs per route: bodies have more to vary than ids. */
const BODY_RUNS = 30;
const PATH_RUNS = 20;
/** `bodyLimit` of the server (5 MiB). */
const BODY_LIMIT = 5 * 1024 * 1024;

/** One generated request: where it goes and what it carries. */
interface BadRequest {
  path: string;
  /** The raw body; sent with `contentType` (JSON by default). */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** The ids the requests refer to, created before the runs. */
interface Ids {
  chatId: string;
  messageId: number;
  queuedId: number;
  toolCallId: string;
  ownerId: string;
  mcpServerId: string;
  modelConfigId: string;
}

/** A route's bad input: who sends it, and whether a run could write (then checked per run). */
interface FuzzRow {
  as: 'owner' | 'admin';
  writes: boolean;
  /** Whether the route takes a JSON body. */
  body?: true;
  /** Whether the body may be left out: an empty one, sent as JSON, then counts as none. */
  bodyOptional?: true;
  runs: number;
  requests: (ids: Ids) => fc.Arbitrary<BadRequest>;
}

// --- values of the wrong kind --------------------------------------------------------------

const smallJson = fc.jsonValue({ maxDepth: 1 });
const anyObject = fc.dictionary(fc.string(), smallJson, { maxKeys: 3 });
const notString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(smallJson, { maxLength: 3 }),
  anyObject,
);
const notInteger = fc.oneof(
  fc.string(),
  fc.double({ noInteger: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  anyObject,
);
const notBoolean = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.array(smallJson, { maxLength: 3 }),
  anyObject,
);
const notArray = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), anyObject);
const notObject = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(smallJson, { maxLength: 3 }),
);
/** Text Postgres cannot store unchanged: a NUL character or a lone UTF-16 surrogate. */
/** The JSON text of objects nested `depth` deep: over 100 is refused. */
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** Too deep, as values (`JSON.stringify` itself overflows the stack a few thousand deep). */
const tooDeep = fc.constantFrom(101, 2000).map((depth): Json => JSON.parse(nestedJson(depth)));

const unstorable = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF'),
    fc.string({ maxLength: 8 }),
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);
const tooLong = (max: number) =>
  fc.integer({ min: max + 1, max: max + 64 }).map((length) => 'x'.repeat(length));

/** Bad values for a string field with these limits (and `invalid`: values its rules refuse). */
function badText({
  min = 1,
  max,
  invalid = [],
}: {
  min?: number;
  max?: number;
  invalid?: fc.Arbitrary<unknown>[];
}): fc.Arbitrary<unknown> {
  return fc.oneof(
    notString,
    unstorable,
    ...(min > 0 ? [fc.constant('')] : []),
    ...(max === undefined ? [] : [tooLong(max)]),
    ...invalid,
  );
}

/** Bad values for an integer field in `[min, max]`. */
function badInteger(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    notInteger,
    fc.integer({ min: -1_000_000, max: min - 1 }),
    fc.double({ min: max + 1, max: 1e300, noNaN: true }),
  );
}

/** A string outside `allowed`. */
const notOneOf = (...allowed: string[]) =>
  fc.oneof(
    notString,
    fc.string().filter((value) => !allowed.includes(value)),
  );

// Message content: a non-empty string or 1..1000 parts the store knows.
const textPart = { type: 'text', text: 'hi' };
const badContent = fc.oneof(
  badText({}),
  fc.constant([]),
  fc.constant(Array.from({ length: 1001 }, () => textPart)),
  fc.array(notObject, { minLength: 1, maxLength: 3 }),
  fc.array(fc.record({ type: fc.constantFrom('video', 'nope', '', 'TEXT'), text: fc.string() }), {
    minLength: 1,
    maxLength: 3,
  }),
  fc.record({ type: fc.constant('text'), text: notString }).map((part) => [part]),
  unstorable.map((text) => [{ type: 'text', text }]),
);

// --- bad ids ---------------------------------------------------------------------------------

/** A path segment; lone surrogates cannot be percent-encoded as UTF-8, so they come raw. */
const segment = (value: string) => encodeURIComponent(value);
const badEncodings = fc.constantFrom(
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%ED%B0%80',
  '%',
  '%zz',
  '%E0%A4',
);

/** Chat ids (1..100 characters): unknown, too long, unstorable, malformed percent-encoding. */
const badChatId = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 60 }).map(segment),
  fc.string({ minLength: 101, maxLength: 140 }).map(segment),
  badEncodings,
);

/** Positive integer ids (messages, queue entries): never one that could exist here. */
const badPositiveId = fc.oneof(
  fc.integer({ min: -1_000_000, max: 0 }).map(String),
  fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }).map(String),
  fc.integer({ min: 1_000_000_000, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.constantFrom('1e400', 'NaN', 'Infinity', '-Infinity', 'abc', '0x', '1_0', '%20'),
  fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((value) => Number.isNaN(Number(value)))
    .map(segment),
  badEncodings,
);

/** UUID ids (users, tokens, MCP servers): not a UUID, or one nobody has. */
const badUuid = fc.oneof(
  fc.uuid(),
  fc
    .string({ minLength: 1, maxLength: 60 })
    .filter((value) => !/^[0-9a-f-]{36}$/i.test(value))
    .map(segment),
  badEncodings,
);

// --- bodies ----------------------------------------------------------------------------------

interface BodySpec {
  /** A valid body; each generated body breaks it in one way. */
  valid: Record<string, unknown>;
  /** Bad values per field. */
  fields: Record<string, fc.Arbitrary<unknown>>;
  required?: string[];
  /** Whether unknown fields are refused (useChat's body may carry any). */
  strict?: boolean;
  /** Field names the generator must not invent as "unknown". */
  known?: string[];
  /** Whole bodies that are wrong together (e.g. a combination of fields). */
  extra?: fc.Arbitrary<unknown>[];
}

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'text/html',
];

/** Bad bodies for a route: one broken field, a missing or unknown one, bad JSON, other types. */
function badBodies(path: string, spec: BodySpec): fc.Arbitrary<BadRequest> {
  const { valid, fields, required = [], strict = true, known = [], extra = [] } = spec;
  const names = Object.keys(fields);
  const json = fc.oneof(
    fc
      .constantFrom(...names)
      .chain((name) =>
        (fields[name] as fc.Arbitrary<unknown>).map((value) => ({ ...valid, [name]: value })),
      ),
    ...(required.length === 0
      ? []
      : [
          fc.constantFrom(...required).map((name) => {
            const { [name]: _missing, ...rest } = valid;
            return rest;
          }),
        ]),
    ...(strict
      ? [
          fc
            .tuple(
              fc
                .string({ minLength: 1 })
                .filter((key) => !names.includes(key) && !known.includes(key)),
              smallJson,
            )
            .map(([key, value]) => ({ ...valid, [key]: value })),
        ]
      : []),
    notObject,
    ...extra,
  );
  const text = JSON.stringify(valid);
  return fc.oneof(
    { weight: 8, arbitrary: json.map((body) => ({ path, body: JSON.stringify(body) })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          // Cut JSON, never empty: an empty body is no body, which routes whose body is
          // optional take (the empty bodies have their own test below).
          fc.integer({ min: 1, max: text.length - 1 }).map((length) => text.slice(0, length)),
          fc.constantFrom("{'a':1}", '{"a":1,}', 'NaN', '{"a":01}', `${text}}`, `[${text}`),
        )
        .map((body) => ({ path, body })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...CONTENT_TYPES)
        .map((contentType) => ({ path, body: text, contentType })),
    },
  );
}

/** A valid body sent to a path with a bad id in it. */
const withBody =
  (body: unknown) =>
  (path: string): BadRequest => ({ path, body: JSON.stringify(body) });

// --- queries ---------------------------------------------------------------------------------

/** Bad query strings: each parameter wrong, an unknown one, a repeated one. */
function badQueries(
  path: string,
  parameters: Record<string, fc.Arbitrary<string>>,
  extra: fc.Arbitrary<string>[] = [],
): fc.Arbitrary<BadRequest> {
  const names = Object.keys(parameters);
  return fc
    .oneof(
      fc
        .constantFrom(...names)
        .chain((name) =>
          (parameters[name] as fc.Arbitrary<string>).map((value) => `${name}=${value}`),
        ),
      fc
        .tuple(
          fc.string({ minLength: 1 }).filter((key) => !names.includes(key)),
          fc.string(),
        )
        .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
      fc.constantFrom(...names).map((name) => `${name}=1&${name}=2`),
      ...extra,
    )
    .map((query) => ({ path: `${path}?${query}` }));
}

const queryInteger = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: -1_000_000, max: min - 1 }).map(String),
    fc.bigInt({ min: BigInt(max) + 1n, max: BigInt(max) + 10n ** 20n }).map(String),
    fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constantFrom('', 'abc', 'NaN', '1e400', 'true', '%00'),
    fc
      .string({ minLength: 1 })
      .filter((value) => Number.isNaN(Number(value)))
      .map(segment),
  );
/** Labels a chat cannot have: not string pairs, too long, too many, or unstorable text. */
const badLabels = fc.oneof(
  notObject,
  fc.dictionary(fc.string(), notString, { minKeys: 1, maxKeys: 3 }),
  fc.constant({ label: 'x'.repeat(201) }),
  fc.constant(Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v']))),
  unstorable.map((key) => ({ [key]: 'x' })),
  unstorable.map((value) => ({ label: value })),
);

const queryText = (max: number) =>
  fc.oneof(
    fc.constant(''),
    fc.integer({ min: max + 1, max: max + 50 }).map((length) => 'x'.repeat(length)),
    fc.string({ minLength: 1, maxLength: 40 }).map(segment),
    badEncodings,
  );

// --- the routes ------------------------------------------------------------------------------

const chatBody = { content: 'hi' };

const ROWS: Record<string, FuzzRow> = {
  'POST /v1/chats': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ mcpServerId }) =>
      badBodies('/v1/chats', {
        valid: chatBody,
        required: ['content'],
        fields: {
          content: badContent,
          modelConfigId: badText({ max: 200, invalid: [fc.constantFrom('nope', 'gpt-unknown')] }),
          title: badText({ max: 200 }),
          systemPrompt: badText({ max: 100_000 }),
          labels: badLabels,
          mcpServerIds: fc.oneof(
            notArray,
            fc.array(notString, { minLength: 1, maxLength: 3 }),
            fc.array(
              fc.string().filter((value) => value.length !== 36),
              {
                minLength: 1,
                maxLength: 3,
              },
            ),
            fc.uuid().map((id) => [id]),
            fc.constant([mcpServerId, mcpServerId]),
            fc.constant(Array.from({ length: 51 }, () => mcpServerId)),
          ),
          dynamicTools: fc.oneof(
            notArray,
            fc.array(notObject, { minLength: 1, maxLength: 3 }),
            fc.constantFrom(
              [{ name: 'has space', inputSchema: {} }],
              [{ name: 'ok' }],
              [{ name: 'ok', inputSchema: {}, extra: 1 }],
              [{ name: 'ok', inputSchema: 'x' }],
              [{ name: 'x'.repeat(65), inputSchema: {} }],
              [{ name: 'ok', description: 'x'.repeat(10_001), inputSchema: {} }],
              Array.from({ length: 65 }, (_, index) => ({ name: `t${index}`, inputSchema: {} })),
            ),
            unstorable.map((description) => [{ name: 'ok', description, inputSchema: {} }]),
            tooDeep.map((inputSchema) => [{ name: 'ok', inputSchema }]),
          ),
        },
      }),
  },
  'GET /v1/chats': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    requests: () =>
      badQueries('/v1/chats', {
        archived: fc.oneof(
          fc
            .string()
            .filter((value) => !['true', 'false'].includes(value))
            .map(segment),
          badEncodings,
        ),
        limit: queryInteger(1, 200),
        cursor: queryText(500),
        label: fc.oneof(
          fc
            .string({ maxLength: 40 })
            .filter((value) => !/^[^:]+:/.test(value))
            .map(segment),
          fc.constant(`k:${'x'.repeat(401)}`),
          badEncodings.map((bad) => `k:${bad}`),
        ),
      }),
  },
  'GET /v1/chats/:id': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    requests: () => badChatId.map((id) => ({ path: `/v1/chats/${id}` })),
  },
  'PATCH /v1/chats/:id': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ chatId }) =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: badBodies(`/v1/chats/${chatId}`, {
            valid: { title: 'renamed' },
            fields: { title: badText({ max: 200 }), labels: badLabels, archived: notBoolean },
            extra: [fc.constant({})],
          }),
        },
        {
          weight: 1,
          arbitrary: badChatId.map((id) => withBody({ title: 'renamed' })(`/v1/chats/${id}`)),
        },
      ),
  },
  'DELETE /v1/chats/:id': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badChatId.map((id) => ({ path: `/v1/chats/${id}` })),
  },
  'GET /v1/chats/:id/messages': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    requests: ({ chatId, messageId }) =>
      fc.oneof(
        badChatId.map((id) => ({ path: `/v1/chats/${id}/messages` })),
        badQueries(
          `/v1/chats/${chatId}/messages`,
          {
            beforeId: queryInteger(1, Number.MAX_SAFE_INTEGER),
            afterId: queryInteger(0, Number.MAX_SAFE_INTEGER),
            limit: queryInteger(1, 200),
          },
          // afterId must be below beforeId.
          [
            fc
              .integer({ min: 0, max: 20 })
              .map((below) => `beforeId=${messageId}&afterId=${messageId + below}`),
          ],
        ),
      ),
  },
  'POST /v1/chats/:id/messages': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ chatId }) =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: badBodies(`/v1/chats/${chatId}/messages`, {
            valid: chatBody,
            required: ['content'],
            fields: {
              content: badContent,
              busy: notOneOf('queue', 'interrupt'),
              modelConfigId: badText({ max: 200, invalid: [fc.constant('nope')] }),
            },
          }),
        },
        {
          weight: 1,
          arbitrary: badChatId.map((id) => withBody(chatBody)(`/v1/chats/${id}/messages`)),
        },
      ),
  },
  'PATCH /v1/chats/:id/messages/:messageId': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ chatId, messageId }) =>
      fc.oneof(
        {
          weight: 4,
          arbitrary: badBodies(`/v1/chats/${chatId}/messages/${messageId}`, {
            valid: chatBody,
            required: ['content'],
            fields: {
              content: badContent,
              modelConfigId: badText({ max: 200, invalid: [fc.constant('nope')] }),
            },
          }),
        },
        {
          weight: 1,
          arbitrary: badChatId.map((id) =>
            withBody(chatBody)(`/v1/chats/${id}/messages/${messageId}`),
          ),
        },
        {
          weight: 1,
          arbitrary: badPositiveId.map((id) =>
            withBody(chatBody)(`/v1/chats/${chatId}/messages/${id}`),
          ),
        },
      ),
  },
  'DELETE /v1/chats/:id/queue/:queuedId': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: ({ chatId, queuedId }) =>
      fc.oneof(
        badChatId.map((id) => ({ path: `/v1/chats/${id}/queue/${queuedId}` })),
        badPositiveId.map((id) => ({ path: `/v1/chats/${chatId}/queue/${id}` })),
      ),
  },
  'POST /v1/chats/:id/queue/:queuedId/promote': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: ({ chatId, queuedId }) =>
      fc.oneof(
        badChatId.map((id) => ({ path: `/v1/chats/${id}/queue/${queuedId}/promote` })),
        badPositiveId.map((id) => ({ path: `/v1/chats/${chatId}/queue/${id}/promote` })),
      ),
  },
  'POST /v1/chats/:id/interrupt': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badChatId.map((id) => ({ path: `/v1/chats/${id}/interrupt` })),
  },
  'POST /v1/chats/:id/compact': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badChatId.map((id) => ({ path: `/v1/chats/${id}/compact` })),
  },
  'POST /v1/chats/:id/reconcile': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badChatId.map((id) => ({ path: `/v1/chats/${id}/reconcile` })),
  },
  'POST /v1/chats/:id/tool-results': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ chatId, toolCallId }) => {
      const valid = { results: [{ toolCallId, output: 'green' }] };
      return fc.oneof(
        {
          weight: 4,
          arbitrary: badBodies(`/v1/chats/${chatId}/tool-results`, {
            valid,
            required: ['results'],
            fields: {
              results: fc.oneof(
                notArray,
                fc.constant([]),
                fc.constant(Array.from({ length: 101 }, () => valid.results[0])),
                fc.array(notObject, { minLength: 1, maxLength: 3 }),
                // Calls the chat is not waiting for.
                fc.array(fc.record({ toolCallId: fc.string(), output: smallJson }), {
                  minLength: 1,
                  maxLength: 3,
                }),
                fc.constant([valid.results[0], valid.results[0]]),
                unstorable.map((output) => [{ toolCallId, output }]),
                tooDeep.map((output) => [{ toolCallId, output }]),
              ),
            },
          }),
        },
        {
          weight: 1,
          arbitrary: badChatId.map((id) => withBody(valid)(`/v1/chats/${id}/tool-results`)),
        },
      );
    },
  },
  'GET /v1/chats/:id/stream': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    requests: ({ chatId }) =>
      fc.oneof(
        badChatId.map((id) => ({ path: `/v1/chats/${id}/stream` })),
        badQueries(`/v1/chats/${chatId}/stream`, {
          afterMessageId: queryInteger(0, Number.MAX_SAFE_INTEGER),
          cursor: queryText(200),
        }),
        fc
          .string({ minLength: 1, maxLength: 60 })
          // An empty Last-Event-ID means "no cursor" (fetch trims the value).
          .filter((cursor) => cursor.trim() !== '')
          .map((cursor) => ({
            path: `/v1/chats/${chatId}/stream`,
            headers: { 'last-event-id': cursor },
          })),
      ),
  },
  'POST /api/chat': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: () => {
      const user = (parts: unknown) => [{ id: 'm1', role: 'user', parts }];
      return badBodies('/api/chat', {
        valid: { id: 'fuzz-client', messages: user([textPart]) },
        required: ['id', 'messages'],
        strict: false,
        fields: {
          id: badText({ max: 200 }),
          messages: fc.oneof(
            notArray,
            fc.constant([]),
            fc.constant(Array.from({ length: 10_001 }, () => ({ role: 'user' }))),
            fc.array(notObject, { minLength: 1, maxLength: 3 }),
            fc.constant([{ parts: [textPart] }]),
            // No user message with text.
            fc.constant([{ role: 'assistant', parts: [textPart] }]),
            fc.constant(user([])),
            notArray.map(user),
            fc.array(notObject, { minLength: 1, maxLength: 3 }).map(user),
            unstorable.map((text) => user([{ type: 'text', text }])),
          ),
          trigger: notOneOf('submit-message', 'regenerate-message'),
          messageId: notString,
        },
      });
    },
  },
  'GET /api/chat/:id/stream': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    // Any other id is valid (204 when nothing runs for it).
    requests: () =>
      fc
        .oneof(fc.string({ minLength: 201, maxLength: 260 }).map(segment), badEncodings)
        .map((id) => ({ path: `/api/chat/${id}/stream` })),
  },
  'POST /api/chat/:id/interrupt': {
    as: 'owner',
    writes: false,
    runs: PATH_RUNS,
    // Any other id is valid (404 when no chat has it, 409 when nothing runs).
    requests: () =>
      fc
        .oneof(fc.string({ minLength: 201, maxLength: 260 }).map(segment), badEncodings)
        .map((id) => ({ path: `/api/chat/${id}/interrupt` })),
  },
  'POST /v1/admin/users': {
    as: 'admin',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: () =>
      badBodies('/v1/admin/users', {
        valid: { name: 'fuzz-user' },
        required: ['name'],
        fields: {
          name: badText({
            max: 100,
            invalid: [
              fc.string({ minLength: 1 }).filter((name) => !/^[\w.@-]+$/.test(name)),
              fc.constantFrom('alice', 'admin'),
            ],
          }),
          admin: notBoolean,
        },
      }),
  },
  'DELETE /v1/admin/users/:userId': {
    as: 'admin',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badUuid.map((id) => ({ path: `/v1/admin/users/${id}` })),
  },
  'PATCH /v1/admin/users/:userId': {
    as: 'admin',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ ownerId }) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: badBodies(`/v1/admin/users/${ownerId}`, {
            valid: {},
            fields: {
              name: badText({
                max: 100,
                invalid: [fc.string({ minLength: 1 }).filter((name) => !/^[\w.@-]+$/.test(name))],
              }),
              admin: notBoolean,
            },
          }),
        },
        { weight: 1, arbitrary: badUuid.map((id) => withBody({})(`/v1/admin/users/${id}`)) },
      ),
  },
  'GET /v1/admin/users/:userId/tokens': {
    as: 'admin',
    writes: false,
    runs: PATH_RUNS,
    requests: () => badUuid.map((id) => ({ path: `/v1/admin/users/${id}/tokens` })),
  },
  'POST /v1/admin/users/:userId/tokens': {
    as: 'admin',
    writes: true,
    body: true,
    bodyOptional: true,
    runs: BODY_RUNS,
    requests: ({ ownerId }) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: badBodies(`/v1/admin/users/${ownerId}/tokens`, {
            valid: {},
            fields: { name: badText({ max: 100 }) },
          }),
        },
        { weight: 1, arbitrary: badUuid.map((id) => withBody({})(`/v1/admin/users/${id}/tokens`)) },
      ),
  },
  'DELETE /v1/admin/tokens/:tokenId': {
    as: 'admin',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badUuid.map((id) => ({ path: `/v1/admin/tokens/${id}` })),
  },
  'POST /v1/admin/model-configs': {
    as: 'admin',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ modelConfigId }) => {
      const valid = { id: 'fuzz-model', provider: 'openai', model: 'm' };
      const count = badInteger(1, 10_000_000);
      return badBodies('/v1/admin/model-configs', {
        valid,
        required: ['id', 'provider', 'model'],
        fields: {
          id: badText({
            max: 100,
            invalid: [fc.constantFrom('-x', '.x', 'a b', 'a/b', modelConfigId)],
          }),
          provider: notOneOf('openai', 'anthropic', 'openai-compatible'),
          model: badText({ max: 200 }),
          label: badText({ max: 200 }),
          baseUrl: badText({ max: 2000, invalid: [fc.constantFrom('ftp://x', 'localhost:80')] }),
          apiKey: badText({ max: 10_000 }),
          contextLimitTokens: count,
          maxOutputTokens: count,
          pricing: fc.oneof(
            notObject,
            fc.record({ input: badInteger(0, 1_000_000_000_000) }),
            fc.constant({ unknown: 1 }),
          ),
        },
        extra: [fc.constant({ ...valid, provider: 'openai-compatible' })],
      });
    },
  },
  'DELETE /v1/admin/model-configs/:id': {
    as: 'admin',
    writes: true,
    runs: PATH_RUNS,
    requests: ({ modelConfigId }) =>
      fc
        .oneof(
          fc
            .string({ minLength: 1, maxLength: 60 })
            .filter((id) => id !== modelConfigId)
            .map(segment),
          fc.string({ minLength: 101, maxLength: 140 }).map(segment),
          badEncodings,
        )
        .map((id) => ({ path: `/v1/admin/model-configs/${id}` })),
  },
  'POST /v1/admin/mcp-servers': {
    as: 'admin',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: () => {
      // The config's own fields (mcp-client): never generated as "unknown", and null is a
      // valid "default" for several of them.
      const known = ['enabled', 'transport', 'authType', 'command', 'args', 'env', 'cwd'];
      const notEnum = (...allowed: string[]) =>
        fc.oneof(
          fc.integer(),
          fc.boolean(),
          fc.string().filter((value) => !allowed.includes(value)),
        );
      return badBodies('/v1/admin/mcp-servers', {
        valid: { slug: 'fuzz-mcp', url: 'http://127.0.0.1:9/mcp' },
        required: ['slug', 'url'],
        known: [
          ...known,
          'apiKeyHeader',
          'apiKeyValue',
          'customHeaders',
          'forwardIdentityHeaders',
          'oauth2',
          'toolAllowList',
          'toolDenyList',
        ],
        fields: {
          slug: badText({ max: 64, invalid: [fc.constant('fuzz-existing')] }),
          url: fc.oneof(notString, unstorable, fc.constantFrom('', 'ftp://nowhere', 'not a url')),
          transport: notEnum('streamable-http', 'sse'),
          authType: notEnum('none', 'oauth2', 'api-key', 'custom-headers'),
          id: fc.string(),
        },
      });
    },
  },
  'DELETE /v1/admin/mcp-servers/:id': {
    as: 'admin',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badUuid.map((id) => ({ path: `/v1/admin/mcp-servers/${id}` })),
  },
  'PUT /v1/mcp-servers/:id/token': {
    as: 'owner',
    writes: true,
    body: true,
    runs: BODY_RUNS,
    requests: ({ mcpServerId }) => {
      const valid = { accessToken: 'user-token' };
      return fc.oneof(
        {
          weight: 4,
          arbitrary: badBodies(`/v1/mcp-servers/${mcpServerId}/token`, {
            valid,
            required: ['accessToken'],
            fields: {
              accessToken: badText({ max: 10_000 }),
              refreshToken: badText({ max: 10_000 }),
              tokenType: badText({ max: 40 }),
              // Up to the last instant a Date can hold.
              expiresAt: badInteger(0, 8_640_000_000_000_000),
            },
          }),
        },
        {
          weight: 1,
          arbitrary: badUuid.map((id) => withBody(valid)(`/v1/mcp-servers/${id}/token`)),
        },
      );
    },
  },
  'DELETE /v1/mcp-servers/:id/token': {
    as: 'owner',
    writes: true,
    runs: PATH_RUNS,
    requests: () => badUuid.map((id) => ({ path: `/v1/mcp-servers/${id}/token` })),
  },
};

/** Routes that take no input at all (no body, query or path parameters). */
const NO_INPUT = [
  'GET /v1/admin/model-configs',
  'GET /v1/admin/users',
  'GET /v1/mcp-servers',
  'GET /v1/me',
  'GET /v1/models',
];

describe('bad input on every route', () => {
  let started: TestServer;
  let url: string;
  let ids: Ids;
  const tokens = { owner: '', admin: ADMIN_TOKEN };

  /** Sends one generated request; an event stream (a refusal that failed) is cut after its first bytes. */
  async function send(method: string, as: 'owner' | 'admin', request: BadRequest) {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error('no answer within 20 s')), 20_000);
    try {
      const response = await fetch(`${url}${request.path}`, {
        method,
        signal: controller.signal,
        headers: {
          authorization: `Bearer ${tokens[as]}`,
          ...(request.body === undefined
            ? {}
            : { 'content-type': request.contentType ?? 'application/json' }),
          ...request.headers,
        },
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      const contentType = response.headers.get('content-type') ?? '';
      let text: string;
      if (contentType.includes('text/event-stream') && response.body !== null) {
        const reader = response.body.getReader();
        text = new TextDecoder().decode((await reader.read()).value);
        controller.abort();
        await reader.cancel().catch(() => {});
      } else {
        text = await response.text();
      }
      return { status: response.status, contentType, text };
    } finally {
      clearTimeout(timeout);
    }
  }

  /** A refusal: a 4xx with `{ error: { code, message, details? } }` and nothing else. */
  function expectRefusal(answer: { status: number; contentType: string; text: string }) {
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
    expect(answer.status, answer.text).toBeLessThan(500);
    expect(answer.contentType).toContain('application/json');
    const body = JSON.parse(answer.text);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      code: expect.stringMatching(/^[A-Z][A-Z0-9_]+$/),
      message: expect.any(String),
      ...('details' in body.error ? { details: expect.anything() } : {}),
    });
    // Wherever it was found (route schema, the server's own checks, the libraries), a
    // validation failure lists its fields one way: JSON pointers with a message each.
    if (body.error.code === 'VALIDATION_FAILED') {
      expect(body.error.details.length).toBeGreaterThan(0);
      for (const issue of body.error.details) {
        expect(issue).toEqual({
          path: expect.stringMatching(/^(\/.*)?$/),
          message: expect.any(String),
        });
      }
    }
  }

  /**
   * Everything a request could write: the users' chats, the chat's state, messages and queue,
   * the users, model configurations and MCP servers (with the owner's `hasToken`). The chat's
   * own state says whether it was archived, and a new chat is never archived.
   */
  async function snapshot() {
    const get = async (token: string, path: string) => (await call(url, token, 'GET', path)).body;
    const [owners, admins, chat, messages, events, users, modelConfigs, mcpServers] =
      await Promise.all([
        get(tokens.owner, '/v1/chats?limit=200'),
        get(ADMIN_TOKEN, '/v1/chats?limit=200'),
        get(tokens.owner, `/v1/chats/${ids.chatId}`),
        get(tokens.owner, `/v1/chats/${ids.chatId}/messages?limit=200`),
        readStream(url, tokens.owner, ids.chatId, (event: Json) => event.type === 'queue-update'),
        get(ADMIN_TOKEN, '/v1/admin/users'),
        get(ADMIN_TOKEN, '/v1/admin/model-configs'),
        get(tokens.owner, '/v1/mcp-servers'),
      ]);
    const queue = events.at(-1)?.data.queuedMessages;
    return { owners, admins, chat, messages, queue, users, modelConfigs, mcpServers };
  }

  let baseline: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    started = await startTestServer();
    url = started.url;
    const owner = await createUser(url, 'alice');
    tokens.owner = owner.token;
    // A chat waiting for a client tool, with a queued message: every id a route takes is real,
    // and the state holds still while the runs go on.
    const created = await call(url, owner.token, 'POST', '/v1/chats', {
      content: 'Ask me for my favourite colour',
      title: 'Fuzzed',
      dynamicTools: [{ name: 'ask_user', inputSchema: { type: 'object' } }],
    });
    const chatId: string = created.body.id;
    const events = await readStream(
      url,
      owner.token,
      chatId,
      (event) => event.type === 'action-required',
    );
    const queued = await call(url, owner.token, 'POST', `/v1/chats/${chatId}/messages`, {
      content: 'later',
      busy: 'queue',
    });
    const { body: page } = await call(
      url,
      owner.token,
      'GET',
      `/v1/chats/${chatId}/messages?afterId=0`,
    );
    const server = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/mcp-servers', {
      slug: 'fuzz-existing',
      url: 'http://127.0.0.1:9/mcp',
    });
    const model = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/model-configs', {
      id: 'fuzz-existing',
      provider: 'openai',
      model: 'm',
    });
    expect([server.status, model.status, queued.body.queued]).toEqual([201, 201, true]);
    ids = {
      chatId,
      messageId: page.messages[0].id,
      queuedId: queued.body.queuedMessage.id,
      toolCallId: events.at(-1)?.data.toolCalls[0].toolCallId,
      ownerId: owner.id,
      mcpServerId: server.body.id,
      modelConfigId: model.body.id,
    };
    baseline = await snapshot();
  });

  afterAll(async () => {
    await started?.close();
  });

  it('fuzzes every /v1 and /api/chat route that takes input; the rest take none', async () => {
    const routes = registeredRoutes(started.server.app).filter(
      (route) =>
        !route.startsWith('HEAD ') && (route.includes(' /v1/') || route.includes(' /api/chat')),
    );
    expect(routes).toEqual([...Object.keys(ROWS), ...NO_INPUT].sort());
    // The OpenAPI document, generated from the route schemas, agrees they take nothing.
    const document = started.server.app.swagger() as Json;
    for (const route of NO_INPUT) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = document.paths[path][method.toLowerCase()];
      expect({ route, parameters: operation.parameters, body: operation.requestBody }).toEqual({
        route,
        parameters: undefined,
        body: undefined,
      });
    }
  });

  it.each(Object.keys(ROWS))(
    '%s: bad input is a 4xx in the error shape and writes nothing',
    async (route) => {
      const [method] = route.split(' ') as [string];
      const row = ROWS[route] as FuzzRow;
      const seed = SEED + Object.keys(ROWS).indexOf(route);
      await fc.assert(
        fc.asyncProperty(row.requests(ids), async (request) => {
          expectRefusal(await send(method, row.as, request));
          if (row.writes) expect(await snapshot()).toEqual(baseline);
        }),
        { seed, numRuns: row.runs, endOnFailure: true },
      );
      expect(await snapshot()).toEqual(baseline);
    },
  );

  // JSON nested too deep, by hand (the generated runs may not pick it): refused, not a 500.
  it('refuses a tool output or a client tool schema nested too deep', async () => {
    // Thousands deep used to overflow the stack of the checks (a 500).
    for (const depth of [101, 2000, 20_000]) {
      const deep = nestedJson(depth);
      expectRefusal(
        await send('POST', 'owner', {
          path: `/v1/chats/${ids.chatId}/tool-results`,
          body: `{"results":[{"toolCallId":${JSON.stringify(ids.toolCallId)},"output":${deep}}]}`,
        }),
      );
      expectRefusal(
        await send('POST', 'owner', {
          path: '/v1/chats',
          body: `{"content":"hi","dynamicTools":[{"name":"ok","inputSchema":${deep}}]}`,
        }),
      );
    }
    expect(await snapshot()).toEqual(baseline);
  });

  it('names a bad field the same way wherever it is caught', async () => {
    const cases: Array<[path: string, body: unknown, pointer: string]> = [
      // The route's schema.
      [
        '/v1/chats',
        { content: 'hi', dynamicTools: [{ name: 'a b', inputSchema: {} }] },
        '/dynamicTools/0/name',
      ],
      // The server's check of text Postgres cannot store.
      ['/v1/chats', { content: [{ type: 'text', text: 'a\u0000' }] }, '/content/0/text'],
      // The engine's check of message parts.
      ['/v1/chats', { content: [{ type: 'text', text: 5 }] }, '/content/0/text'],
      // The store's check of an empty message.
      [`/v1/chats/${ids.chatId}/messages`, { content: '   ' }, '/content'],
    ];
    for (const [path, body, pointer] of cases) {
      const answer = await send('POST', 'owner', { path, body: JSON.stringify(body) });
      expectRefusal(answer);
      expect(JSON.parse(answer.text).error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: pointer }],
      });
    }
    expect(await snapshot()).toEqual(baseline);
  });

  it('names an unknown or a missing field by its own pointer, and in the message', async () => {
    const cases: Array<
      [method: string, as: 'owner' | 'admin', path: string, body: unknown, pointer: string]
    > = [
      ['PATCH', 'owner', `/v1/chats/${ids.chatId}`, { bogus: 1 }, '/bogus'],
      [
        'POST',
        'owner',
        '/v1/chats',
        { content: 'hi', dynamicTools: [{ name: 'a', inputSchema: {}, extra: 1 }] },
        '/dynamicTools/0/extra',
      ],
      ['GET', 'owner', '/v1/chats?foo=1', undefined, '/foo'],
      ['POST', 'admin', '/v1/admin/model-configs', { provider: 'openai', model: 'm' }, '/id'],
    ];
    for (const [method, as, path, body, pointer] of cases) {
      const answer = await send(method, as, {
        path,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expectRefusal(answer);
      const { error } = JSON.parse(answer.text);
      const name = pointer.split('/').at(-1) as string;
      expect({ path, error }).toMatchObject({
        path,
        error: {
          code: 'VALIDATION_FAILED',
          message: expect.stringContaining(`'${name}'`),
          details: [{ path: pointer, message: expect.stringContaining(`'${name}'`) }],
        },
      });
    }
    expect(await snapshot()).toEqual(baseline);
  });

  // The body routes, by hand: bodies past the limit (too big to generate by the dozen),
  // empty bodies, and bodies that are JSON but not an object.
  const BODY_ROUTES = Object.keys(ROWS).filter((route) => ROWS[route]?.body === true);
  it.each(BODY_ROUTES)(
    '%s: refuses an oversized, empty (unless optional) or non-object body',
    async (route) => {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern
        .replace(':id/token', `${ids.mcpServerId}/token`)
        .replace(':id', ids.chatId)
        .replace(':messageId', String(ids.messageId))
        .replace(':queuedId', String(ids.queuedId))
        .replace(':userId', ids.ownerId);
      const as = ROWS[route]?.as ?? 'owner';
      const oversized = JSON.stringify({ content: 'x'.repeat(BODY_LIMIT) });
      const requests: Array<{ body: string; status?: number }> = [
        { body: oversized, status: 413 },
        ...(ROWS[route]?.bodyOptional === true ? [] : [{ body: '' }]),
        { body: 'null' },
        { body: '[]' },
        { body: '"text"' },
        { body: '42' },
      ];
      for (const request of requests) {
        const answer = await send(method, as, { path, body: request.body });
        expectRefusal(answer);
        if (request.status !== undefined) expect(answer.status).toBe(request.status);
      }
      expect(await snapshot()).toEqual(baseline);
    },
  );
});
