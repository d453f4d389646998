import { ChatdError } from '@chatd/core';
import { describe, expect, it } from 'vitest';
import { EXECUTION_STATES, type ExecutionState } from './classify.js';
import { InvalidStateError, TransitionNotAllowedError } from './errors.js';
import { allowedOutputs, assertLandedIn, TRANSITION_NAMES, type TransitionName } from './matrix.js';

// The matrix of spec §2.1(b), transcribed independently of matrix.ts: `transition>out|out`.
const SPEC = `
N: createChat>R0
W: setArchived>XW sendMessage>R0 editMessage>R0 requestCompaction>R0
E0: setArchived>XE0 sendMessage>R0 editMessage>R0
E1: setArchived>XE1 sendMessage>R1 editMessage>R0 deleteQueued>E0|E1 promoteQueued>R0|R1
R0: sendMessage>R1|I1 editMessage>R0 interrupt>I0 recordGenerationAttempt>R0 recordRetryState>R0 commitStep>R0 enterRequiresAction>A0 finishTurn>W finishError>E0
R1: sendMessage>R1|I1 editMessage>R0 deleteQueued>R0|R1 promoteQueued>I1 interrupt>I1 recordGenerationAttempt>R1 recordRetryState>R1 commitStep>R1 enterRequiresAction>A1 finishTurn>R0|R1 finishError>E1
I0: sendMessage>I1 editMessage>R0 finishInterruption>W
I1: sendMessage>I1 editMessage>R0 deleteQueued>I0|I1 promoteQueued>I1 finishInterruption>R0|R1
A0: sendMessage>A1|R1 editMessage>R0 interrupt>R0 completeRequiresAction>R0 cancelRequiresAction>R0
A1: sendMessage>A1|R1 editMessage>R0 deleteQueued>A0|A1 promoteQueued>R0|R1 interrupt>R1 completeRequiresAction>R1 cancelRequiresAction>R1
XW: setArchived>W
XE0: setArchived>E0
XE1: setArchived>E1
Invalid: reconcileInvalidState>E0|E1
`;

function parseSpec(): Map<string, readonly string[]> {
  const table = new Map<string, readonly string[]>();
  for (const line of SPEC.trim().split('\n')) {
    const [state, rest = ''] = line.split(': ');
    for (const entry of rest.split(' ')) {
      const [transition, outputs = ''] = entry.split('>');
      table.set(`${state}/${transition}`, outputs.split('|'));
    }
  }
  return table;
}

const spec = parseSpec();

describe('transition matrix', () => {
  for (const state of EXECUTION_STATES) {
    for (const transition of TRANSITION_NAMES) {
      const listed = spec.get(`${state}/${transition}`);
      const ownership = transition === 'acquire' || transition === 'abandon';
      if (ownership && state !== 'N') {
        it(`${state} × ${transition} is ownership-only and stays in ${state}`, () => {
          expect(allowedOutputs(state, transition)).toEqual([state]);
        });
      } else if (listed !== undefined) {
        it(`${state} × ${transition} lands only in ${listed.join('|')}`, () => {
          expect([...allowedOutputs(state, transition)].sort()).toEqual([...listed].sort());
        });
      } else if (state === 'Invalid') {
        it(`${state} × ${transition} is rejected with INVALID_STATE`, () => {
          const error = catchError(() => allowedOutputs(state, transition));
          expect(error).toBeInstanceOf(InvalidStateError);
          expect(ChatdError.isInstance(error, 'INVALID_STATE')).toBe(true);
          expect((error as InvalidStateError).transition).toBe(transition);
        });
      } else {
        it(`${state} × ${transition} is rejected with TRANSITION_NOT_ALLOWED`, () => {
          const error = catchError(() => allowedOutputs(state, transition));
          expect(error).toBeInstanceOf(TransitionNotAllowedError);
          expect(ChatdError.isInstance(error, 'TRANSITION_NOT_ALLOWED')).toBe(true);
          expect((error as TransitionNotAllowedError).state).toBe(state);
          expect((error as TransitionNotAllowedError).transition).toBe(transition);
          expect((error as Error).message).toContain(state);
          expect((error as Error).message).toContain(transition);
        });
      }
    }
  }

  it('lists no transition the spec does not', () => {
    let allowed = 0;
    for (const state of EXECUTION_STATES) {
      for (const transition of TRANSITION_NAMES) {
        if (transition === 'acquire' || transition === 'abandon') continue;
        try {
          allowedOutputs(state, transition);
          allowed++;
        } catch {}
      }
    }
    expect(allowed).toBe(spec.size);
  });
});

describe('assertLandedIn', () => {
  it('accepts a listed output', () => {
    expect(() => assertLandedIn('R1', 'finishTurn', 'R0')).not.toThrow();
  });

  it('rejects an unlisted output naming the state it would land in', () => {
    const error = catchError(() => assertLandedIn('R0', 'finishTurn', 'E0' as ExecutionState));
    expect(ChatdError.isInstance(error, 'TRANSITION_NOT_ALLOWED')).toBe(true);
    expect((error as Error).message).toContain('land in E0');
  });

  it('rejects ownership transitions on a missing chat', () => {
    const error = catchError(() => allowedOutputs('N', 'acquire' as TransitionName));
    expect(ChatdError.isInstance(error, 'TRANSITION_NOT_ALLOWED')).toBe(true);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
