import { describe, expect, it } from 'vitest';
import { describeTransportContract } from '../testing/index.js';
import { InProcessTransport } from './in-process-transport.js';

describeTransportContract('InProcessTransport', () => new InProcessTransport());
describeTransportContract(
  'InProcessTransport with a small limit',
  () => new InProcessTransport({ maxPayloadBytes: 64 }),
);

describe('InProcessTransport', () => {
  it("defaults to Postgres NOTIFY's payload limit", () => {
    expect(new InProcessTransport().maxPayloadBytes).toBe(7999);
  });

  it('delivers before publish returns', () => {
    const transport = new InProcessTransport();
    const delivered: string[] = [];
    transport.attach({ deliver: (_channel, payload) => delivered.push(payload), reconnected() {} });
    void transport.listen('channel');
    void transport.publish('channel', '"now"');
    expect(delivered).toEqual(['"now"']);
  });

  it('serves one receiver only', () => {
    const transport = new InProcessTransport();
    const receiver = { deliver() {}, reconnected() {} };
    transport.attach(receiver);
    expect(() => transport.attach(receiver)).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'receiver' }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxPayloadBytes %s', (maxPayloadBytes) => {
    expect(() => new InProcessTransport({ maxPayloadBytes })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'maxPayloadBytes' }),
    );
  });
});
