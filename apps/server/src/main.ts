#!/usr/bin/env node
import { ChatdError } from '@chatd/core';
import { loadConfig } from './config.js';
import { createServer } from './server.js';

/** Stops within this long after SIGTERM/SIGINT, even if something hangs. */
const SHUTDOWN_DEADLINE_MS = 10_000;

function fail(error: unknown): never {
  const message = ChatdError.isInstance(error) ? error.message : String(error);
  console.error(`chatd-server: ${message}`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error);
}
const server = await createServer(config, { logLevel: process.env.LOG_LEVEL ?? 'info' }).catch(
  fail,
);
const url = await server.listen().catch(fail);

const storage =
  config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}` : 'Postgres';
const lines = [
  '',
  `  chatd is running at ${url}  (${storage}${config.worker ? '' : ', API only'})`,
];
if (server.firstAdminToken !== undefined) {
  const token = server.firstAdminToken;
  lines.push(
    '',
    '  First start: created the admin user. Its API token (shown only this once, stored hashed):',
    '',
    `    ${token}`,
    '',
    '  Try it:',
    `    curl -s -H 'authorization: Bearer ${token}' -H 'content-type: application/json' \\`,
    `      -d '{"content":"Hello! Roll a dice for me"}' ${url}/v1/chats`,
    `    curl -N -H 'authorization: Bearer ${token}' ${url}/v1/chats/<chat id>/stream`,
    '',
    '  Or the terminal client (in the repository; `chatd` when installed):',
    `    npm run chatd -- login --url ${url} --token ${token}`,
    '    npm run chatd -- chat',
  );
}
console.log(`${lines.join('\n')}\n`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`chatd-server: ${signal}, handing chats over and stopping`);
  const deadline = setTimeout(() => {
    console.error('chatd-server: shutdown took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
