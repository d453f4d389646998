export { type Clock, realClock, sleepOn, type TimerHandle } from './clock.js';
export { type DeadlineOptions, withDeadline } from './deadline.js';
