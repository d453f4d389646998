export { BoundedQueue, fromSubscribable } from './bounded-queue.js';
