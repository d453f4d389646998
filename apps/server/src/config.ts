import { resolve } from 'node:path';
import { InvalidArgumentError } from '@chatd/core';
import { z } from 'zod';

/** A provider endpoint whose models become model configurations. */
export interface ProviderEndpoint {
  /** The provider's name in model config ids (`<name>/<model>`). */
  name: string;
  /** The API the endpoint speaks. */
  api: 'openai-compatible' | 'anthropic';
  /** The API's base URL, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** The API key (never logged or returned). */
  apiKey: string | undefined;
  /** The models to offer. */
  models: EndpointModel[];
}

/** A model an endpoint offers, with the limits its requests must respect. */
export interface EndpointModel {
  /** The provider's model id, e.g. `gpt-4o-mini`. */
  id: string;
  /** The model's context window, for compaction. */
  contextLimitTokens?: number;
  /**
   * The most tokens one answer may have; requests ask for this many. A provider refuses a
   * request asking for more than the model allows (chatd's default is 32,000).
   */
  maxOutputTokens?: number;
}

/**
 * The published limits of the models the provider keys offer. OpenAI refuses `max_tokens` over
 * 16,384 for these models, so chatd's default of 32,000 would fail every request.
 */
const OPENAI_MODELS: EndpointModel[] = [
  { id: 'gpt-4o-mini', contextLimitTokens: 128_000, maxOutputTokens: 16_384 },
  { id: 'gpt-4o', contextLimitTokens: 128_000, maxOutputTokens: 16_384 },
];
const ANTHROPIC_MODELS: EndpointModel[] = [
  { id: 'claude-sonnet-4-5', contextLimitTokens: 200_000, maxOutputTokens: 64_000 },
  { id: 'claude-haiku-4-5', contextLimitTokens: 200_000, maxOutputTokens: 64_000 },
];

/** The server's configuration, read from the environment by {@link loadConfig}. */
export interface ServerConfig {
  /** @default 8787 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** Postgres instead of embedded PGlite. */
  databaseUrl: string | undefined;
  /** Where embedded PGlite keeps its data. @default './.chatd-data' */
  dataDir: string;
  /** On first start, the admin's token instead of a generated one. */
  adminToken: string | undefined;
  /** Encrypts provider keys and MCP secrets at rest; see `loadSecretKey`. */
  secretKey: string | undefined;
  /** OpenAI-compatible endpoints with their models. */
  providers: ProviderEndpoint[];
  /** Whether this replica runs a worker (`CHATD_WORKER=0`: API only). */
  worker: boolean;
  /** Delay between the demo model's words, in ms (a human reading pace by default). */
  demoDelayMs: number;
  /** Mutations per minute per user (`0`: no limit). */
  rateLimitPerMinute: number;
  /** How long a dead replica's chats wait before another replica takes them over, in ms. */
  leaseStaleAfterMs: number;
  /**
   * The model configuration that titles new chats: `undefined` for the chat's own model,
   * `null` for none (a new chat keeps its first words as its title).
   */
  titleModelConfigId: string | null | undefined;
  /**
   * Web origins whose pages may call the API from the browser (CORS), or `'*'` for any; none
   * by default (same-origin pages and non-browser clients only).
   */
  corsOrigins: string[] | '*';
}

// An empty value is refused rather than read as 0 (a random port) by the number coercion.
const port = z.preprocess(
  (value) => (value === '' ? Number.NaN : value),
  z.coerce
    .number({ error: 'expected a port number' })
    .int('expected a whole number')
    .min(0, 'expected 0..65535')
    .max(65535, 'expected 0..65535'),
);

