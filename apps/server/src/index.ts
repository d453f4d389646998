/**
 * The chatd reference server: `createServer(loadConfig())` wires the message store (embedded
 * PGlite or Postgres), the chatd engine and an HTTP API with live, resumable SSE streams.
 * Most users run the `chatd-server` binary instead; see the README.
 *
 * @packageDocumentation
 */
export { loadConfig, type ProviderEndpoint, type ServerConfig } from './config.js';
export { type ChatdServer, createServer } from './server.js';
