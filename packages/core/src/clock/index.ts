export { type Clock, realClock, type TimerHandle } from './clock.js';
export { type DeadlineOptions, withDeadline } from './deadline.js';
