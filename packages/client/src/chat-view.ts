import type {
  ChatErrorInfo,
  ChatMessage,
  ChatStatus,
  ChatStreamPart,
  PendingToolCall,
  QueuedChatMessage,
} from '@chatd/core';
import type { ClientStreamEvent, ConnectionState } from './types.js';

/** One part of the in-flight message, as a UI shows it. */
export type PreviewPart =
  | { type: 'text' | 'reasoning'; id: string; text: string; done: boolean }
  | {
      type: 'tool';
      toolCallId: string;
      toolName: string;
      /** The input's JSON text as it streams. */
      inputText: string;
      /** The parsed input, once complete. */
      input?: unknown;
      output?: unknown;
      errorText?: string;
      state: 'input-streaming' | 'input-available' | 'output-available' | 'output-error';
    };

/** The retry banner: when the next attempt is due and why. */
export interface RetryInfo {
  attempt: number;
  retryAt: string;
  error: ChatErrorInfo;
}

/**
 * What a chat UI shows, kept up to date by applying stream events in order: committed messages
 * by id (upserted; `history-reset` starts them over), the in-flight message built from its
 * parts (`preview-reset` clears it), the queue, the status, the retry banner, the last error,
 * pending client tool calls and the connection state.
 *
 * @example
 * ```ts
 * const view = new ChatView();
 * for await (const event of client.stream(chatId, { signal })) {
 *   view.apply(event);
 *   render(view.messages, view.preview, view.status);
 * }
 * ```
 */
export class ChatView {
  readonly #messages = new Map<number, ChatMessage>();
  #preview: PreviewPart[] = [];
  /** The queue, in the order it will run. */
  queue: QueuedChatMessage[] = [];
  /** The chat's status (`undefined` until the stream reports it). */
  status: ChatStatus | undefined;
  /** The pending retry, while one is scheduled. */
  retry: RetryInfo | undefined;
  /** Why the last turn failed (status `error`). */
  error: ChatErrorInfo | undefined;
  /** Client tool calls waiting for results (status `requires-action`). */
  pendingToolCalls: PendingToolCall[] = [];
  /**
   * Warnings of the in-flight step (`data-warning` parts), e.g. a tool server that could not
   * be reached; cleared with the preview.
   */
  warnings: { message: string; source?: string }[] = [];
  /** The stream's connection. */
  connection: ConnectionState = { state: 'connecting' };
  /** The cursor of the last event applied: where a new stream would resume. */
  cursor: string | undefined;

  /** Committed messages, oldest first. */
  get messages(): ChatMessage[] {
    return [...this.#messages.values()].sort((a, b) => a.id - b.id);
  }

  /** The in-flight message's parts, in the order they started. */
  get preview(): readonly PreviewPart[] {
    return this.#preview;
  }

  /** Applies one event of `client.stream` (events of other types are ignored). */
  apply(event: ClientStreamEvent): void {
    if (event.type === 'connection') {
      const { type: _type, ...state } = event;
      this.connection = state as ConnectionState;
      return;
    }
    if (event.cursor !== undefined) this.cursor = event.cursor;
    switch (event.type) {
      case 'message':
        this.#messages.set(event.message.id, event.message);
        break;
      case 'history-reset':
        this.#messages.clear();
        break;
      case 'preview-reset':
        this.#preview = [];
        this.warnings = [];
        break;
      case 'queue-update':
        this.queue = event.queuedMessages;
        break;
      case 'status':
        this.status = event.status;
        if (event.status !== 'error') this.error = undefined;
        if (event.status !== 'requires-action') this.pendingToolCalls = [];
        if (event.status !== 'running') this.retry = undefined;
        break;
      case 'error':
        this.error = event.error;
        break;
      case 'retry':
        this.retry = { attempt: event.attempt, retryAt: event.retryAt, error: event.error };
        break;
      case 'action-required':
        this.pendingToolCalls = event.toolCalls;
        break;
      case 'message-part':
        this.retry = undefined;
        this.#applyPart(event.part);
        break;
    }
  }

  #applyPart(part: ChatStreamPart): void {
    switch (part.type) {
      case 'text-start':
      case 'reasoning-start':
        this.#preview.push({
          type: part.type === 'text-start' ? 'text' : 'reasoning',
          id: part.id,
          text: '',
          done: false,
        });
        return;
      case 'text-delta':
      case 'reasoning-delta': {
        const block = this.#block(part.type === 'text-delta' ? 'text' : 'reasoning', part.id);
        block.text += part.delta;
        return;
      }
      case 'text-end':
      case 'reasoning-end':
        this.#block(part.type === 'text-end' ? 'text' : 'reasoning', part.id).done = true;
        return;
      case 'tool-input-start':
        this.#tool(part.toolCallId, part.toolName);
        return;
      case 'tool-input-delta':
        this.#tool(part.toolCallId).inputText += part.inputTextDelta;
        return;
      case 'tool-input-available': {
        const tool = this.#tool(part.toolCallId, part.toolName);
        tool.input = part.input;
        tool.state = 'input-available';
        return;
      }
      case 'tool-output-available': {
        const tool = this.#tool(part.toolCallId);
        tool.output = part.output;
        tool.state = 'output-available';
        return;
      }
      case 'tool-output-error': {
        const tool = this.#tool(part.toolCallId);
        tool.errorText = part.errorText;
        tool.state = 'output-error';
        return;
      }
      case 'data-warning':
        this.warnings.push(part.data);
        return;
      default:
        return; // steps, files and sources change nothing a preview shows here
    }
  }

  /** The open text or reasoning block `id`, created if its start was missed. */
  #block(type: 'text' | 'reasoning', id: string) {
    const found = this.#preview.find((part) => part.type === type && part.id === id);
    if (found !== undefined && found.type !== 'tool') return found;
    const block = { type, id, text: '', done: false };
    this.#preview.push(block);
    return block;
  }

  /** The tool call `toolCallId`, created if its start was missed. */
  #tool(toolCallId: string, toolName = '') {
    const found = this.#preview.find(
      (part) => part.type === 'tool' && part.toolCallId === toolCallId,
    );
    if (found !== undefined && found.type === 'tool') {
      if (toolName !== '') found.toolName = toolName;
      return found;
    }
    const tool: Extract<PreviewPart, { type: 'tool' }> = {
      type: 'tool',
      toolCallId,
      toolName,
      inputText: '',
      state: 'input-streaming',
    };
    this.#preview.push(tool);
    return tool;
  }
}
