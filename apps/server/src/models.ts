import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { ModelPricing, ModelResolver, ResolvedModel } from '@chatd/chatd';
import type { ChannelSubscription, PubSub } from '@chatd/pubsub';
import type { EndpointModel, ProviderEndpoint, ServerConfig } from './config.js';
import type { ServerDatabase } from './database.js';
import { DEMO_MODEL_ID, demoModel } from './demo-model.js';
import { HttpError } from './errors.js';
import type { SecretBox } from './secrets.js';

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
  /** Whether a new chat that names no model gets this one. */
  default: boolean;
}

/** The APIs a stored model configuration can speak. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

/** A model configuration an admin stored, as the admin API shows it (never its key). */
export interface StoredModelConfig {
  id: string;
  provider: (typeof MODEL_PROVIDERS)[number];
  /** The provider's model id, e.g. `gpt-4o-mini`. */
  model: string;
  label: string;
  /** The API's base URL; required for `openai-compatible`. */
  baseUrl: string | null;
  /** Whether an API key is stored (the key itself is write-only). */
  hasApiKey: boolean;
  contextLimitTokens: number | null;
  maxOutputTokens: number | null;
  /** Micro-dollars per million tokens. */
  pricing: ModelPricing | null;
  createdAt: string;
}

/** What an admin sends to store a model configuration. */
export interface NewModelConfig {
  id: string;
  provider: StoredModelConfig['provider'];
  model: string;
  label?: string;
  baseUrl?: string;
  apiKey?: string;
  contextLimitTokens?: number;
  maxOutputTokens?: number;
  pricing?: ModelPricing;
}

interface ModelConfigRow {
  id: string;
  provider: StoredModelConfig['provider'];
  model: string;
  label: string;
  base_url: string | null;
  api_key_sealed: string | null;
  context_limit_tokens: number | null;
  max_output_tokens: number | null;
  pricing: ModelPricing | null;
  created_at: Date | string;
}

function buildModel(
  provider: StoredModelConfig['provider'],
  model: string,
  baseUrl: string | null | undefined,
  apiKey: string | undefined,
) {
  if (provider === 'anthropic') {
    return createAnthropic({
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(baseUrl == null ? {} : { baseURL: baseUrl }),
    })(model);
  }
  return createOpenAICompatible({
    name: provider,
    baseURL: baseUrl ?? 'https://api.openai.com/v1',
    ...(apiKey === undefined ? {} : { apiKey }),
  }).chatModel(model);
}

function fromEndpoint(
  endpoint: ProviderEndpoint,
  { id, contextLimitTokens, maxOutputTokens }: EndpointModel,
): ResolvedModel {
  const provider = endpoint.api === 'anthropic' ? 'anthropic' : 'openai-compatible';
  return {
    model: buildModel(provider, id, endpoint.baseUrl, endpoint.apiKey),
    ...(contextLimitTokens === undefined ? {} : { contextLimitTokens }),
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
  };
}

const toStored = (row: ModelConfigRow): StoredModelConfig => ({
  id: row.id,
  provider: row.provider,
  model: row.model,
  label: row.label,
  baseUrl: row.base_url,
  hasApiKey: row.api_key_sealed !== null,
  contextLimitTokens: row.context_limit_tokens,
  maxOutputTokens: row.max_output_tokens,
  pricing: row.pricing,
  createdAt: new Date(row.created_at).toISOString(),
});

/** Where a replica announces that it stored or deleted a model configuration. */
const MODEL_CONFIGS_CHANNEL = 'server:model-configs';

/**
 * Every model configuration of the server: the demo model, the ones the environment
 * configures (provider keys), and the ones admins store in the database (their keys sealed
 * with the server's secret key). It is the engine's `ModelResolver`. Whether a stored id
 * exists is read from the database, so a configuration another replica added works at once
 * and one it deleted is refused at once; the list kept here (for the default model) is read
 * again whenever any replica stores or deletes one.
 */
export class ModelCatalog implements ModelResolver {
  readonly #db: ServerDatabase;
  readonly #box: SecretBox;
  readonly #pubsub: PubSub;
  readonly #changes: ChannelSubscription;
  readonly #fixed = new Map<
    string,
    { info: Omit<ModelInfo, 'default'>; resolved: ResolvedModel }
  >();
  #stored = new Map<string, ModelConfigRow>();

