export { MAX_CHANNEL_NAME_LENGTH } from './channel-name-rules.js';
export {
  type ChannelEvent,
  type ChannelMessageEvent,
  type ChannelResyncEvent,
  type ChannelSubscription,
  type PublishOptions,
  PubSub,
  type PubSubOptions,
} from './pubsub.js';
