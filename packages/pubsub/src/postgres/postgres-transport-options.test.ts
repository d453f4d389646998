import type { Logger } from '@chatd/core';
import { errorOf, ManualClock } from '@chatd/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { PubSub } from '../pubsub/pubsub.js';
import type { NotifyPool, PGliteNotifier } from './drivers.js';
import { PostgresTransport } from './postgres-transport.js';
import type { PostgresTransportOptions } from './postgres-transport-options.js';

const url = 'postgres://app:s3cret@127.0.0.1:5432/chat';
const pool: NotifyPool = {
  connect: () => Promise.resolve({ query: () => Promise.resolve({}), release: () => {} }),
};
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

  it('refuses a misspelt option, naming it', () => {
    rejects(
      { connectionString: url, connectTimeoutMS: 5 } as PostgresTransportOptions,
      'options.connectTimeoutMS',
    );
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
    const error = errorOf(
      () => new PostgresTransport({ connectionString: 'mysql://root:hunter2@db/chat' }),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'connectionString' });
    expect(String((error as Error).message)).not.toContain('hunter2');
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
    await expect(subscription.ready).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
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
    const listening = transport.listen('slow');
    listening.catch(() => {}); // asserted below, after the clock moved
    await clock.waitForTimers(1);
    await clock.advance(2000);
    await expect(listening).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
    await transport.close();
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('rejects a NOTIFY that PGlite does not answer within queryTimeoutMs, and close waits no longer', async () => {
    const clock = new ManualClock();
    // PGlite runs one statement at a time: a NOTIFY waits behind a long transaction.
    const transport = new PostgresTransport({
      pglite: { ...pglite, query: () => new Promise(() => {}) },
      clock,
      queryTimeoutMs: 1000,
    });
    const publishing = transport.publish('channel', '"stuck"');
    publishing.catch(() => {}); // asserted below, after the clock moved
    await clock.waitForTimers(1);
    let closed = false;
    void transport.close().then(() => {
      closed = true;
    });
    await clock.advance(999);
    expect(closed).toBe(false);
    await clock.advance(1);
    await expect(publishing).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(clock.pendingTimerCount).toBe(0);
  });

  it('refuses to publish after close with TRANSPORT_CLOSED', async () => {
    const transport = new PostgresTransport({ pglite });
    await transport.close();
    await expect(transport.publish('channel', '"late"')).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
    });
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
    await expect(transport.publish('channel', 'a\0b')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'payload',
    });
    expect(statements).toBe(0);
    await transport.close();
  });
});
