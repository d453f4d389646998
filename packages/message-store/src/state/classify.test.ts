import { CHAT_STATUSES, type ChatStatus } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { classifyExecutionState, type ExecutionState, isRunnable } from './classify.js';

describe('classifyExecutionState', () => {
  it('classifies a missing row as N', () => {
    expect(classifyExecutionState(undefined)).toBe('N');
  });

  // Every (status, archived, queue) combination, spelt out so a change to the classifier shows.
  const expected: Record<
    ChatStatus,
    [ExecutionState, ExecutionState, ExecutionState, ExecutionState]
  > = {
    // [unarchived empty, unarchived queued, archived empty, archived queued]
    waiting: ['W', 'Invalid', 'XW', 'Invalid'],
    error: ['E0', 'E1', 'XE0', 'XE1'],
    running: ['R0', 'R1', 'Invalid', 'Invalid'],
    interrupting: ['I0', 'I1', 'Invalid', 'Invalid'],
    'requires-action': ['A0', 'A1', 'Invalid', 'Invalid'],
  };
  for (const status of CHAT_STATUSES) {
    const [empty, queued, archivedEmpty, archivedQueued] = expected[status];
    it(`classifies ${status} by archived flag and queue`, () => {
      expect(classifyExecutionState({ status, archived: false, queuedCount: 0 })).toBe(empty);
      expect(classifyExecutionState({ status, archived: false, queuedCount: 3 })).toBe(queued);
      expect(classifyExecutionState({ status, archived: true, queuedCount: 0 })).toBe(
        archivedEmpty,
      );
      expect(classifyExecutionState({ status, archived: true, queuedCount: 1 })).toBe(
        archivedQueued,
      );
    });
  }

  it('classifies a status from a newer version as Invalid', () => {
    const status = 'paused' as ChatStatus;
    expect(classifyExecutionState({ status, archived: false, queuedCount: 0 })).toBe('Invalid');
  });
});

describe('isRunnable', () => {
  it('is true exactly for running, interrupting and requires-action states', () => {
    const runnable = ['R0', 'R1', 'I0', 'I1', 'A0', 'A1'];
    for (const state of ['N', 'W', 'E0', 'E1', 'XW', 'XE0', 'XE1', 'Invalid', ...runnable]) {
      expect(isRunnable(state as ExecutionState), state).toBe(runnable.includes(state));
    }
  });
});
