import type { ToolSet } from 'ai';

/** Who the tools are for, and when to stop building them. */
export interface ToolTurnContext {
  /** The chat. */
  chatId: string;
  /** The chat's owner. */
  ownerId: string;
  /** The model configuration the action runs with: some tools suit only some models. */
  modelConfigId: string;
  /** The MCP servers (or other tool sources) the chat may use, as stored on the chat. */
  mcpServerIds: readonly string[];
  /** Aborts when the task is cancelled. */
  signal: AbortSignal;
}

/** The tools of one action, and how to release what was opened for them. */
export interface TurnTools {
  /** AI SDK tools, each with `execute`: chatd runs them itself after committing the call. */
  tools: ToolSet;
  /**
   * Names of tools that must run alone: when a step calls one of them together with other
   * tools, every call of the step gets a policy error and none runs.
   */
  exclusive?: readonly string[];
  /** Names of tools whose successful result ends the turn. */
  stopAfter?: readonly string[];
  /**
   * Things the user should know about this action's tools, e.g. a tool server that could not
   * be reached. Each is streamed to the chat's subscribers as a `data-warning` part.
   */
  warnings?: readonly { message: string; source?: string }[];
  /** Releases what `forTurn` opened (connections, sessions). Called after every action. */
  close(): void | Promise<void>;
}

/**
 * Supplies the server-side tools of each action (a model step or a tool batch). The apps
 * implement it, typically over `@chatd/mcp-client`; chatd depends on this interface only.
 */
export interface ToolProvider {
  forTurn(context: ToolTurnContext): Promise<TurnTools>;
}
