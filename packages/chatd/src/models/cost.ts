import type { ChatMessageUsage } from '@chatd/core';
import type { LanguageModelUsage } from 'ai';
import type { ModelPricing } from './model-resolver.js';

/** Input tokens split the way they are priced: not cached, read from cache, written to it. */
function inputSplit(usage: LanguageModelUsage) {
  const cacheRead = usage.inputTokenDetails?.cacheReadTokens ?? 0;
  const cacheWrite = usage.inputTokenDetails?.cacheWriteTokens ?? 0;
  const uncached =
    usage.inputTokenDetails?.noCacheTokens ??
    (usage.inputTokens === undefined
      ? undefined
      : Math.max(0, usage.inputTokens - cacheRead - cacheWrite));
  return { uncached, cacheRead, cacheWrite };
}

/**
 * What a step cost in micro-dollars, rounded up; `undefined` when no price applies to its
 * usage. Output tokens already include reasoning tokens (providers count them as output), so
 * reasoning is not priced twice.
 */
export function costMicros(usage: LanguageModelUsage, pricing: ModelPricing): number | undefined {
  const { uncached, cacheRead, cacheWrite } = inputSplit(usage);
  const priced: Array<[number | undefined, number | undefined]> = [
    [uncached, pricing.input],
    [cacheRead, pricing.cacheRead],
    [cacheWrite, pricing.cacheWrite],
    [usage.outputTokens, pricing.output],
  ];
  let total = 0;
  let any = false;
  for (const [tokens, pricePerMillion] of priced) {
    if (tokens === undefined || pricePerMillion === undefined) continue;
    any = true;
    total += (tokens * pricePerMillion) / 1_000_000;
  }
  return any ? Math.ceil(total) : undefined;
}

/**
 * A step's usage as stored on its message. `inputTokens` counts input not read from or written
 * to the provider's cache; the cache counts are separate, so their sum is the prompt's size
 * (what compaction compares with the context window).
 */
export function toMessageUsage(
  usage: LanguageModelUsage,
  contextLimitTokens: number | undefined,
): ChatMessageUsage {
  const { uncached, cacheRead, cacheWrite } = inputSplit(usage);
  const result: ChatMessageUsage = {};
  const set = (key: keyof ChatMessageUsage, value: number | undefined) => {
    if (value !== undefined && Number.isSafeInteger(value) && value >= 0) result[key] = value;
  };
  set('inputTokens', uncached);
  set('outputTokens', usage.outputTokens);
  set('totalTokens', usage.totalTokens);
  set('reasoningTokens', usage.outputTokenDetails?.reasoningTokens);
  if (cacheRead > 0) set('cacheReadTokens', cacheRead);
  if (cacheWrite > 0) set('cacheCreationTokens', cacheWrite);
  set('contextLimit', contextLimitTokens);
  return result;
}
