import type { ChatStatus } from './chat-status.js';
import type { ChatErrorInfo } from './error-info.js';

/**
 * A chat as the engine's API and the server return it: plain data, dates as ISO strings, so
 * the same value crosses a function call, JSON over HTTP and a client unchanged.
 */
export interface Chat {
  /** The chat id. */
  id: string;
  /** The owner (opaque, app-defined). */
  ownerId: string;
  /** The title. */
  title: string;
  /** Execution status. */
  status: ChatStatus;
  /** Whether the chat (with its family) is archived. */
  archived: boolean;
  /** The parent of a sub-chat. */
  parentChatId: string | null;
  /** The root of a sub-chat's family; the chat's own id for a root. */
  rootChatId: string;
  /** The model configuration the chat last used. */
  modelConfigId: string | null;
  /** MCP servers (or other tool sources) the chat may use. */
  mcpServerIds: string[];
  /** App-defined labels. */
  labels: Record<string, string>;
  /** Why the last turn failed (status `error`). */
  lastError: ChatErrorInfo | null;
  /** When the chat was created. */
  createdAt: string;
  /** When its execution state last changed. */
  updatedAt: string;
  /** The last user activity; orders the owner's chat list. */
  lastUserActivityAt: string;
}
