import { AsyncLocalStorage } from 'node:async_hooks';
import type { McpIdentity } from '../auth/index.js';

/** What the `fetch` wrapper and the transport's error handler know about the request in flight. */
export interface RequestContext {
  /** The chat the request is made for (a pooled connection serves several). */
  identity: McpIdentity | undefined;
  /** Called when the response stream of this call breaks before its result arrived. */
  onConnectionLost?: (error: unknown) => void;
}

/**
 * The context of the current request. The MCP SDK calls our `fetch` and `onerror` from deep in
 * its own call chain with no way to pass anything along, so the context travels with the async
 * call instead: each tool call or connect runs inside `requestContext.run(context, …)`.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();
