import { afterEach, describe, expect, it } from 'vitest';
import type { PubSubTransport, TransportReceiver } from '../transport/transport.js';

/** Creates a fresh transport for one test; the suite attaches a receiver and closes it. */
export type TransportFactory = () => PubSubTransport | Promise<PubSubTransport>;

interface Delivery {
  channel: string;
  payload: string;
}

/**
 * A receiver that records deliveries and lets a test wait for the n-th one on a channel,
 * without sleeping: every transport delivers asynchronously in its own time.
 */
class RecordingReceiver implements TransportReceiver {
  readonly deliveries: Delivery[] = [];
  readonly reconnects: string[] = [];
  #waiters: { channel: string; count: number; resolve: () => void }[] = [];

  deliver(channel: string, payload: string): void {
    this.deliveries.push({ channel, payload });
    const ready = this.#waiters.filter((waiter) => this.#count(waiter.channel) >= waiter.count);
    this.#waiters = this.#waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  reconnected(channel: string): void {
    this.reconnects.push(channel);
  }

  /** Payloads delivered on `channel`, in arrival order. */
  payloads(channel: string): string[] {
    return this.deliveries
      .filter((delivery) => delivery.channel === channel)
      .map((delivery) => delivery.payload);
  }

  /** Resolves once `count` messages have arrived on `channel`. */
  waitFor(channel: string, count: number): Promise<void> {
    if (this.#count(channel) >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ channel, count, resolve }));
  }

  #count(channel: string): number {
    return this.deliveries.filter((delivery) => delivery.channel === channel).length;
  }
}

/** Optional parts of the contract suite, for transports that can do more. */
export interface TransportContractOptions {
  /**
   * Creates another transport on the same medium (another connection to the same database),
   * for the cases where messages cross between transports. Transports whose medium is private
   * to one instance (in-process) leave it out and those cases are not run.
   */
  createPeer?: TransportFactory;
}

/**
 * The behaviour every {@link PubSubTransport} must have, as a vitest suite: call it at the top
 * level of a test file, once per implementation. chatd runs it against the in-process transport
 * and the Postgres transport (on Postgres and on PGlite).
 *
 * Each case builds a fresh transport with `createTransport`, attaches a recording receiver and
 * closes the transport afterwards. Absence of a delivery is checked with a marker: a message on
 * a listened channel published after the one that must not arrive; once the marker arrives, the
 * other would have too. Reconnects cannot be provoked generically; transports that can lose a
 * connection test `reconnected` in their own suite.
 *
 * @param name - Names the suite in the test report.
 * @param createTransport - Creates a fresh transport for one case.
 * @param options - `createPeer`, for transports whose messages cross between instances.
 *
 * @example
 * ```ts
 * import { InProcessTransport } from '@chatd/pubsub';
 * import { describeTransportContract } from '@chatd/pubsub/testing';
 *
 * describeTransportContract('InProcessTransport', () => new InProcessTransport());
 * ```
 */
