import { ChatdError } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import {
  BrokerClosedError,
  InvalidChannelError,
  PayloadNotJsonError,
  PayloadTooLargeError,
  PubSubClosedError,
} from './pubsub-errors.js';

describe('pubsub errors', () => {
  it.each([
    [new BrokerClosedError(), 'BROKER_CLOSED', 'BrokerClosedError'],
    [new PubSubClosedError(), 'PUBSUB_CLOSED', 'PubSubClosedError'],
    [new InvalidChannelError('', 'must not be empty'), 'INVALID_CHANNEL', 'InvalidChannelError'],
    [
      new PayloadNotJsonError('payload', 'is a function'),
      'PAYLOAD_NOT_JSON',
      'PayloadNotJsonError',
    ],
    [new PayloadTooLargeError(9000, 7999), 'PAYLOAD_TOO_LARGE', 'PayloadTooLargeError'],
  ])(
    '%s has code %s, is recognised by ChatdError.isInstance and is not retryable',
    (error, code, name) => {
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
      expect(error.retryable).toBe(false);
      expect(ChatdError.isInstance(error, code)).toBe(true);
      expect(error).toBeInstanceOf(Error);
    },
  );

  it('PayloadTooLargeError carries the size and the limit', () => {
    const error = new PayloadTooLargeError(9000, 7999);
    expect([error.bytes, error.maxBytes]).toEqual([9000, 7999]);
    expect(error.message).toBe(
      'The serialized message is 9000 bytes; the transport carries at most 7999',
    );
  });

  it('keeps a cause', () => {
    const cause = new Error('underlying');
    expect(new BrokerClosedError({ cause }).cause).toBe(cause);
  });
});
