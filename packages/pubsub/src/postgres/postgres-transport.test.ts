import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@chatd/core';
import { ManualClock, newResourcesSince, snapshotResources } from '@chatd/core/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PubSub } from '../pubsub/pubsub.js';
import { take } from '../test-support/read.js';
import { describeTransportContract } from '../testing/index.js';
import type { ListenClient, NotifyPool } from './drivers.js';
import { PostgresTransport } from './postgres-transport.js';
import type { PostgresTransportOptions } from './postgres-transport-options.js';
import {
  createTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
  warnIfNoDatabase,
} from './test-support/database.js';
import { TcpProxy } from './test-support/tcp-proxy.js';

warnIfNoDatabase();

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const echoScript = fileURLToPath(new URL('./test-support/echo-process.ts', import.meta.url));

/** A logger that keeps every line, to check what was logged. */
function recordingLogger(): Logger & { lines: unknown[] } {
  const lines: unknown[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args);
  };
  const logger: Logger & { lines: unknown[] } = {
    lines,
    child: (bindings) => {
      lines.push(['child', bindings]);
      return logger;
    },
    debug: record,
    info: record,
    warn: record,
    error: record,
  };
  return logger;
}

describe.skipIf(testDatabaseUrl === undefined)('PostgresTransport on Postgres', () => {
  let database: TestDatabase;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A PubSub on its own transport (own listening connection and publishing pool). */
  function openPubSub(
    options: PostgresTransportOptions = { connectionString: database.url },
    bufferSize = 64,
  ): { pubsub: PubSub; transport: PostgresTransport } {
    const transport = new PostgresTransport(options);
    const pubsub = new PubSub({ transport, bufferSize });
    cleanups.push(() => pubsub.close());
    return { pubsub, transport };
  }

  /** A pool of its own to publish on, so only the listening session has the test's app name. */
  function openPool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    cleanups.push(() => pool.end());
    return pool;
  }

  /** A proxy in front of the test database, and the database URL through it. */
  async function proxiedUrl(): Promise<{ proxy: TcpProxy; url: string }> {
    const server = new URL(database.url);
    const proxy = await new TcpProxy(server.hostname, Number(server.port || 5432)).listen();
    cleanups.push(() => proxy.close());
    const url = new URL(database.url);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return { proxy, url: url.toString() };
  }

  function uniqueName(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  /** Terminates the sessions with `applicationName`; resolves with how many there were. */
  async function terminate(applicationName: string): Promise<number> {
    const rows = await database.query<{ pid: number }>(
      'SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return rows.length;
  }

  async function lastQueryOf(applicationName: string): Promise<string | undefined> {
    const rows = await database.query<{ query: string }>(
      'SELECT query FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    return rows[0]?.query;
  }

  describeTransportContract(
    'PostgresTransport on Postgres',
    () => new PostgresTransport({ connectionString: database.url }),
    { createPeer: () => new PostgresTransport({ connectionString: database.url }) },
  );

  it('lets two PubSubs on two connections exchange messages in order', async () => {
    const a = openPubSub();
    const b = openPubSub();
    const toB = b.pubsub.subscribe('a-to-b');
    const toA = a.pubsub.subscribe('b-to-a');
    await Promise.all([toB.ready, toA.ready]);
    const count = 50;
    for (let index = 0; index < count; index++) {
      a.pubsub.publish('a-to-b', { index });
      b.pubsub.publish('b-to-a', { index });
    }
    const expected = Array.from({ length: count }, (_, index) => ({
      type: 'message',
      payload: { index },
    }));
    expect(await take(toB, count)).toEqual(expected);
    expect(await take(toA, count)).toEqual(expected);
  });

  it('localFirst: the publisher gets its message once, at once; the other PubSub through NOTIFY', async () => {
    const a = openPubSub();
    const b = openPubSub();
    const atA = a.pubsub.subscribe('local-first');
    const atB = b.pubsub.subscribe('local-first');
    await Promise.all([atA.ready, atB.ready]);
    a.pubsub.publish('local-first', { n: 1 }, { localFirst: true });
    a.pubsub.publish('local-first', { n: 2 });
    const expected = [1, 2].map((n) => ({ type: 'message', payload: { n } }));
    expect(await take(atB, 2)).toEqual(expected);
    // The second arrived through NOTIFY after the first's echo, which A skipped.
    expect(await take(atA, 2)).toEqual(expected);
    a.pubsub.publish('local-first', { n: 3 });
    expect(await take(atA, 1)).toEqual([{ type: 'message', payload: { n: 3 } }]);
  });

  it('exchanges messages in order with another OS process', async () => {
    const { pubsub } = openPubSub(undefined, 1000);
    const pongs = pubsub.subscribe('pong');
    await pongs.ready;
    const child = spawn(process.execPath, ['--import', 'tsx', echoScript], {
      cwd: packageDir,
      env: { ...process.env, PUBSUB_TEST_URL: database.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    cleanups.push(async () => {
      child.kill();
      await exited;
    });
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) if (line === 'ready') break;

    const count = 200;
    for (let index = 0; index < count; index++) pubsub.publish('ping', { index });
    const events = await take(pongs, count);
    expect(events).toEqual(
      Array.from({ length: count }, (_, index) => ({ type: 'message', payload: { index } })),
    );
    pubsub.publish('ping', 'stop');
    expect(await exited).toBe(0);
  });

  it('LISTENs on the first subscriber and UNLISTENs after the last one leaves', async () => {
    const applicationName = uniqueName('refcount');
    const { pubsub } = openPubSub({
      connectionString: database.urlWithApplicationName(applicationName),
      pool: openPool(),
    });
    const first = pubsub.subscribe('counted');
    await first.ready;
    expect(await lastQueryOf(applicationName)).toBe('LISTEN "counted"');

    const second = pubsub.subscribe('counted');
    await second.ready;
    first.cancel();
    // Still listened for the second subscriber: a message arrives.
    pubsub.publish('counted', 'still here');
    expect(await take(second, 1)).toEqual([{ type: 'message', payload: 'still here' }]);
    expect(await lastQueryOf(applicationName)).toBe('LISTEN "counted"');

    second.cancel();
    await vi.waitFor(async () => {
      expect(await lastQueryOf(applicationName)).toBe('UNLISTEN "counted"');
    });
  });

  it('sends an UNLISTEN after the callbacks of the moment, never ahead of what the caller does next', async () => {
    const { pubsub } = openPubSub();
    const subscription = pubsub.subscribe('deferred');
    await subscription.ready;
    const query = vi.spyOn(pg.Client.prototype, 'query');
    cleanups.push(async () => query.mockRestore());
    const unlistens = () =>
      query.mock.calls.filter(([statement]) => String(statement).startsWith('UNLISTEN')).length;
    subscription.cancel();
    // Delivery stopped at once; the statement waits for this callback to finish.
    pubsub.publish('deferred', 'gone');
    // Promise reactions of this moment (a stream ending its response) run first.
    for (let turn = 0; turn < 20; turn += 1) await Promise.resolve();
    expect(unlistens()).toBe(0);
    await vi.waitFor(() => expect(unlistens()).toBe(1));
  });

  it('maps a channel name longer than 63 bytes to a short form, quoted safely', async () => {
    const applicationName = uniqueName('long-name');
    const { pubsub } = openPubSub({
      connectionString: database.urlWithApplicationName(applicationName),
      pool: openPool(),
    });
    const channel = `chat:update:"; DROP TABLE x; --${'é'.repeat(60)}`;
    const subscription = pubsub.subscribe(channel);
    await subscription.ready;
    expect(await lastQueryOf(applicationName)).toMatch(/^LISTEN "#[0-9a-f]{32}:chat:update:_/);
    pubsub.publish(channel, 'arrived');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'arrived' }]);
  });

  it('refuses a payload of 8000 bytes or more before sending anything', async () => {
    const realPool = openPool();
    let statements = 0;
    const pool: NotifyPool = {
      connect: async () => {
        const client = await realPool.connect();
        return {
          query: (text, values) => {
            statements += 1;
            return client.query(text, values);
          },
          release: (error) => client.release(error),
        };
      },
    };
    const { pubsub, transport } = openPubSub({ connectionString: database.url, pool });
    const subscription = pubsub.subscribe('big');
    await subscription.ready;

    expect(() => pubsub.publish('big', 'x'.repeat(7986))).toThrowError(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', bytes: 8000, maxBytes: 7999 }),
    );
    await expect(transport.publish('big', 'é'.repeat(4000))).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(statements).toBe(0);

    // 7985 characters plus PubSub's 14-byte envelope: exactly 7999 bytes, which Postgres takes.
    pubsub.publish('big', 'x'.repeat(7985));
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'x'.repeat(7985) }]);
  });

  it('reconnects after pg_terminate_backend, sends resync, and delivers later messages', async () => {
    const applicationName = uniqueName('terminated');
    const logger = recordingLogger();
    const { pubsub } = openPubSub({
      connectionString: database.urlWithApplicationName(applicationName),
      pool: openPool(),
      logger,
    });
    const subscription = pubsub.subscribe('survives');
    const other = pubsub.subscribe('also survives');
    await Promise.all([subscription.ready, other.ready]);
    pubsub.publish('survives', 'before');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'before' }]);

    expect(await terminate(applicationName)).toBe(1);
    expect(await take(subscription, 1)).toEqual([{ type: 'resync' }]);
    expect(await take(other, 1)).toEqual([{ type: 'resync' }]);

    // Exactly one resync each: the next events are the new messages.
    pubsub.publish('survives', 'after');
    pubsub.publish('also survives', 'after');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'after' }]);
    expect(await take(other, 1)).toEqual([{ type: 'message', payload: 'after' }]);
    expect(JSON.stringify(logger.lines)).toContain('reconnected');
  });

  it('sends a lone surrogate in a batch as U+FFFD, like a single text parameter, and the rest intact', async () => {
    const transport = new PostgresTransport({ connectionString: database.url });
    const received: string[] = [];
    let arrived = () => {};
    const allArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    transport.attach({
      deliver: (_channel, payload) => {
        received.push(payload);
        if (received.length === 3) arrived();
      },
      reconnected: () => {},
    });
    try {
      await transport.listen('lone');
      // Not awaited one by one: the three go out in one batched statement.
      await Promise.all([
        transport.publish('lone', '"before"'),
        transport.publish('lone', '"a\uD800b"'),
        transport.publish('lone', '"after 👋"'),
      ]);
      await allArrived;
      expect(received).toEqual(['"before"', '"a\uFFFDb"', '"after 👋"']);
    } finally {
      await transport.close();
    }
  });

  it('delivers a burst of 10,000 notifications complete and in order', async () => {
    const count = 10_000;
    const publisher = openPubSub();
    const receiver = openPubSub(undefined, count);
    const subscription = receiver.pubsub.subscribe('burst');
    await subscription.ready;
    for (let index = 0; index < count; index++) publisher.pubsub.publish('burst', index);
    const events = await take(subscription, count);
    expect(events.map((event) => (event.type === 'message' ? event.payload : 'resync'))).toEqual(
      Array.from({ length: count }, (_, index) => index),
    );
    expect(receiver.pubsub.dropCount).toBe(0);
  });

  it('notices a silently dropped network with the keepalive and reconnects', async () => {
    const { proxy, url } = await proxiedUrl();
    const realPool = openPool();
    const clock = new ManualClock();
    const { pubsub } = openPubSub({
      connectionString: url,
      pool: realPool,
      clock,
      keepaliveIntervalMs: 5000,
      queryTimeoutMs: 1000,
    });
    const subscription = pubsub.subscribe('keepalive');
    await subscription.ready;
    expect(clock.pendingTimerCount).toBe(1); // the keepalive

    proxy.silenceOpenConnections();
    await clock.advance(5000); // keepalive sent; no answer comes
    await clock.waitForTimers(1); // its timeout
    await clock.advance(1000); // timed out: lost, reconnect at once through the proxy
    expect(await take(subscription, 1)).toEqual([{ type: 'resync' }]);

    pubsub.publish('keepalive', 'flows again');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'flows again' }]);
  });

  describe('when a NOTIFY hangs', () => {
    /** A PubSub on a direct connection, listening on `channel`. */
    async function openReceiver(channel: string) {
      const { pubsub } = openPubSub();
      const subscription = pubsub.subscribe(channel);
      await subscription.ready;
      return subscription;
    }

    /** Publishes a message whose NOTIFY hangs, and lets it run past the deadline. */
    async function publishPastDeadline(pubsub: PubSub, clock: ManualClock): Promise<void> {
      const hung = pubsub.publishMustDeliver('hangs', 'lost');
      const rejected = expect(hung).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
      await clock.waitForTimers(1);
      await clock.advance(1000);
      await rejected;
    }

    it("publishes again after two hangs in a row on the caller's pool of 2", async () => {
      const { proxy, url } = await proxiedUrl();
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      cleanups.push(() => pool.end());
      // Two idle connections, so both hangs land on connections that are already open.
      const warm = await Promise.all([pool.connect(), pool.connect()]);
      for (const client of warm) client.release();
      const clock = new ManualClock();
      const publisher = openPubSub({
        pool,
        connectionString: database.url,
        clock,
        queryTimeoutMs: 1000,
      });
      const subscription = await openReceiver('hangs');

      proxy.silenceOpenConnections();
      await publishPastDeadline(publisher.pubsub, clock);
      await publishPastDeadline(publisher.pubsub, clock);

      // Both hung connections were destroyed: the pool opens a fresh one.
      await publisher.pubsub.publishMustDeliver('hangs', 'resumed');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'resumed' }]);
      expect(pool.totalCount).toBe(1);
    });

    it('keeps publishing on its own pool when the statements on both its connections hang', async () => {
      const { proxy, url } = await proxiedUrl();
      const clock = new ManualClock();
      const publisher = openPubSub({ connectionString: url, clock, queryTimeoutMs: 1000 });
      const subscription = await openReceiver('hangs');
      await publisher.pubsub.publishMustDeliver('hangs', 'before');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'before' }]);

      proxy.silenceOpenConnections();
      await publishPastDeadline(publisher.pubsub, clock);
      await publisher.pubsub.publishMustDeliver('hangs', 'between');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'between' }]);
      proxy.silenceOpenConnections();
      await publishPastDeadline(publisher.pubsub, clock);

      await publisher.pubsub.publishMustDeliver('hangs', 'resumed');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'resumed' }]);
    });

    it('close returns within queryTimeoutMs while a NOTIFY hangs', async () => {
      const { proxy, url } = await proxiedUrl();
      const clock = new ManualClock();
      const publisher = openPubSub({ connectionString: url, clock, queryTimeoutMs: 1000 });
      await publisher.pubsub.publishMustDeliver('hangs', 'before');

      proxy.silenceOpenConnections();
      const hung = publisher.pubsub.publishMustDeliver('hangs', 'lost').catch(() => 'failed');
      await clock.waitForTimers(1);
      let closed = false;
      void publisher.pubsub.close().then(() => {
        closed = true;
      });
      await clock.advance(999);
      expect(closed).toBe(false); // the NOTIFY in flight is waited for, up to the deadline
      await clock.advance(1);
      expect(await hung).toBe('failed');
      await vi.waitFor(() => expect(closed).toBe(true));
    });

    it('close destroys a publishing connection that went silent while idle', async () => {
      const { proxy, url } = await proxiedUrl();
      const clock = new ManualClock();
      const publisher = openPubSub({ connectionString: url, clock, queryTimeoutMs: 1000 });
      await publisher.pubsub.publishMustDeliver('idle', 'before');
      expect(proxy.clientSocketsInThisProcess()).toBe(1);

      proxy.silenceOpenConnections();
      const closing = publisher.pubsub.close();
      await clock.advance(1000);
      await closing;
      // A polite end() would wait forever for the silent server: the socket must be destroyed.
      await vi.waitFor(() => expect(proxy.clientSocketsInThisProcess()).toBe(0));
    });
  });

  describe('with a connect function and a manual clock', () => {
    /** A transport whose listening clients come from `connect`, which can be made to fail. */
    function openWithConnect(applicationName: string) {
      const control = { failing: false, attempts: 0 };
      const realPool = openPool();
      const clock = new ManualClock();
      const { pubsub, transport } = openPubSub({
        pool: realPool,
        connect: async () => {
          control.attempts += 1;
          if (control.failing) throw new Error('connection refused (simulated)');
          const client = new pg.Client({
            connectionString: database.urlWithApplicationName(applicationName),
          });
          await client.connect();
          return client;
        },
        clock,
        keepaliveIntervalMs: 60_000,
        reconnectDelayMs: 100,
        maxReconnectDelayMs: 400,
      });
      return { pubsub, transport, clock, control };
    }

    it('retries with capped exponential backoff on the clock, then resyncs', async () => {
      const applicationName = uniqueName('backoff');
      const { pubsub, clock, control } = openWithConnect(applicationName);
      const subscription = pubsub.subscribe('backoff');
      await subscription.ready;
      expect(control.attempts).toBe(1);

      control.failing = true;
      await terminate(applicationName);
      await vi.waitFor(() => expect(control.attempts).toBe(2)); // at once after the loss
      await clock.waitForTimers(1);
      for (const delayMs of [100, 200, 400, 400]) {
        const before = control.attempts;
        await clock.advance(delayMs - 1);
        expect(control.attempts).toBe(before);
        await clock.advance(1);
        expect(control.attempts).toBe(before + 1);
        await clock.waitForTimers(1);
      }

      control.failing = false;
      await clock.advance(400);
      expect(await take(subscription, 1)).toEqual([{ type: 'resync' }]);
      pubsub.publish('backoff', 'back');
      expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'back' }]);
    });

    it('resolves ready at once while reconnecting, then resyncs that channel too', async () => {
      const applicationName = uniqueName('during-outage');
      const { pubsub, clock, control } = openWithConnect(applicationName);
      const before = pubsub.subscribe('before outage');
      await before.ready;
      control.failing = true;
      await terminate(applicationName);
      await vi.waitFor(() => expect(control.attempts).toBe(2));

      const during = pubsub.subscribe('during outage');
      await during.ready; // LISTENed on reconnect, and reported then
      control.failing = false;
      await clock.waitForTimers(1);
      await clock.advance(100);
      expect(await take(before, 1)).toEqual([{ type: 'resync' }]);
      expect(await take(during, 1)).toEqual([{ type: 'resync' }]);
      pubsub.publish('during outage', 'arrives');
      expect(await take(during, 1)).toEqual([{ type: 'message', payload: 'arrives' }]);
    });

    it('close ends the reconnect backoff and leaves no timers', async () => {
      const applicationName = uniqueName('close-backoff');
      const { pubsub, clock, control } = openWithConnect(applicationName);
      const subscription = pubsub.subscribe('closing');
      await subscription.ready;
      control.failing = true;
      await terminate(applicationName);
      await vi.waitFor(() => expect(control.attempts).toBe(2));
      await clock.waitForTimers(1);

      await pubsub.close();
      expect(clock.pendingTimerCount).toBe(0);
      await clock.advance(10_000);
      expect(control.attempts).toBe(2);
    });
  });

  it('rejects ready when Postgres refuses LISTEN on a healthy session, and keeps the session', async () => {
    const control = { refuse: false, connects: 0 };
    const { pubsub } = openPubSub({
      pool: openPool(),
      connect: async () => {
        control.connects += 1;
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        // Like a read-only standby: LISTEN fails with an ERROR, the session lives on.
        const query = (text: string) =>
          control.refuse && text.startsWith('LISTEN')
            ? Promise.reject(
                Object.assign(new Error('cannot execute LISTEN during recovery'), {
                  severity: 'ERROR',
                  code: '25006',
                }),
              )
            : client.query(text);
        return {
          query,
          on: client.on.bind(client) as ListenClient['on'],
          end: () => client.end(),
        };
      },
    });
    const working = pubsub.subscribe('working');
    await working.ready;

    control.refuse = true;
    const refused = pubsub.subscribe('refused');
    await expect(refused.ready).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
    expect(await refused.ended).toBe('closed');

    pubsub.publish('working', 'still working');
    expect(await take(working, 1)).toEqual([{ type: 'message', payload: 'still working' }]);
    expect(control.connects).toBe(1); // no reconnect for a refused statement
  });

  it('says TRANSPORT_FAILED is not retryable for a database that does not exist, and is for a refused connection', async () => {
    const missing = new URL(database.url);
    missing.pathname = `/${uniqueName('missing')}`;
    for (const [connectionString, retryable] of [
      [missing.toString(), false],
      ['postgres://postgres@127.0.0.1:1/chat', true],
    ] as const) {
      const { pubsub } = openPubSub({ connectionString });
      const subscription = pubsub.subscribe('first');
      await expect(subscription.ready).rejects.toMatchObject({
        code: 'TRANSPORT_FAILED',
        retryable,
      });
    }
  });

  it('close unlistens, closes its connections and leaves no timers or handles', async () => {
    const before = snapshotResources();
    const applicationName = uniqueName('closing');
    const clock = new ManualClock();
    const transport = new PostgresTransport({
      connectionString: database.urlWithApplicationName(applicationName),
      clock,
    });
    const pubsub = new PubSub({ transport });
    const subscription = pubsub.subscribe('closing');
    await subscription.ready;
    expect(clock.pendingTimerCount).toBe(1); // the keepalive
    pubsub.publish('closing', 'one');
    expect(await take(subscription, 1)).toEqual([{ type: 'message', payload: 'one' }]);

    await pubsub.close();
    expect(clock.pendingTimerCount).toBe(0);
    expect(
      await database.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [
        applicationName,
      ]),
    ).toEqual([]);
    expect(await newResourcesSince(before)).toEqual([]);
  });

  it('never logs credentials', async () => {
    const logger = recordingLogger();
    const withPassword = new URL(database.url);
    withPassword.password = 's3cret-password';
    const applicationName = uniqueName('redacted');
    withPassword.searchParams.set('application_name', applicationName);
    const { pubsub } = openPubSub({
      connectionString: withPassword.toString(),
      pool: openPool(),
      logger,
    });
    const subscription = pubsub.subscribe('redacted');
    await subscription.ready;
    await terminate(applicationName);
    expect(await take(subscription, 1)).toEqual([{ type: 'resync' }]);
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain('reconnected');
    expect(logged).not.toContain('s3cret-password');
  });
});
