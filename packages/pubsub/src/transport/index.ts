export { InProcessTransport, type InProcessTransportOptions } from './in-process-transport.js';
export type { PubSubTransport, TransportReceiver } from './transport.js';
