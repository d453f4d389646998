export { type LogFields, type Logger, type LogMethod, silentLogger } from './logger.js';
