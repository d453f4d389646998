/**
 * chatd for the AI SDK's `useChat`: {@link ChatdChatTransport} sends through chatd's native API
 * and streams replies that resume by themselves. Needs `ai` 6 (a peer dependency of this
 * entry only; the package's main entry does not use it).
 *
 * @packageDocumentation
 */
export { ChatdChatTransport, type ChatdChatTransportOptions } from './chat-transport.js';
