export { Broker, type BrokerEvent } from './broker.js';
export type {
  BrokerOptions,
  PublishMustDeliverOptions,
  SubscribeOptions,
} from './broker-options.js';
export type { EventTypeDropCounts } from './drop-counters.js';
export type { Subscription, SubscriptionEndReason } from './subscription.js';
