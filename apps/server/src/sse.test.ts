import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SseWriter } from './sse.js';

describe('SseWriter', () => {
  it('a send waiting for a client that stopped reading ends when the client goes away', async () => {
    let writer: SseWriter | undefined;
    let sends = 0;
    let handlerDone!: Promise<void>;
    const server = createServer((_request, response) => {
      const sse = new SseWriter(response, { heartbeatMs: 60_000 });
      writer = sse;
      handlerDone = (async () => {
        // Far more than the socket buffers hold: the writer must wait for the client.
        while (!sse.closed && sends < 10_000) {
          await sse.send({ text: 'x'.repeat(64 * 1024) });
          sends += 1;
        }
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const request = get(`http://127.0.0.1:${port}/`);
      const response = await new Promise<IncomingMessage>((resolve) =>
        request.once('response', resolve),
      );
      response.pause();
      // The writer is stuck on a full socket: the count stops moving.
      let last = -1;
      await expect
        .poll(
          () => {
            const stuck = sends === last;
            last = sends;
            return stuck;
          },
          { interval: 100, timeout: 5000 },
        )
        .toBe(true);
      expect(sends).toBeLessThan(10_000);
      request.destroy();
      await handlerDone;
      expect(writer?.closed).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
