import type { LanguageModelUsage } from 'ai';
import { describe, expect, it } from 'vitest';
import { costMicros, toMessageUsage } from './cost.js';
import { staticModels } from './static-models.js';

const usage = (overrides: Partial<LanguageModelUsage> = {}): LanguageModelUsage => ({
  inputTokens: 1_000,
  inputTokenDetails: { noCacheTokens: 600, cacheReadTokens: 300, cacheWriteTokens: 100 },
  outputTokens: 500,
  outputTokenDetails: { textTokens: 400, reasoningTokens: 100 },
  totalTokens: 1_500,
  ...overrides,
});

describe('costMicros', () => {
  it('prices each input category apart and output once (reasoning is part of it), rounding up', () => {
    // 600 × 3 + 300 × 0.3 + 100 × 3.75 + 500 × 15 micro-dollars per token / 1e6 per million
    const cost = costMicros(usage(), {
      input: 3_000_000,
      cacheRead: 300_000,
      cacheWrite: 3_750_000,
      output: 15_000_000,
    });
    expect(cost).toBe(Math.ceil(600 * 3 + 300 * 0.3 + 100 * 3.75 + 500 * 15));
  });

  it('is undefined when no price applies', () => {
    expect(costMicros(usage(), {})).toBeUndefined();
  });

  it('rounds a fraction of a micro-dollar up', () => {
    expect(costMicros(usage({ outputTokens: 1 }), { output: 1 })).toBe(1);
  });
});

describe('toMessageUsage', () => {
  it('stores uncached input apart from cache reads and writes, so their sum is the prompt', () => {
    expect(toMessageUsage(usage(), 200_000)).toEqual({
      inputTokens: 600,
      outputTokens: 500,
      totalTokens: 1_500,
      reasoningTokens: 100,
      cacheReadTokens: 300,
      cacheCreationTokens: 100,
      contextLimit: 200_000,
    });
  });
});

describe('staticModels', () => {
  it('knows its configurations and refuses a default it does not have', () => {
    const models = staticModels({ a: { model: {} as never } }, { defaultModelConfigId: 'a' });
    expect(models.has('a')).toBe(true);
    expect(models.has('b')).toBe(false);
    expect(() => staticModels({}, { defaultModelConfigId: 'x' })).toThrow(/defaultModelConfigId/);
  });
});
