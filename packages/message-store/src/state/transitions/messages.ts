import type { Transaction } from '../../db/database.js';
import { MessageNotFoundError } from '../../errors/store-errors.js';
import { getMessage, softDeleteMessagesFrom } from '../../queries/messages.js';
import {
  clearQueue,
  enqueue,
  moveToHead,
  type NewQueuedMessage,
  takeQueued,
  takeQueueHead,
} from '../../queries/queue.js';
import type { ChatMessageRow, ChatQueuedMessageRow } from '../../schema/rows.js';
import type { EditMessageInput, NewMessage, SendMessageInput } from '../../validation/inputs.js';
import { appendMessages, type ChatStateSnapshot, carry, setExecution } from '../chat-snapshot.js';
import { MessageNotUserError, QueuedMessageNotFoundError, QueueFullError } from '../errors.js';
import { CANCELLATION_REASONS, cancelOutstandingToolCalls } from '../tool-calls.js';

/** Queued messages per chat; the 21st is refused with `QUEUE_FULL`. */
export const MAX_QUEUED_MESSAGES = 20;

/** Where a sent message went. */
export interface SendMessageResult {
  /** The history message id, when the message started a turn at once. */
  messageId?: number;
  /** The queue entry id, when the message waits in the queue. */
  queuedMessageId?: number;
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

/** A user message for history, from a send, an edit or a queue entry. */
function userMessage(
  source: NewQueuedMessage,
  visibility: ChatMessageRow['visibility'] = 'both',
): NewMessage {
  const message: NewMessage = {
    role: 'user',
    content: source.content,
    visibility,
    createdBy: source.createdBy,
  };
  if (source.modelConfigId != null) message.modelConfigId = source.modelConfigId;
  if (source.reasoningEffort != null) message.reasoningEffort = source.reasoningEffort;
  return message;
}

function queuedToMessage(queued: ChatQueuedMessageRow): NewMessage {
  // Queued content was validated strictly when it was queued.
  return userMessage({ ...queued, content: queued.content as NewMessage['content'] });
}

/**
 * Starts a new turn with `message`: closes the outstanding tool calls of the last assistant
 * message (the model cannot be prompted with calls that never got a result; skipped with
 * `cancel: false` when every call is answered), inserts the message, and sets running with no
 * error, deadline or compaction marker.
 */
async function startTurn(
  tx: Transaction,
  chat: ChatStateSnapshot,
  message: NewMessage,
  { cancel = true } = {},
) {
  if (cancel) {
    await cancelOutstandingToolCalls(tx, chat, CANCELLATION_REASONS.superseded, {
      dynamicOnly: false,
    });
  }
  const [messageId] = await appendMessages(tx, chat.row.id, [message]);
  await setExecution(tx, chat, {
    status: 'running',
    lastError: null,
    requiresActionDeadlineAt: null,
  });
  return messageId as number;
}

/**
 * Queues a message after checking the cap (`alreadyQueued` entries are in the queue). On a busy
 * chat an interrupting message goes first: the user said "stop, do this instead".
 */
async function queue(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: SendMessageInput,
  alreadyQueued: number,
) {
  if (alreadyQueued >= MAX_QUEUED_MESSAGES) throw new QueueFullError(MAX_QUEUED_MESSAGES);
  const first = input.busy === 'interrupt' && chat.state !== 'E1';
  return enqueue(tx, chat.row.id, input, { first });
}

/** `sendMessage`: see {@link ChatTransitions.sendMessage}. */
export async function sendMessage(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: SendMessageInput,
): Promise<SendMessageResult> {
  if (input.role !== 'user') throw new MessageNotUserError(undefined, input.role);
  if (chat.state === 'W' || chat.state === 'E0') {
    return { messageId: await startTurn(tx, chat, userMessage(input)) };
  }
  if (chat.state === 'E1') {
    // The queue keeps its order: the oldest queued message starts the turn and the new one
    // waits. Take the head first, then queue: the queue does not grow, so a full queue must
    // not refuse the send.
    const head = (await takeQueueHead(tx, chat.row.id)) as ChatQueuedMessageRow;
    const queuedMessageId = await queue(tx, chat, input, chat.queuedCount - 1);
    await startTurn(tx, chat, queuedToMessage(head));
    return { queuedMessageId };
  }
  // Busy (R, I, A: the matrix admits nothing else): the message waits in the queue.
  const queuedMessageId = await queue(tx, chat, input, chat.queuedCount);
  const interrupt = input.busy === 'interrupt';
  if (chat.state === 'R0' || chat.state === 'R1') {
    await setExecution(tx, chat, { status: interrupt ? 'interrupting' : 'running' }, carry);
  } else if ((chat.state === 'A0' || chat.state === 'A1') && interrupt) {
    // The client tools will never be answered now: close them so the model can go on.
    await cancelOutstandingToolCalls(tx, chat, CANCELLATION_REASONS.interrupted, {
      dynamicOnly: true,
    });
    await setExecution(tx, chat, { status: 'running', requiresActionDeadlineAt: null }, carry);
  } else {
    await setExecution(tx, chat, {}, carry);
  }
  return { queuedMessageId };
}

/** `editMessage`: see {@link ChatTransitions.editMessage}. */
export async function editMessage(
  tx: Transaction,
  chat: ChatStateSnapshot,
  input: EditMessageInput,
): Promise<EditMessageResult> {
  const target = await getMessage(tx, chat.row.id, input.messageId);
  if (target.deleted) throw new MessageNotFoundError(input.messageId);
  if (target.role !== 'user') throw new MessageNotUserError(target.id, target.role);
  const deletedMessageIds = await softDeleteMessagesFrom(tx, chat.row.id, target.id);
  const deletedQueuedIds = await clearQueue(tx, chat.row.id);
  const message = userMessage(
    {
      content: input.content,
      createdBy: input.createdBy,
      modelConfigId: input.modelConfigId ?? target.modelConfigId,
      reasoningEffort: input.reasoningEffort ?? target.reasoningEffort,
    },
    target.visibility,
  );
  const messageId = await startTurn(tx, chat, message);
  return { messageId, deletedMessageIds, deletedQueuedIds };
}

/** `deleteQueued`: see {@link ChatTransitions.deleteQueued}. */
export async function deleteQueued(tx: Transaction, chat: ChatStateSnapshot, queuedId: number) {
  const deleted = await takeQueued(tx, chat.row.id, queuedId);
  if (deleted === undefined) throw new QueuedMessageNotFoundError(queuedId);
  await setExecution(tx, chat, {}, carry);
}

/** `promoteQueued`: see {@link ChatTransitions.promoteQueued}. */
export async function promoteQueued(
  tx: Transaction,
  chat: ChatStateSnapshot,
  queuedId: number,
): Promise<PromoteQueuedResult> {
  if (chat.state === 'R1' || chat.state === 'I1') {
    if (!(await moveToHead(tx, chat.row.id, queuedId))) {
      throw new QueuedMessageNotFoundError(queuedId);
    }
    // Stop the current turn; finishInterruption starts the (now) head next.
    await setExecution(tx, chat, { status: 'interrupting' }, carry);
    return {};
  }
  // E1 / A1: nothing is generating, so the promoted message starts its turn now.
  const queued = await takeQueued(tx, chat.row.id, queuedId);
  if (queued === undefined) throw new QueuedMessageNotFoundError(queuedId);
  return { messageId: await startTurn(tx, chat, queuedToMessage(queued)) };
}

/**
 * Takes the queue head into history as a new turn (R1 finishTurn, I1 finishInterruption).
 * With `cancel`, outstanding tool calls are closed first.
 */
export async function startQueuedTurn(
  tx: Transaction,
  chat: ChatStateSnapshot,
  { cancel }: { cancel: boolean },
): Promise<number> {
  const head = (await takeQueueHead(tx, chat.row.id)) as ChatQueuedMessageRow;
  return startTurn(tx, chat, queuedToMessage(head), { cancel });
}
