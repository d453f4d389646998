import { InvalidArgumentError } from '@chatd/core';
import type { ModelResolver, ResolvedModel } from './model-resolver.js';

/**
 * A {@link ModelResolver} over a fixed map of model configurations, for apps whose models are
 * known at start-up.
 *
 * @example
 * ```ts
 * const models = staticModels(
 *   { fast: { model: openai('gpt-5-mini'), contextLimitTokens: 400_000 } },
 *   { defaultModelConfigId: 'fast' },
 * );
 * ```
 * @throws InvalidArgumentError `INVALID_ARGUMENT` when `defaultModelConfigId` is not in the map.
 */
export function staticModels(
  configs: Readonly<Record<string, ResolvedModel>>,
  { defaultModelConfigId }: { defaultModelConfigId?: string } = {},
): ModelResolver {
  const known = new Map(Object.entries(configs));
  if (defaultModelConfigId !== undefined && !known.has(defaultModelConfigId)) {
    throw new InvalidArgumentError(
      'defaultModelConfigId',
      `must name one of the configurations (${[...known.keys()].join(', ')}), got "${defaultModelConfigId}"`,
    );
  }
  return {
    ...(defaultModelConfigId === undefined ? {} : { defaultModelConfigId }),
    has: (modelConfigId) => known.has(modelConfigId),
    resolve: (modelConfigId) => {
      const config = known.get(modelConfigId);
      if (config === undefined) throw new Error(`unknown model configuration "${modelConfigId}"`);
      return config;
    },
  };
}
