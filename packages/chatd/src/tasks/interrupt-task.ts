import { ChatdError } from '@chatd/core';
import { findOutstandingToolCalls } from '@chatd/message-store';
import type { StoredPart } from '@chatd/messagepartbuffer';
import { recoverInterruptedOutput } from '../generation/interrupt-recovery.js';
import type { TaskInput } from '../worker/task-types.js';
import type { EngineContext } from './engine-context.js';
import { readFenced, updateFenced } from './fence.js';

/**
 * The interrupt task: ends the episode the interrupted attempt was streaming and commits what
 * it had produced (coalesced text and reasoning, tool calls with complete input, tool results
 * that finished), closing every call left without a result. It never calls the model.
 */
export async function runInterrupt(
  context: EngineContext,
  input: TaskInput,
  signal: AbortSignal,
): Promise<void> {
  const { store, buffer, clock } = context;
  const { attempt, dynamicToolNames, modelConfigId } = await readFenced(
    store,
    input,
    signal,
    async (snapshot) => ({
      attempt: snapshot.row.generationAttempt,
      dynamicToolNames: snapshot.row.dynamicTools.map((declared) => declared.name),
      modelConfigId: snapshot.row.lastModelConfigId,
    }),
  );
  // After the lock, not in it (the store is not called inside its own callbacks). A history
  // that changed in between makes the fenced commit below refuse, as any later change would.
  const history = await store.getPromptHistory(input.chatId);
  const key = {
    chatId: input.chatId,
    historyVersion: input.historyVersion,
    generationAttempt: attempt,
  };
  let parts: readonly StoredPart[] | undefined;
  try {
    buffer.getParts(key); // throws when this replica never had the episode
    buffer.closeEpisode(key);
    parts = buffer.getParts(key);
  } catch (error) {
    if (!ChatdError.isInstance(error, 'EPISODE_NOT_FOUND')) throw error;
  }
  // Not in this replica's buffer: the attempt ran on a replica that crashed (its drafts hold
  // what it streamed), or the interrupt came between attempts (there are none).
  parts ??= await store.readDraft(key);
  const committedCalls = findOutstandingToolCalls(
    history.filter((message) => !message.compressed),
    { dynamicToolNames },
  ).filter((call) => call.dynamic !== true && !dynamicToolNames.includes(call.toolName));
  const partials = recoverInterruptedOutput(parts, {
    committedCalls,
    dynamicToolNames,
    interruptedAt: new Date(clock.now()).toISOString(),
    ...(modelConfigId === null ? {} : { modelConfigId }),
  });
  await updateFenced(store, input, signal, (chat) =>
    chat.finishInterruption(partials, { release: true }),
  );
}
