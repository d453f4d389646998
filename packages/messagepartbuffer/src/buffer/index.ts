export type { EpisodeKey } from './episode-key.js';
export {
  MessagePartBuffer,
  type MessagePartBufferOptions,
  type SubscribeOptions,
} from './message-part-buffer.js';
export type { StoredPart } from './stored-part.js';
export type { EpisodeSubscription, SubscriptionEndReason } from './subscription.js';
