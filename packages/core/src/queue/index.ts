export {
  BoundedQueue,
  type BoundedQueueOptions,
  fromSubscribable,
  type OverflowPolicy,
  type QueueEndReason,
  type Subscribable,
} from './bounded-queue.js';