export function describeTransportContract(
  name: string,
  createTransport: TransportFactory,
  { createPeer }: TransportContractOptions = {},
): void {
  describe(`${name} (PubSubTransport contract)`, () => {
    const open: PubSubTransport[] = [];

    async function setUp(
      factory: TransportFactory = createTransport,
    ): Promise<{ transport: PubSubTransport; receiver: RecordingReceiver }> {
      const transport = await factory();
      open.push(transport);
      const receiver = new RecordingReceiver();
      transport.attach(receiver);
      return { transport, receiver };
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((transport) => transport.close()));
    });

    /**
     * Publishes `payload` on `channel`, then a marker on the listened channel `marker`, and
     * returns what arrived on `channel` once the marker did: by then `payload` would have too.
     */
    async function publishBeforeMarker(
      { transport, receiver }: { transport: PubSubTransport; receiver: RecordingReceiver },
      channel: string,
      payload: string,
    ): Promise<string[]> {
      await transport.publish(channel, payload);
      await transport.listen('marker');
      await transport.publish('marker', '"done"');
      await receiver.waitFor('marker', 1);
      return receiver.payloads(channel);
    }

    /** Listens on `channel`, publishes `payload` there and returns what arrived on it. */
    async function roundTrip(
      { transport, receiver }: { transport: PubSubTransport; receiver: RecordingReceiver },
      channel: string,
      payload: string,
    ): Promise<string[]> {
      await transport.listen(channel);
      await transport.publish(channel, payload);
      await receiver.waitFor(channel, 1);
      return receiver.payloads(channel);
    }

    it('delivers a published message to the receiver of a listened channel, unchanged', async () => {
      const payload = '{"payload":{"text":"héllo \\"wörld\\" 👋","n":1}}';
      expect(await roundTrip(await setUp(), 'chat:update:1', payload)).toEqual([payload]);
    });

    it('delivers the messages of one publisher on a channel in publish order', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('ordered');
      const payloads = Array.from({ length: 50 }, (_, index) => `{"payload":${index}}`);
      for (const payload of payloads) await transport.publish('ordered', payload);
      await receiver.waitFor('ordered', payloads.length);
      expect(receiver.payloads('ordered')).toEqual(payloads);
    });

    it('delivers messages published without waiting intact and in order, across channels', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('burst-a');
      await transport.listen('burst-b');
      // Quotes, backslashes, non-ASCII and JSON inside JSON: what a batched publish must carry.
      const payloadsOf = (channel: string) =>
        Array.from(
          { length: 100 },
          (_, index) => `{"payload":{"n":${index},"text":"${channel} \\"q\\" \\\\ é 👋"}}`,
        );
      const a = payloadsOf('burst-a');
      const b = payloadsOf('burst-b');
      await Promise.all(
        a.flatMap((payload, index) => [
          transport.publish('burst-a', payload),
          transport.publish('burst-b', b[index] as string),
        ]),
      );
      await receiver.waitFor('burst-a', a.length);
      await receiver.waitFor('burst-b', b.length);
      expect(receiver.payloads('burst-a')).toEqual(a);
      expect(receiver.payloads('burst-b')).toEqual(b);
    });

    it('keeps channels apart', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('a');
      await transport.listen('b');
      await transport.publish('a', '"for a"');
      await transport.publish('b', '"for b"');
      await receiver.waitFor('a', 1);
      await receiver.waitFor('b', 1);
      expect(receiver.payloads('a')).toEqual(['"for a"']);
      expect(receiver.payloads('b')).toEqual(['"for b"']);
    });

    it('delivers nothing on a channel that is not listened', async () => {
      expect(await publishBeforeMarker(await setUp(), 'unheard', '"x"')).toEqual([]);
    });

    it('stops delivering a channel after unlisten', async () => {
      const opened = await setUp();
      await opened.transport.listen('channel');
      await opened.transport.unlisten('channel');
      expect(await publishBeforeMarker(opened, 'channel', '"after unlisten"')).toEqual([]);
    });

    it('applies listen and unlisten in call order, even without awaiting each', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('channel');
      const unlistening = transport.unlisten('channel');
      const listening = transport.listen('channel');
      await Promise.all([unlistening, listening]);
      await transport.publish('channel', '"still listened"');
      await receiver.waitFor('channel', 1);
      expect(receiver.payloads('channel')).toEqual(['"still listened"']);
    });

    it('treats a second listen on a channel as a no-op: one delivery per message', async () => {
      const opened = await setUp();
      await opened.transport.listen('channel');
      await opened.transport.listen('channel');
      expect(await publishBeforeMarker(opened, 'channel', '"once"')).toEqual(['"once"']);
    });

    it('treats unlisten of a channel that is not listened as a no-op', async () => {
      const opened = await setUp();
      await opened.transport.unlisten('never listened');
      expect(await roundTrip(opened, 'channel', '"ok"')).toEqual(['"ok"']);
    });

    it('carries channel names of up to 200 characters of any kind', async () => {
      const opened = await setUp();
      const channel = `chat:update:${'ü-Ω/'.repeat(47)}`.slice(0, 200);
      expect(channel).toHaveLength(200);
      await roundTrip(opened, channel, '"long name"');
      expect(opened.receiver.deliveries).toEqual([{ channel, payload: '"long name"' }]);
    });

    it('carries a message of exactly maxPayloadBytes UTF-8 bytes', async () => {
      const opened = await setUp();
      const payload = 'x'.repeat(opened.transport.maxPayloadBytes);
      expect(await roundTrip(opened, 'big', payload)).toEqual([payload]);
    });

    it('rejects a message over maxPayloadBytes with PAYLOAD_TOO_LARGE and sends nothing', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('big');
      const payload = 'x'.repeat(transport.maxPayloadBytes + 1);
      await expect(transport.publish('big', payload)).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      await transport.publish('big', '"marker"');
      await receiver.waitFor('big', 1);
      expect(receiver.payloads('big')).toEqual(['"marker"']);
    });

    it('measures the limit in UTF-8 bytes, not characters', async () => {
      const { transport } = await setUp();
      // Two bytes per character: within the limit in characters, over it in bytes.
      const payload = 'é'.repeat(Math.floor(transport.maxPayloadBytes / 2) + 1);
      expect(payload.length).toBeLessThanOrEqual(transport.maxPayloadBytes);
      await expect(transport.publish('big', payload)).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
    });

    // Cases for transports whose messages cross between instances; registered only then, so
    // a transport without a shared medium neither runs nor skips them.
    if (createPeer !== undefined) {
      it('delivers the messages of a peer transport on the same medium, in publish order', async () => {
        const { transport, receiver } = await setUp();
        const peer = await setUp(createPeer);
        await transport.listen('shared');
        const payloads = Array.from({ length: 50 }, (_, index) => `{"payload":${index}}`);
        for (const payload of payloads) await peer.transport.publish('shared', payload);
        await receiver.waitFor('shared', payloads.length);
        expect(receiver.payloads('shared')).toEqual(payloads);
        expect(peer.receiver.deliveries).toEqual([]); // the peer does not listen
      });

      it('delivers a message to every transport listening on its channel', async () => {
        const first = await setUp();
        const second = await setUp(createPeer);
        await first.transport.listen('fan-out');
        await second.transport.listen('fan-out');
        await first.transport.publish('fan-out', '"to both"');
        await first.receiver.waitFor('fan-out', 1);
        await second.receiver.waitFor('fan-out', 1);
        expect(first.receiver.payloads('fan-out')).toEqual(['"to both"']);
        expect(second.receiver.payloads('fan-out')).toEqual(['"to both"']);
      });
    }

    it('delivers nothing once closed, and close is idempotent', async () => {
      const { transport, receiver } = await setUp();
      await transport.listen('channel');
      await transport.close();
      await transport.close();
      await transport.publish('channel', '"after close"').catch(() => undefined);
      expect(receiver.deliveries).toEqual([]);
    });
  });
}