  constructor(config: ServerConfig, db: ServerDatabase, box: SecretBox, pubsub: PubSub) {
    this.#db = db;
    this.#box = box;
    this.#pubsub = pubsub;
    this.#changes = pubsub.subscribe(MODEL_CONFIGS_CHANNEL);
    void this.#followChanges();
    this.#fixed.set(DEMO_MODEL_ID, {
      info: {
        id: DEMO_MODEL_ID,
        provider: 'chatd-demo',
        label: 'Demo model (offline, canned replies; no API key needed)',
        demo: true,
      },
      resolved: { model: demoModel({ delayMs: config.demoDelayMs }), contextLimitTokens: 32_000 },
    });
    for (const endpoint of config.providers) {
      for (const model of endpoint.models) {
        const id = `${endpoint.name}/${model.id}`;
        this.#fixed.set(id, {
          info: { id, provider: endpoint.name, label: model.id, demo: false },
          resolved: fromEndpoint(endpoint, model),
        });
      }
    }
  }

  /** A real model when one is configured (environment first, then stored), else the demo. */
  get defaultModelConfigId(): string {
    const real = [...this.#fixed.values()].find(({ info }) => !info.demo);
    return real?.info.id ?? this.#stored.keys().next().value ?? DEMO_MODEL_ID;
  }

  /** Resolves once changes made on other replicas are followed (after the subscription listens). */
  get ready(): Promise<void> {
    return this.#changes.ready;
  }

  /** Stops following the changes other replicas make. */
  close(): void {
    this.#changes.cancel();
  }

  /** Reads the stored configurations again. */
  async refresh(): Promise<void> {
    const rows = await this.#db.query<ModelConfigRow>(
      'SELECT * FROM server_model_configs ORDER BY created_at, id',
    );
    this.#stored = new Map(rows.map((row) => [row.id, row]));
  }

  /** What `GET /v1/models` shows. */
  async list(): Promise<ModelInfo[]> {
    await this.refresh();
    const fallback = this.defaultModelConfigId;
    return [
      ...[...this.#fixed.values()].map(({ info }) => info),
      ...[...this.#stored.values()].map((row) => ({
        id: row.id,
        provider: row.provider,
        label: row.label,
        demo: false,
      })),
    ].map((info) => ({ ...info, default: info.id === fallback }));
  }

  /** The stored configurations, for admins. */
  async listStored(): Promise<StoredModelConfig[]> {
    await this.refresh();
    return [...this.#stored.values()].map(toStored);
  }

  /**
   * Stores a configuration; the API key is sealed before it is written.
   * @throws HttpError 409 `MODEL_CONFIG_EXISTS` when the id is taken.
   */
  async create(input: NewModelConfig): Promise<StoredModelConfig> {
    if (input.provider === 'openai-compatible' && input.baseUrl === undefined) {
      throw new HttpError(400, 'INVALID_ARGUMENT', 'baseUrl is required for openai-compatible');
    }
    await this.refresh();
    if (this.#fixed.has(input.id) || this.#stored.has(input.id)) {
      throw new HttpError(409, 'MODEL_CONFIG_EXISTS', `A model configuration ${input.id} exists`);
    }
    const [row] = await this.#db.query<ModelConfigRow>(
      `INSERT INTO server_model_configs
         (id, provider, model, label, base_url, api_key_sealed, context_limit_tokens,
          max_output_tokens, pricing)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO NOTHING
       RETURNING *`,
      [
        input.id,
        input.provider,
        input.model,
        input.label ?? input.model,
        input.baseUrl ?? null,
        input.apiKey === undefined ? null : this.#box.seal(input.apiKey),
        input.contextLimitTokens ?? null,
        input.maxOutputTokens ?? null,
        input.pricing === undefined ? null : JSON.stringify(input.pricing),
      ],
    );
    if (row === undefined) {
      throw new HttpError(409, 'MODEL_CONFIG_EXISTS', `A model configuration ${input.id} exists`);
    }
    this.#stored.set(row.id, row);
    this.#announceChange();
    return toStored(row);
  }

  /** Deletes a stored configuration; chats that used it fail their next turn visibly. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.#db.query(
      'DELETE FROM server_model_configs WHERE id = $1 RETURNING id',
      [id],
    );
    this.#stored.delete(id);
    if (rows.length > 0) this.#announceChange();
    return rows.length > 0;
  }

  async has(modelConfigId: string): Promise<boolean> {
    if (this.#fixed.has(modelConfigId)) return true;
    // Not from the list kept here: another replica may have deleted it a moment ago.
    await this.refresh();
    return this.#stored.has(modelConfigId);
  }

  #announceChange(): void {
    this.#pubsub.publish(MODEL_CONFIGS_CHANNEL, {});
  }

  /** Reads the list again on every change announced (a lost one comes as a `resync`: the same). */
  async #followChanges(): Promise<void> {
    for await (const _change of this.#changes) {
      // A failed read leaves the list as it was; `list`, `has` and the next change read again.
      await this.refresh().catch(() => {});
    }
  }

  async resolve(modelConfigId: string): Promise<ResolvedModel> {
    const fixed = this.#fixed.get(modelConfigId);
    if (fixed !== undefined) return fixed.resolved;
    // Read per turn: a key or limit an admin changed applies to the next turn.
    const [row] = await this.#db.query<ModelConfigRow>(
      'SELECT * FROM server_model_configs WHERE id = $1',
      [modelConfigId],
    );
    if (row === undefined) throw new Error(`No model configuration ${modelConfigId}`);
    const apiKey = row.api_key_sealed === null ? undefined : this.#box.open(row.api_key_sealed);
    return {
      model: buildModel(row.provider, row.model, row.base_url, apiKey),
      ...(row.context_limit_tokens === null
        ? {}
        : { contextLimitTokens: row.context_limit_tokens }),
      ...(row.max_output_tokens === null ? {} : { maxOutputTokens: row.max_output_tokens }),
      ...(row.pricing === null ? {} : { pricing: row.pricing }),
    };
  }
}
