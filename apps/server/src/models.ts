import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { type ModelResolver, type ResolvedModel, staticModels } from '@chatd/chatd';
import type { ServerConfig } from './config.js';
import { DEMO_MODEL_ID, demoModel } from './demo-model.js';

/** A model configuration as `GET /v1/models` lists it. */
export interface ModelInfo {
  /** The id chats use (`modelConfigId`). */
  id: string;
  /** The provider behind it. */
  provider: string;
  /** A human label. */
  label: string;
  /** Whether it is the built-in offline demo model. */
  demo: boolean;
}

/** The models of a configuration: the demo model first, then each provider's. */
export function configuredModels(config: ServerConfig): {
  resolver: ModelResolver;
  list: ModelInfo[];
} {
  const configs: Record<string, ResolvedModel> = {
    [DEMO_MODEL_ID]: {
      model: demoModel({ delayMs: config.demoDelayMs }),
      contextLimitTokens: 32_000,
    },
  };
  const list: ModelInfo[] = [
    {
      id: DEMO_MODEL_ID,
      provider: 'chatd-demo',
      label: 'Demo model (offline, canned replies; no API key needed)',
      demo: true,
    },
  ];
  for (const endpoint of config.providers) {
    const provider = createOpenAICompatible({
      name: endpoint.name,
      baseURL: endpoint.baseUrl,
      ...(endpoint.apiKey === undefined ? {} : { apiKey: endpoint.apiKey }),
    });
    for (const model of endpoint.models) {
      const id = `${endpoint.name}/${model}`;
      configs[id] = { model: provider.chatModel(model) };
      list.push({ id, provider: endpoint.name, label: model, demo: false });
    }
  }
  // A real model is the default when one is configured.
  const defaultModelConfigId = list.find((model) => !model.demo)?.id ?? DEMO_MODEL_ID;
  return { resolver: staticModels(configs, { defaultModelConfigId }), list };
}
