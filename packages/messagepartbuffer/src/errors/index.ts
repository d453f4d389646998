export {
  BufferClosedError,
  BufferFullError,
  EpisodeClosedError,
  EpisodeExistsError,
  EpisodeFullError,
  EpisodeNotFoundError,
  type MessagePartBufferErrorCode,
} from './message-part-buffer-errors.js';
