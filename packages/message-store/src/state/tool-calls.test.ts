import type { StoredChatMessagePart } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import type { ToolCallHistoryMessage } from '../queries/messages.js';
import { buildCancellationMessages, findOutstandingToolCalls } from './tool-calls.js';

let nextId = 1;
function message(
  role: ToolCallHistoryMessage['role'],
  parts: StoredChatMessagePart[],
): ToolCallHistoryMessage {
  return { id: nextId++, role, content: { version: 1, parts } };
}
function call(id: string, extra: Record<string, unknown> = {}): StoredChatMessagePart {
  return { type: 'tool-call', toolCallId: id, toolName: `tool-${id}`, input: {}, ...extra };
}
function result(id: string, extra: Record<string, unknown> = {}): StoredChatMessagePart {
  return { type: 'tool-result', toolCallId: id, toolName: `tool-${id}`, output: 'ok', ...extra };
}
const ids = (calls: { toolCallId: string }[]) => calls.map((c) => c.toolCallId);

describe('findOutstandingToolCalls', () => {
  it('returns nothing when there is no assistant message', () => {
    expect(findOutstandingToolCalls([message('user', [{ type: 'text', text: 'hi' }])])).toEqual([]);
  });

  it('returns the calls of the last assistant message without a later tool result', () => {
    const history = [
      message('user', [{ type: 'text', text: 'go' }]),
      message('assistant', [call('a'), call('b'), call('c')]),
      message('tool', [result('b')]),
    ];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['a', 'c']);
  });

  it('looks only at the last assistant message', () => {
    const history = [
      message('assistant', [call('old')]),
      message('user', [{ type: 'text', text: 'next' }]),
      message('assistant', [call('new')]),
    ];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['new']);
  });

  it('counts results inside the assistant message as answers', () => {
    const history = [message('assistant', [call('a'), result('a'), call('b')])];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['b']);
  });

  it('ignores tool results in messages before the assistant message', () => {
    const history = [message('tool', [result('a')]), message('assistant', [call('a')])];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['a']);
  });

  it('never returns provider-executed calls', () => {
    const history = [message('assistant', [call('p', { providerExecuted: true }), call('l')])];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['l']);
  });

  it('in dynamic-only mode returns calls named in the declared dynamic tools', () => {
    const history = [message('assistant', [call('a'), call('b')])];
    const calls = findOutstandingToolCalls(history, {
      dynamicOnly: true,
      dynamicToolNames: ['tool-b'],
    });
    expect(ids(calls)).toEqual(['b']);
  });

  it('in dynamic-only mode also returns calls flagged dynamic', () => {
    const history = [message('assistant', [call('a', { dynamic: true }), call('b')])];
    expect(ids(findOutstandingToolCalls(history, { dynamicOnly: true }))).toEqual(['a']);
  });

  it('ignores unknown part types from newer versions', () => {
    const history = [message('assistant', [{ type: 'future-part', x: 1 }, call('a')])];
    expect(ids(findOutstandingToolCalls(history))).toEqual(['a']);
  });
});

describe('buildCancellationMessages', () => {
  it('builds one error tool message per call with the reason as output', () => {
    const history = [message('assistant', [call('a'), call('b', { dynamic: true })])];
    const messages = buildCancellationMessages(findOutstandingToolCalls(history), 'stop', 'm1');
    expect(messages).toEqual([
      {
        role: 'tool',
        visibility: 'both',
        modelConfigId: 'm1',
        content: {
          version: 1,
          parts: [
            {
              type: 'tool-result',
              toolCallId: 'a',
              toolName: 'tool-a',
              output: 'stop',
              isError: true,
            },
          ],
        },
      },
      {
        role: 'tool',
        visibility: 'both',
        modelConfigId: 'm1',
        content: {
          version: 1,
          parts: [
            {
              type: 'tool-result',
              toolCallId: 'b',
              toolName: 'tool-b',
              output: 'stop',
              isError: true,
              dynamic: true,
            },
          ],
        },
      },
    ]);
  });

  it('answers every call it cancels', () => {
    const history = [message('assistant', [call('a'), call('b')])];
    const cancellations = buildCancellationMessages(findOutstandingToolCalls(history), 'x', 'm');
    const after = [...history, ...cancellations.map((m) => message(m.role, m.content.parts))];
    expect(findOutstandingToolCalls(after)).toEqual([]);
  });
});
