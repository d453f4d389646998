export type {
  ChatMetadataUpdate,
  ChatPage,
  ListChatsOptions,
} from './chats.js';
export { parseJsonText, validateContent, validateJsonValue } from './content.js';
export { insertMessages } from './insert-messages.js';
export {
  type NewChatMessage,
  toChatMessage,
  toQueuedChatMessage,
} from './message-rows.js';
export { type ListMessagesOptions, MAX_MESSAGE_PAGE, type MessagePage } from './messages.js';
export {
  type AcquisitionCandidate,
  type HeartbeatEntry,
  RUNNABLE_STATUSES,
} from './ownership.js';
export type { RunnerSyncRow, StreamSyncRow } from './sync.js';
