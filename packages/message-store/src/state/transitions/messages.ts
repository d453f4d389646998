import { type ChatMessageContent, type ChatMessageRole, InvalidArgumentError } from '@chatd/core';
import { MessageNotFoundError } from '../../errors/index.js';
import { MessageNotUserError, QueuedMessageNotFoundError, QueueFullError } from '../errors.js';
import type { StateMessageInsert, StateQueuedInsert, StateQueuedRow } from '../state-queries.js';
import { CANCELLATION_REASONS } from '../tool-calls.js';
import type { TransitionScope } from './scope.js';

/** What a busy chat does with a new message: queue it, or queue it and interrupt. */
export type BusyBehavior = 'queue' | 'interrupt';

/** A user message sent to a chat. */
export interface SendMessageInput {
  /** Must be `user`; anything else is rejected with `MESSAGE_NOT_USER`. */
  role: ChatMessageRole;
  /** The message content (validated strictly on write). */
  content: ChatMessageContent;
  /** Who wrote it. */
  createdBy: string;
  /** The model config to answer it with, when not the chat's default. */
  modelConfigId?: string;
  /** The reasoning effort to answer it with. */
  reasoningEffort?: string;
  /**
   * What to do when the chat is busy (running, interrupting, requires-action): `queue` waits
   * for the current turn; `interrupt` queues too and stops the current turn so the message is
   * answered next.
   * @default 'queue'
   */
  busy?: BusyBehavior;
}

/** Where a sent message went. */
export interface SendMessageResult {
  /** The history message id, when the message started a turn at once. */
  messageId?: number;
  /** The queue entry id, when the message waits in the queue. */
  queuedMessageId?: number;
}

/** A replacement for a user message. */
export interface EditMessageInput {
  /** The user message to replace; it and everything after it are soft-deleted. */
  messageId: number;
  /** The new content. */
  content: ChatMessageContent;
  /** Who edited it. */
  createdBy: string;
  /** Model config for the new turn. @default the edited message's */
  modelConfigId?: string;
  /** Reasoning effort for the new turn. @default the edited message's */
  reasoningEffort?: string;
}

/** What an edit changed. */
export interface EditMessageResult {
  /** The replacement message's id. */
  messageId: number;
  /** Ids of the messages soft-deleted (the target and every later one). */
  deletedMessageIds: number[];
  /** Ids of the queue entries deleted (the whole queue). */
  deletedQueuedIds: number[];
}

/** What a promotion did. */
export interface PromoteQueuedResult {
  /** The promoted message's history id, when it started a turn at once (error, requires-action). */
  messageId?: number;
}

function userMessage(input: {
  content: ChatMessageContent;
  createdBy: string;
  modelConfigId?: string | null | undefined;
  reasoningEffort?: string | null | undefined;
  visibility?: StateMessageInsert['visibility'];
}): StateMessageInsert {
  const message: StateMessageInsert = {
    role: 'user',
    content: input.content,
    visibility: input.visibility ?? 'both',
    createdBy: input.createdBy,
  };
  if (input.modelConfigId != null) message.modelConfigId = input.modelConfigId;
  if (input.reasoningEffort != null) message.reasoningEffort = input.reasoningEffort;
  return message;
}

function queuedToMessage(queued: StateQueuedRow): StateMessageInsert {
  return userMessage(queued);
}

/**
 * Starts a new turn with `message`: closes the outstanding tool calls of the last assistant
 * message (the model cannot be prompted with calls that never got a result), inserts the
 * message, and sets running with no error, deadline or compaction marker.
 */
export async function startTurn(scope: TransitionScope, message: StateMessageInsert) {
  await scope.cancelOutstanding(CANCELLATION_REASONS.superseded, { dynamicOnly: false });
  const [messageId] = await scope.q.insertMessages(scope.chatId, [message]);
  await scope.set({ status: 'running', lastError: null, requiresActionDeadlineAt: null });
  return messageId as number;
}

/** Appends to the queue after checking the cap inside the transaction. */
async function enqueue(scope: TransitionScope, input: SendMessageInput, alreadyQueued: number) {
  const max = scope.settings.maxQueuedMessages;
  if (alreadyQueued >= max) throw new QueueFullError(max);
  const queued: StateQueuedInsert = {
    content: input.content,
    createdBy: input.createdBy,
  };
  if (input.modelConfigId !== undefined) queued.modelConfigId = input.modelConfigId;
  if (input.reasoningEffort !== undefined) queued.reasoningEffort = input.reasoningEffort;
  return scope.q.enqueue(scope.chatId, queued);
}

