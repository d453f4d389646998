import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@chatd/message-store';
import { PubSub } from '@chatd/pubsub';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config.js';
import { type ChatdServer, createServer } from '../server.js';
import type { Json } from './read-stream.js';

/** The admin token every test server starts with. Test-only. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** A data folder whose database the store created and migrated, made once per process. */
let template: Promise<string> | undefined;

async function makeTemplate(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'chatd-server-template-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const pubsub = new PubSub();
  const store = await openStore({ dataDir: join(folder, 'pglite') }, { pubsub });
  await store.close();
  await pubsub.close();
  return folder;
}

/**
 * A new temporary data folder that already holds an empty database, copied from one made once
 * per process: creating a database (PGlite's initdb) takes seconds, and the tests start many
 * servers. The caller removes it. Test-only.
 */
export async function newDataDir(prefix = 'chatd-server-'): Promise<string> {
  template ??= makeTemplate();
  const from = await template;
  const folder = await mkdtemp(join(tmpdir(), prefix));
  await cp(join(from, 'pglite'), join(folder, 'pglite'), { recursive: true });
  return folder;
}

/** A listening server on embedded PGlite in its own temporary folder. Test-only. */
export interface TestServer {
  readonly server: ChatdServer;
  readonly url: string;
  /** The server's data folder (PGlite, the secret key). */
  readonly dataDir: string;
  /** Stops the server and removes its data folder, unless the caller passed the folder. */
  close(): Promise<void>;
}

/**
 * Starts a server on PGlite, with the demo model at 2 ms a word, `ADMIN_TOKEN` as its admin
 * token and no rate limit (so a test's many requests are never refused for their number);
 * `env` overrides any of them. It runs in a new temporary folder, removed by `close()`, or in
 * `dataDir` when given (to restart on the same data), which the caller removes. Test-only.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  { dataDir }: { dataDir?: string } = {},
): Promise<TestServer> {
  const folder = dataDir ?? (await newDataDir());
  try {
    const server = await createServer(
      loadConfig({
        PORT: '0',
        CHATD_DATA_DIR: folder,
        CHATD_DEMO_DELAY_MS: '2',
        CHATD_ADMIN_TOKEN: ADMIN_TOKEN,
        CHATD_RATE_LIMIT_PER_MINUTE: '0',
        ...env,
      }),
      { logLevel: 'silent' },
    );
    const url = await server.listen();
    return {
      server,
      url,
      dataDir: folder,
      async close() {
        await server.close();
        if (dataDir === undefined) await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (dataDir === undefined) await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

/** A response read whole: status, content type, raw text and the JSON body when it is JSON. */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: Json;
}

/** Sends a JSON request (`body` serialised when given) and reads the whole answer. Test-only. */
export async function call(
  url: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    contentType,
    text,
    body: contentType.includes('application/json') && text !== '' ? JSON.parse(text) : undefined,
  };
}

/** Creates a user through the admin API; returns its id and first token. Test-only. */
export async function createUser(
  url: string,
  name: string,
  { admin = false }: { admin?: boolean } = {},
): Promise<{ id: string; token: string }> {
  const created = await call(url, ADMIN_TOKEN, 'POST', '/v1/admin/users', { name, admin });
  if (created.status !== 201)
    throw new Error(`creating ${name}: ${created.status} ${created.text}`);
  return { id: created.body.user.id, token: created.body.token.token };
}

/**
 * Every route the app registered, as `METHOD /path` (`HEAD` included), read from Fastify's
 * route tree, so a test built on it notices a route added later. Test-only.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    // `│   └── /:id (GET, HEAD, PATCH)`: four characters of tree per level, then the segment.
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = (match[1] as string).length / 4;
    segments.length = depth;
    segments.push(match[2] as string);
    const path = segments.join('');
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes.sort();
}
