import { expect, it } from 'vitest';
import { describeEachDatabase } from '../test-support/databases.js';
import {
  anError,
  assistantText,
  type ChatInState,
  chatIn,
  fingerprint,
  openMachine,
  text,
} from '../test-support/state-fixtures.js';
import type { ChatTransitions } from './chat-transitions.js';
import { EXECUTION_STATES, type ExecutionState } from './classify.js';
import { allowedOutputs, type TransitionName } from './matrix.js';

/** Every transition callable inside an update, with inputs valid for its listed states. */
const CASES: Record<
  string,
  [TransitionName, (chat: ChatTransitions, ids: ChatInState) => Promise<unknown>]
> = {
  'sendMessage (queue)': [
    'sendMessage',
    (chat) => chat.sendMessage({ role: 'user', content: text('new'), createdBy: 'u' }),
  ],
  'sendMessage (interrupt)': [
    'sendMessage',
    (chat) =>
      chat.sendMessage({ role: 'user', content: text('new'), createdBy: 'u', busy: 'interrupt' }),
  ],
  editMessage: [
    'editMessage',
    (chat, ids) =>
      chat.editMessage({ messageId: ids.userMessageId, content: text('edited'), createdBy: 'u' }),
  ],
  deleteQueued: ['deleteQueued', (chat, ids) => chat.deleteQueued(ids.queuedId ?? 1)],
  promoteQueued: ['promoteQueued', (chat, ids) => chat.promoteQueued(ids.queuedId ?? 1)],
  interrupt: ['interrupt', (chat) => chat.interrupt()],
  setArchived: [
    'setArchived',
    async (chat) => chat.setArchived(!(await chat.snapshot()).row.archived),
  ],
  requestCompaction: ['requestCompaction', (chat) => chat.requestCompaction()],
  acquire: ['acquire', (chat) => chat.acquire({ workerId: 'w2', runnerId: 'r2' })],
  abandon: ['abandon', (chat) => chat.abandon()],
  recordGenerationAttempt: ['recordGenerationAttempt', (chat) => chat.recordGenerationAttempt()],
  recordRetryState: ['recordRetryState', (chat) => chat.recordRetryState({ attempt: 1 })],
  commitStep: ['commitStep', (chat) => chat.commitStep({ messages: [assistantText('step')] })],
  enterRequiresAction: ['enterRequiresAction', (chat) => chat.enterRequiresAction()],
  completeRequiresAction: [
    'completeRequiresAction',
    (chat) =>
      chat.completeRequiresAction({
        createdBy: 'u',
        results: [{ toolCallId: 'd1', output: { ok: true } }],
      }),
  ],
  cancelRequiresAction: ['cancelRequiresAction', (chat) => chat.cancelRequiresAction()],
  finishInterruption: ['finishInterruption', (chat) => chat.finishInterruption([])],
  finishTurn: ['finishTurn', (chat) => chat.finishTurn()],
  finishError: ['finishError', (chat) => chat.finishError(anError)],
  reconcileInvalidState: ['reconcileInvalidState', (chat) => chat.reconcileInvalidState()],
};

function outputsOf(state: ExecutionState, transition: TransitionName): readonly ExecutionState[] {
  return allowedOutputs(state, transition) ?? [];
}

describeEachDatabase('transition matrix on the store', (database) => {
  // One test per state (one store for its cases, to keep the suite fast); each pair runs on a
  // fresh chat and every assertion names the pair.
  for (const state of EXECUTION_STATES) {
    if (state === 'N') continue;
    it(`${state}: listed transitions land in listed outputs; the rest are rejected and write nothing`, async () => {
      const machine = await openMachine(database);
      for (const [name, [transition, run]] of Object.entries(CASES)) {
        const pair = `${state} × ${name}`;
        const outputs = outputsOf(state, transition);
        const ids = await chatIn(machine, database, state);
        if (outputs.length > 0) {
          const after = await machine.update(ids.chatId, async (chat) => {
            await run(chat, ids);
            return (await chat.snapshot()).state;
          });
          expect(outputs, pair).toContain(after);
          continue;
        }
        const code = state === 'Invalid' ? 'INVALID_STATE' : 'TRANSITION_NOT_ALLOWED';
        const before = await fingerprint(database, ids.chatId);
        await expect(
          machine.update(ids.chatId, (chat) => run(chat, ids)),
          pair,
        ).rejects.toMatchObject({ code });
        expect(await fingerprint(database, ids.chatId), pair).toBe(before);
        expect(machine.published(), pair).toEqual([]);
      }
    });
  }

  it('N × createChat lands in R0', async () => {
    const machine = await openMachine(database);
    const { chatId } = await machine.create();
    const state = await machine.update(chatId, async (chat) => (await chat.snapshot()).state);
    expect(state).toBe('R0');
  });

  it('N × every other transition is CHAT_NOT_FOUND', async () => {
    const machine = await openMachine(database);
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [, run] of Object.values(CASES)) {
      await expect(
        machine.update(missing, (chat) =>
          run(chat, { chatId: missing, userMessageId: 1, queuedId: 1 }),
        ),
      ).rejects.toMatchObject({ code: 'CHAT_NOT_FOUND' });
    }
    expect(machine.published()).toEqual([]);
  });
});
