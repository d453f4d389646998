export {
  BrokerClosedError,
  InvalidChannelError,
  PayloadNotJsonError,
  PayloadTooLargeError,
  PubSubClosedError,
  type PubSubErrorCode,
} from './pubsub-errors.js';