/** `sendMessage`: see {@link ChatTransitions.sendMessage}. */
export async function sendMessage(
  scope: TransitionScope,
  input: SendMessageInput,
): Promise<SendMessageResult> {
  const busy = input.busy ?? 'queue';
  if (busy !== 'queue' && busy !== 'interrupt') {
    throw new InvalidArgumentError('busy', `expected 'queue' or 'interrupt', got ${String(busy)}`);
  }
  if (input.role !== 'user') throw new MessageNotUserError(undefined, input.role);

  switch (scope.state) {
    case 'W':
    case 'E0':
      return { messageId: await startTurn(scope, userMessage(input)) };
    case 'E1': {
      // The queue keeps its order: the oldest queued message starts the turn and the new one
      // waits at the tail. Pop first, then append: the queue length does not grow, so a full
      // queue must not refuse the send (spec §7.1 item 16 checked the cap before popping).
      const head = (await scope.q.queueHead(scope.chatId)) as StateQueuedRow;
      await scope.q.deleteQueued(scope.chatId, head.id);
      const queuedMessageId = await enqueue(scope, input, scope.queuedCount - 1);
      await startTurn(scope, queuedToMessage(head));
      return { queuedMessageId };
    }
    case 'R0':
    case 'R1': {
      const queuedMessageId = await enqueue(scope, input, scope.queuedCount);
      await scope.set(
        { status: busy === 'interrupt' ? 'interrupting' : 'running' },
        { carryCompaction: true },
      );
      return { queuedMessageId };
    }
    case 'I0':
    case 'I1': {
      const queuedMessageId = await enqueue(scope, input, scope.queuedCount);
      await scope.set({}, { carryCompaction: true });
      return { queuedMessageId };
    }
    default: {
      // A0 / A1 (the matrix admits nothing else).
      const queuedMessageId = await enqueue(scope, input, scope.queuedCount);
      if (busy === 'interrupt') {
        // The client tools will never be answered now: close them so the model can go on.
        await scope.cancelOutstanding(CANCELLATION_REASONS.interrupted, { dynamicOnly: true });
        await scope.set(
          { status: 'running', requiresActionDeadlineAt: null },
          { carryCompaction: true },
        );
      } else {
        await scope.set({}, { carryCompaction: true });
      }
      return { queuedMessageId };
    }
  }
}

/** `editMessage`: see {@link ChatTransitions.editMessage}. */
export async function editMessage(
  scope: TransitionScope,
  input: EditMessageInput,
): Promise<EditMessageResult> {
  const target = await scope.q.getMessage(input.messageId);
  if (target === undefined || target.chatId !== scope.chatId || target.deleted) {
    throw new MessageNotFoundError(input.messageId);
  }
  if (target.role !== 'user') throw new MessageNotUserError(target.id, target.role);

  const deletedMessageIds = await scope.q.softDeleteFrom(scope.chatId, target.id);
  const deletedQueuedIds = await scope.q.clearQueue(scope.chatId);
  const messageId = await startTurn(
    scope,
    userMessage({
      content: input.content,
      createdBy: input.createdBy,
      modelConfigId: input.modelConfigId ?? target.modelConfigId,
      reasoningEffort: input.reasoningEffort ?? target.reasoningEffort,
      visibility: target.visibility,
    }),
  );
  return { messageId, deletedMessageIds, deletedQueuedIds };
}

async function requireQueued(scope: TransitionScope, queuedId: number) {
  const queued = await scope.q.getQueued(scope.chatId, queuedId);
  if (queued === undefined) throw new QueuedMessageNotFoundError(queuedId);
  return queued;
}

/** `deleteQueued`: see {@link ChatTransitions.deleteQueued}. */
export async function deleteQueued(scope: TransitionScope, queuedId: number): Promise<void> {
  await requireQueued(scope, queuedId);
  await scope.q.deleteQueued(scope.chatId, queuedId);
  await scope.set({}, { carryCompaction: true });
}

/** `promoteQueued`: see {@link ChatTransitions.promoteQueued}. */
export async function promoteQueued(
  scope: TransitionScope,
  queuedId: number,
): Promise<PromoteQueuedResult> {
  const queued = await requireQueued(scope, queuedId);
  await scope.q.moveToHead(scope.chatId, queuedId);
  if (scope.state === 'R1' || scope.state === 'I1') {
    // Stop the current turn; finishInterruption starts the (now) head next.
    await scope.set({ status: 'interrupting' }, { carryCompaction: true });
    return {};
  }
  // E1 / A1: nothing is generating, so the promoted message starts its turn now.
  await scope.q.deleteQueued(scope.chatId, queuedId);
  return { messageId: await startTurn(scope, queuedToMessage(queued)) };
}

/** Pops the queue head into history as a new turn (R1 finishTurn, I1 finishInterruption). */
export async function startQueuedTurn(scope: TransitionScope, { cancel }: { cancel: boolean }) {
  const head = (await scope.q.queueHead(scope.chatId)) as StateQueuedRow;
  await scope.q.deleteQueued(scope.chatId, head.id);
  if (cancel) return startTurn(scope, queuedToMessage(head));
  const [messageId] = await scope.q.insertMessages(scope.chatId, [queuedToMessage(head)]);
  await scope.set({ status: 'running', lastError: null, requiresActionDeadlineAt: null });
  return messageId as number;
}
