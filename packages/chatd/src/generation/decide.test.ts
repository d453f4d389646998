import type { ChatMessagePart } from '@chatd/core';
import type { ChatMessageRow } from '@chatd/message-store';
import { describe, expect, it } from 'vitest';
import { type DecisionInput, decide } from './decide.js';

let nextId = 1;
function message(
  role: ChatMessageRow['role'],
  parts: ChatMessagePart[],
  extra: Partial<ChatMessageRow> = {},
): ChatMessageRow {
  return {
    id: nextId++,
    chatId: 'chat',
    role,
    content: { version: 1, parts },
    visibility: 'both',
    inputTokens: null,
    outputTokens: null,
    totalTokens: null,
    reasoningTokens: null,
    cacheReadTokens: null,
    cacheWriteTokens: null,
    contextLimit: null,
    costMicros: null,
    runtimeMs: null,
    createdBy: null,
    modelConfigId: null,
    reasoningEffort: null,
    compressed: false,
    deleted: false,
    revision: 1,
    createdAt: new Date(0),
    ...extra,
  } as ChatMessageRow;
}

const user = (text = 'hi') => message('user', [{ type: 'text', text }]);
const assistantText = (text = 'hello', extra: Partial<ChatMessageRow> = {}) =>
  message('assistant', [{ type: 'text', text }], extra);
const call = (toolCallId: string, toolName: string): ChatMessagePart => ({
  type: 'tool-call',
  toolCallId,
  toolName,
  input: {},
});
const result = (toolCallId: string, toolName: string, isError = false) =>
  message('tool', [{ type: 'tool-result', toolCallId, toolName, output: 'ok', isError }]);

function input(history: ChatMessageRow[], overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    history,
    dynamicToolNames: [],
    exclusiveToolNames: [],
    stopAfterToolNames: [],
    compactionRequested: false,
    maxSteps: 1200,
    contextLimitTokens: undefined,
    compactionThresholdPercent: 70,
    ...overrides,
  };
}

describe('decide', () => {
  it('generates after a user message', () => {
    expect(decide(input([user()]))).toEqual({ action: 'generate' });
  });

  it('finishes when the last message is an assistant message without tool calls', () => {
    expect(decide(input([user(), assistantText()]))).toEqual({
      action: 'finish',
      reason: 'complete',
    });
  });

  it('runs unanswered server-side calls before anything else, and generates once answered', () => {
    const step = message('assistant', [call('a', 'search'), call('b', 'clientPick')]);
    const history = [user(), step];
    expect(decide(input(history, { dynamicToolNames: ['clientPick'] }))).toMatchObject({
      action: 'execute-tools',
      calls: [{ toolCallId: 'a' }],
    });
    expect(
      decide(input([...history, result('a', 'search')], { dynamicToolNames: ['clientPick'] })),
    ).toEqual({ action: 'requires-action' });
    expect(
      decide(
        input([...history, result('a', 'search'), result('b', 'clientPick')], {
          dynamicToolNames: ['clientPick'],
        }),
      ),
    ).toEqual({ action: 'generate' });
  });

  it('puts client calls into the batch when an exclusive tool is called, so the policy refuses them all', () => {
    const history = [user(), message('assistant', [call('a', 'deploy'), call('b', 'clientPick')])];
    expect(
      decide(input(history, { dynamicToolNames: ['clientPick'], exclusiveToolNames: ['deploy'] })),
    ).toMatchObject({ action: 'execute-tools', calls: [{ toolCallId: 'a' }, { toolCallId: 'b' }] });
  });

  it('waits for the client when only client-side calls are open', () => {
    const history = [user(), message('assistant', [call('b', 'clientPick')])];
    expect(decide(input(history, { dynamicToolNames: ['clientPick'] }))).toEqual({
      action: 'requires-action',
    });
  });

  it('ignores provider-executed calls', () => {
    const history = [
      user(),
      message('assistant', [
        { type: 'tool-call', toolCallId: 'w', toolName: 'web', input: {}, providerExecuted: true },
        { type: 'text', text: 'found it' },
      ]),
    ];
    expect(decide(input(history))).toEqual({ action: 'finish', reason: 'complete' });
  });

  it('a manual compaction beats "history complete", but only with something new to compact', () => {
    const history = [user(), assistantText()];
    expect(decide(input(history, { compactionRequested: true }))).toEqual({
      action: 'compact',
      source: 'manual',
    });
    const summary = message('user', [{ type: 'text', text: 'summary' }], { compressed: true });
    expect(decide(input([...history, summary], { compactionRequested: true }))).toEqual({
      action: 'finish',
      reason: 'complete',
    });
  });

  it('ends the turn after a stop-after tool succeeded since the latest user message', () => {
    const history = [
      user(),
      message('assistant', [call('a', 'submitPlan')]),
      result('a', 'submitPlan'),
    ];
    expect(decide(input(history, { stopAfterToolNames: ['submitPlan'] }))).toEqual({
      action: 'finish',
      reason: 'stop-after-tool',
    });
    const failed = [
      user(),
      message('assistant', [call('a', 'submitPlan')]),
      result('a', 'submitPlan', true),
    ];
    expect(decide(input(failed, { stopAfterToolNames: ['submitPlan'] }))).toEqual({
      action: 'generate',
    });
  });

  it('ends the turn after maxSteps assistant steps since the latest user message', () => {
    const steps = [1, 2, 3].flatMap((index) => [
      message('assistant', [call(`c${index}`, 'search')]),
      result(`c${index}`, 'search'),
    ]);
    expect(decide(input([user(), ...steps], { maxSteps: 3 }))).toEqual({
      action: 'finish',
      reason: 'max-steps',
    });
    expect(decide(input([user(), ...steps], { maxSteps: 4 }))).toEqual({ action: 'generate' });
  });

  describe('automatic compaction', () => {
    const overLimit = { inputTokens: 800 };
    const tooling = (extra: Partial<ChatMessageRow>) => [
      message('assistant', [call(`t${nextId}`, 'search')], extra),
    ];

    it('compacts when the latest step is over the threshold and nothing was compacted yet', () => {
      const [step] = tooling(overLimit) as [ChatMessageRow];
      const history = [
        user(),
        step,
        result((step.content.parts[0] as { toolCallId: string }).toolCallId, 'search'),
      ];
      expect(decide(input(history, { contextLimitTokens: 1000 }))).toEqual({
        action: 'compact',
        source: 'automatic',
      });
      expect(
        decide(input(history, { contextLimitTokens: 1000, compactionThresholdPercent: 100 })),
      ).toEqual({ action: 'generate' });
      expect(decide(input(history))).toEqual({ action: 'generate' });
    });

    it('generates right after a compaction, whose older usage no longer counts', () => {
      const [step] = tooling(overLimit) as [ChatMessageRow];
      const callId = (step.content.parts[0] as { toolCallId: string }).toolCallId;
      const summary = message('user', [{ type: 'text', text: 'summary' }], { compressed: true });
      expect(
        decide(
          input([user(), step, result(callId, 'search'), summary], { contextLimitTokens: 1000 }),
        ),
      ).toEqual({ action: 'generate' });
    });

    it('fails when even the first step after a compaction is over the threshold', () => {
      const summary = message('user', [{ type: 'text', text: 'summary' }], { compressed: true });
      const [step] = tooling(overLimit) as [ChatMessageRow];
      const callId = (step.content.parts[0] as { toolCallId: string }).toolCallId;
      expect(
        decide(
          input([user(), summary, step, result(callId, 'search')], { contextLimitTokens: 1000 }),
        ),
      ).toMatchObject({ action: 'fail' });
    });
  });
});
