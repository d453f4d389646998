import { ChatdError, type Logger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { PubSub } from '../pubsub/pubsub.js';
import type { PGliteNotifier } from './drivers.js';
import { PostgresTransport, type PostgresTransportOptions } from './postgres-transport.js';

const url = 'postgres://app:s3cret@127.0.0.1:5432/chat';
const pool = { query: () => Promise.resolve({}) };
const pglite: PGliteNotifier = {
  query: () => Promise.resolve({}),
  listen: () => Promise.resolve(),
  unlisten: () => Promise.resolve(),
};

function rejects(options: PostgresTransportOptions, argument: string): void {
  expect(() => new PostgresTransport(options)).toThrowError(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', argument }),
  );
}

describe('PostgresTransport options', () => {
  it('accepts a URL, a pool with a URL, a pool with connect, or a PGlite instance', () => {
    const connect = () => Promise.reject(new Error('unused'));
    expect(new PostgresTransport({ connectionString: url }).maxPayloadBytes).toBe(7999);
    expect(() => new PostgresTransport({ connectionString: url, pool })).not.toThrow();
    expect(() => new PostgresTransport({ pool, connect })).not.toThrow();
    expect(() => new PostgresTransport({ pglite })).not.toThrow();
  });

  it('needs a way to publish and a way to listen', () => {
    rejects({}, 'connectionString');
    rejects({ pool }, 'connectionString');
    rejects({ connect: () => Promise.reject(new Error('unused')) }, 'connectionString');
  });

  it('refuses PGlite combined with Postgres options', () => {
    rejects({ pglite, connectionString: url }, 'pglite');
    rejects({ pglite, pool }, 'pglite');
  });

  it('refuses a URL that is not postgres://, without echoing its credentials', () => {
    let error: unknown;
    try {
      new PostgresTransport({ connectionString: 'mysql://root:hunter2@db/chat' });
    } catch (caught) {
      error = caught;
    }
    expect(ChatdError.isInstance(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(String((error as Error).message)).not.toContain('hunter2');
  });

  it('refuses a pool, connect or PGlite without the methods it needs', () => {
    rejects({ connectionString: url, pool: {} as never }, 'pool.query');
    rejects({ pool, connect: 'nope' as never }, 'connect');
    rejects({ pglite: { query: pglite.query } as never }, 'pglite.listen');
  });

  it.each([
    'keepaliveIntervalMs',
    'queryTimeoutMs',
    'connectTimeoutMs',
    'reconnectDelayMs',
    'maxReconnectDelayMs',
  ] as const)('refuses a %s that is not a positive finite number', (name) => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      rejects({ connectionString: url, [name]: value }, name);
    }
  });

  it('refuses maxReconnectDelayMs below reconnectDelayMs', () => {
    rejects(
      { connectionString: url, reconnectDelayMs: 500, maxReconnectDelayMs: 100 },
      'maxReconnectDelayMs',
    );
  });

  it('serves one PubSub only', () => {
    const transport = new PostgresTransport({ pglite });
    new PubSub({ transport });
    expect(() => new PubSub({ transport })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'receiver' }),
    );
  });
});

describe('PostgresTransport without a reachable server', () => {
  it('rejects listen with TRANSPORT_FAILED when the first connection fails, logging no secret', async () => {
    const lines: unknown[] = [];
    const logger: Logger = {
      child: (bindings) => {
        lines.push(bindings);
        return logger;
      },
      debug: (...args: unknown[]) => lines.push(args),
      info: (...args: unknown[]) => lines.push(args),
      warn: (...args: unknown[]) => lines.push(args),
      error: (...args: unknown[]) => lines.push(args),
    };
    const clock = new ManualClock();
    // Port 1 on loopback refuses connections at once.
    const transport = new PostgresTransport({
      connectionString: 'postgres://app:s3cret@127.0.0.1:1/chat',
      clock,
      logger,
    });
    const pubsub = new PubSub({ transport });
    const subscription = pubsub.subscribe('unreachable');
    const error = await subscription.ready.catch((caught: unknown) => caught);
    expect(ChatdError.isInstance(error, 'TRANSPORT_FAILED')).toBe(true);
    expect(await subscription.ended).toBe('closed');
    expect(clock.pendingTimerCount).toBe(0);
    await pubsub.close();
    expect(JSON.stringify(lines)).toContain('postgres://127.0.0.1:1/chat');
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('gives up opening after connectTimeoutMs on the clock', async () => {
    const clock = new ManualClock();
    const transport = new PostgresTransport({
      pool,
      connect: () => new Promise(() => {}), // never connects
      clock,
      connectTimeoutMs: 2000,
    });
    transport.attach({ deliver() {}, reconnected() {} });
    const listening = transport.listen('slow').catch((caught: unknown) => caught);
    await clock.waitForTimers(1);
    await clock.advance(2000);
    expect(ChatdError.isInstance(await listening, 'TRANSPORT_FAILED')).toBe(true);
    await transport.close();
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('refuses to publish after close with TRANSPORT_CLOSED', async () => {
    const transport = new PostgresTransport({ pglite });
    await transport.close();
    const error = await transport.publish('channel', '"late"').catch((caught: unknown) => caught);
    expect(ChatdError.isInstance(error, 'TRANSPORT_CLOSED')).toBe(true);
  });

  it('refuses a payload with a NUL character before sending anything', async () => {
    let statements = 0;
    const transport = new PostgresTransport({
      pglite: {
        ...pglite,
        query: () => {
          statements += 1;
          return Promise.resolve({});
        },
      },
    });
    const error = await transport.publish('channel', 'a\0b').catch((caught: unknown) => caught);
    expect(ChatdError.isInstance(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(statements).toBe(0);
    await transport.close();
  });
});