const envSchema = z.object({
  PORT: port.default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  CHATD_DATA_DIR: z.string().min(1).default('./.chatd-data'),
  CHATD_ADMIN_TOKEN: z.string().min(24, 'expected at least 24 characters').optional(),
  CHATD_SECRET_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  OPENAI_COMPATIBLE_BASE_URL: z.url({ error: 'expected an http(s) URL' }).optional(),
  OPENAI_COMPATIBLE_API_KEY: z.string().min(1).optional(),
  OPENAI_COMPATIBLE_MODELS: z.string().optional(),
  OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS: z.coerce
    .number({ error: 'expected a number of tokens' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .optional(),
  CHATD_WORKER: z.enum(['0', '1'], { error: 'expected 0 or 1' }).default('1'),
  CHATD_DEMO_DELAY_MS: z.coerce.number().int().min(0).max(5000).default(40),
  CHATD_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(0, 'expected 0 (no limit) or more')
    .default(300),
  CHATD_LEASE_MS: z.coerce
    .number({ error: 'expected a number of milliseconds' })
    .int('expected a whole number')
    .min(3000, 'expected at least 3000')
    .max(3_600_000, 'expected at most 3600000')
    .default(30_000),
  CHATD_TITLE_MODEL: z.string().min(1, "expected a model config id or 'off'").optional(),
  CHATD_CORS_ORIGINS: z.string().optional(),
});

/** `CHATD_CORS_ORIGINS`: `*`, or comma-separated origins such as `https://app.example.com`. */
function corsOrigins(value: string | undefined): string[] | '*' {
  if (value?.trim() === '*') return '*';
  const origins = (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin is a scheme, a host and maybe a port: no path, and not the string "null".
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new InvalidArgumentError(
        'CHATD_CORS_ORIGINS',
        `"${origin}" is not a web origin (like https://app.example.com or http://localhost:3000), and * allows any`,
      );
    }
  }
  return origins;
}

/**
 * Reads the configuration from `env`, with a clear error naming the first bad variable.
 * @throws InvalidArgumentError `INVALID_ARGUMENT` naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(
      String(issue?.path[0] ?? 'environment'),
      issue?.message ?? 'invalid',
    );
  }
  const vars = parsed.data;
  const providers: ProviderEndpoint[] = [];
  if (vars.OPENAI_API_KEY !== undefined) {
    providers.push({
      name: 'openai',
      api: 'openai-compatible',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: vars.OPENAI_API_KEY,
      models: OPENAI_MODELS,
    });
  }
  if (vars.ANTHROPIC_API_KEY !== undefined) {
    providers.push({
      name: 'anthropic',
      api: 'anthropic',
      baseUrl: 'https://api.anthropic.com/v1',
      apiKey: vars.ANTHROPIC_API_KEY,
      models: ANTHROPIC_MODELS,
    });
  }
  if (vars.OPENAI_COMPATIBLE_BASE_URL !== undefined) {
    const models = (vars.OPENAI_COMPATIBLE_MODELS ?? '')
      .split(',')
      .map((model) => model.trim())
      .filter((model) => model !== '');
    if (models.length === 0) {
      throw new InvalidArgumentError(
        'OPENAI_COMPATIBLE_MODELS',
        'list at least one model id (comma-separated) for OPENAI_COMPATIBLE_BASE_URL',
      );
    }
    const maxOutputTokens = vars.OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS;
    providers.push({
      name: 'compatible',
      api: 'openai-compatible',
      baseUrl: vars.OPENAI_COMPATIBLE_BASE_URL,
      apiKey: vars.OPENAI_COMPATIBLE_API_KEY,
      models: models.map((id) =>
        maxOutputTokens === undefined ? { id } : { id, maxOutputTokens },
      ),
    });
  } else if (
    vars.OPENAI_COMPATIBLE_MODELS !== undefined ||
    vars.OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS !== undefined
  ) {
    throw new InvalidArgumentError(
      'OPENAI_COMPATIBLE_BASE_URL',
      'is required when OPENAI_COMPATIBLE_MODELS or OPENAI_COMPATIBLE_MAX_OUTPUT_TOKENS is set',
    );
  }
  return {
    port: vars.PORT,
    host: vars.HOST,
    databaseUrl: vars.DATABASE_URL,
    dataDir: resolve(vars.CHATD_DATA_DIR),
    adminToken: vars.CHATD_ADMIN_TOKEN,
    secretKey: vars.CHATD_SECRET_KEY,
    providers,
    worker: vars.CHATD_WORKER === '1',
    demoDelayMs: vars.CHATD_DEMO_DELAY_MS,
    rateLimitPerMinute: vars.CHATD_RATE_LIMIT_PER_MINUTE,
    leaseStaleAfterMs: vars.CHATD_LEASE_MS,
    titleModelConfigId: vars.CHATD_TITLE_MODEL === 'off' ? null : vars.CHATD_TITLE_MODEL,
    corsOrigins: corsOrigins(vars.CHATD_CORS_ORIGINS),
  };
}
