export { type Clock, realClock, sleepOn, type TimerHandle } from './clock.js';
