export { type Clock, realClock, type TimerHandle } from './clock.js';
export { withDeadline } from './deadline.js';
