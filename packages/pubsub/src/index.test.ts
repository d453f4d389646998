import { describe, expect, it } from 'vitest';
import * as publicApi from './index.js';

describe('the package entry', () => {
  it('exports exactly the intended runtime values', () => {
    // Adding a name here makes it public API: do it on purpose. The transport contract suite
    // (which imports vitest) must never appear.
    expect(Object.keys(publicApi).sort()).toEqual([
      'Broker',
      'BrokerClosedError',
      'InProcessTransport',
      'InvalidChannelError',
      'MAX_CHANNEL_NAME_LENGTH',
      'PayloadNotJsonError',
      'PayloadTooLargeError',
      'PubSub',
      'PubSubClosedError',
    ]);
  });
});
