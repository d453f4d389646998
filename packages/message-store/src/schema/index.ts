export { int8 } from './int8.js';
export {
  type ChatHeartbeatRow,
  type ChatMessageRow,
  type ChatQueuedMessageRow,
  type ChatRow,
  chatHeartbeats,
  chatMessages,
  chatQueuedMessages,
  chats,
  type DynamicToolDeclaration,
  type MessageVisibility,
  storeSchema,
} from './tables.js';
