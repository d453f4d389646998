import { z } from 'zod';
import { McpClientError } from '../errors/index.js';

/** How the client reaches an MCP server. */
export type McpTransportType = 'streamable-http' | 'sse' | 'stdio';

/** How requests to an MCP server are authenticated. */
export type McpAuthType = 'none' | 'oauth2' | 'api-key' | 'custom-headers';

/** The OAuth2 client registration of a server, needed only for token refresh and revocation. */
export interface McpOAuth2Config {
  /** Token endpoint used to refresh access tokens (`grant_type=refresh_token`). */
  tokenUrl?: string | undefined;
  /** RFC 7009 revocation endpoint. HTTPS, or plain HTTP on a loopback host. */
  revocationUrl?: string | undefined;
  /** OAuth2 client id, sent as `client_id` (or in HTTP Basic auth) on refresh and revocation. */
  clientId?: string | undefined;
  /** OAuth2 client secret; never logged. */
  clientSecret?: string | undefined;
  /** Scopes requested on refresh. */
  scopes?: string[] | undefined;
}

/**
 * One MCP server configured for a chat: a plain object, validated by
 * {@link validateServerConfig}.
 *
 * A field with a `@default` may also be `null` (configs stored as JSON often hold nulls): it
 * gets its default. The type leaves `null` out because TypeScript callers just omit the field;
 * {@link validateServerConfig} takes `unknown` for the JSON case.
 */
export interface McpServerConfig {
  /** Stable id of the config; reported on every tool and status, and hashed into collision suffixes. */
  id: string;
  /** Short name used as the tool-name prefix (`slug__tool`); sanitized, never rejected for its characters. */
  slug: string;
  /**
   * Disabled servers are not connected and are reported with status `disabled`.
   * @default true
   */
  enabled?: boolean;
  /**
   * The transport.
   * @default 'streamable-http'
   */
  transport?: McpTransportType;
  /**
   * Server URL for `streamable-http` and `sse` (http or https). Redacted wherever it is shown.
   * It may not carry credentials (`user:password@`): `fetch` refuses such URLs, so send them
   * with `authType` instead.
   */
  url?: string;
  /** Executable to start for `stdio`. */
  command?: string;
  /** Arguments for `command`. @default [] */
  args?: string[];
  /**
   * Environment of the child process for `stdio`. Only these variables and a small safe set
   * (`HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM`, `USER`) reach the child, never the whole
   * parent environment.
   * @default {}
   */
  env?: Record<string, string>;
  /** Working directory of the child process for `stdio`. @default the parent's working directory */
  cwd?: string;
  /** How requests are authenticated. @default 'none' */
  authType?: McpAuthType;
  /** Header name for `api-key` auth, e.g. `X-API-Key`. */
  apiKeyHeader?: string;
  /** Header value for `api-key` auth; never logged. */
  apiKeyValue?: string;
  /**
   * For `custom-headers` auth: a JSON object of header name to value, as text. Invalid JSON is
   * logged as a warning and the server connects without these headers.
   */
  customHeaders?: string;
  /** OAuth2 client registration, needed only for refresh and revocation. */
  oauth2?: McpOAuth2Config;
  /** When non-empty, only these original tool names are exposed (the deny list is ignored). @default [] */
  toolAllowList?: string[];
  /** Original tool names to hide when the allow list is empty. @default [] */
  toolDenyList?: string[];
  /**
   * Send `X-Chatd-Owner-Id`, `X-Chatd-Chat-Id` and `X-Chatd-Subchat-Id` with every request.
   * @default false
   */
  forwardIdentityHeaders?: boolean;
}

/** A validated config with every default filled in. */
export interface ResolvedServerConfig {
  /** See {@link McpServerConfig.id}. */
  readonly id: string;
  /** See {@link McpServerConfig.slug}. */
  readonly slug: string;
  /** See {@link McpServerConfig.enabled}. */
  readonly enabled: boolean;
  /** See {@link McpServerConfig.transport}. */
  readonly transport: McpTransportType;
  /** See {@link McpServerConfig.url}. */
  readonly url: string | undefined;
  /** See {@link McpServerConfig.command}. */
  readonly command: string | undefined;
  /** See {@link McpServerConfig.args}. */
  readonly args: readonly string[];
  /** See {@link McpServerConfig.env}. */
  readonly env: Readonly<Record<string, string>>;
  /** See {@link McpServerConfig.cwd}. */
  readonly cwd: string | undefined;
  /** See {@link McpServerConfig.authType}. */
  readonly authType: McpAuthType;
  /** See {@link McpServerConfig.apiKeyHeader}. */
  readonly apiKeyHeader: string | undefined;
  /** See {@link McpServerConfig.apiKeyValue}. */
  readonly apiKeyValue: string | undefined;
  /** See {@link McpServerConfig.customHeaders}. */
  readonly customHeaders: string | undefined;
  /** See {@link McpServerConfig.oauth2}. */
  readonly oauth2: Readonly<McpOAuth2Config> | undefined;
  /** See {@link McpServerConfig.toolAllowList}. */
  readonly toolAllowList: readonly string[];
  /** See {@link McpServerConfig.toolDenyList}. */
  readonly toolDenyList: readonly string[];
  /** See {@link McpServerConfig.forwardIdentityHeaders}. */
  readonly forwardIdentityHeaders: boolean;
}

const TRANSPORTS = ['streamable-http', 'sse', 'stdio'] as const satisfies McpTransportType[];
const AUTH_TYPES = ['none', 'oauth2', 'api-key', 'custom-headers'] as const satisfies McpAuthType[];

const MUST_BE_STRING = 'must be a string';
// Never echo the value in a message: a URL may carry credentials.
const MUST_BE_HTTP_URL = 'must be an absolute http or https URL';
// `fetch` refuses a URL with userinfo ("Request cannot be constructed from a URL that includes
// credentials"), so such a URL would pass here and fail only at connect or refresh time.
const NO_CREDENTIALS = 'must not include a user name or password';

const optionalString = z.string({ error: MUST_BE_STRING }).optional();

/** A string with something besides whitespace in it; missing says so rather than "not a string". */
const nonEmptyString = z
  .string({
    error: (issue) => (issue.input === undefined ? 'must be a non-empty string' : MUST_BE_STRING),
  })
  .refine((value) => value.trim() !== '', 'must be a non-empty string');

const stringList = z.array(z.string({ error: 'must be an array of strings' }), {
  error: 'must be an array of strings',
});

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Whether a URL has a user name or password in it (false when it does not parse). */
function hasCredentials(value: string): boolean {
  try {
    const { username, password } = new URL(value);
    return username !== '' || password !== '';
  } catch {
    return false;
  }
}

/** An OAuth2 endpoint: an http(s) URL whose client credentials go in `clientId`/`clientSecret`. */
const optionalHttpUrl = z
  .string({ error: MUST_BE_STRING })
  .refine(isHttpUrl, MUST_BE_HTTP_URL)
  .refine(
    (value) => !hasCredentials(value),
    `${NO_CREDENTIALS}; set oauth2.clientId and oauth2.clientSecret instead`,
  )
  .optional();

/**
 * `schema`, with `fallback()` for a missing or null value (a config stored as JSON may hold
 * nulls). A function, so each config gets its own default arrays and objects.
 */
function withDefault<T>(schema: z.ZodType<T>, fallback: () => T) {
  return schema.nullish().transform((value) => value ?? fallback());
}

/** `schema` for an optional field whose default is "absent" (`cwd`): null is absent too. */
function nullAsAbsent<T>(schema: z.ZodType<T>) {
  return schema.nullish().transform((value) => value ?? undefined);
}

const oauth2Schema = z.strictObject(
  {
    tokenUrl: optionalHttpUrl,
    revocationUrl: optionalHttpUrl,
    clientId: optionalString,
    clientSecret: optionalString,
    scopes: stringList.optional(),
  },
  { error: 'must be an object' },
);

/**
 * The shape of a server config, field by field. Unknown fields are rejected: a misspelt
 * `toolAllowList` must not silently expose every tool.
 */
const fieldsSchema = z.strictObject(
  {
    id: nonEmptyString,
    slug: nonEmptyString,
    // Every field with a default (the README's table) takes null for it, through withDefault or
    // nullAsAbsent; the others keep refusing null, which has no default to stand for.
    enabled: withDefault(z.boolean({ error: 'must be a boolean' }), () => true),
    transport: withDefault<McpTransportType>(
      z.enum(TRANSPORTS, { error: `must be one of ${TRANSPORTS.join(', ')}` }),
      () => 'streamable-http',
    ),
    authType: withDefault<McpAuthType>(
      z.enum(AUTH_TYPES, { error: `must be one of ${AUTH_TYPES.join(', ')}` }),
      () => 'none',
    ),
    url: optionalString,
    command: optionalString,
    args: withDefault<string[]>(stringList, () => []),
    env: withDefault<Record<string, string>>(
      z.record(z.string(), z.string({ error: 'must be an object of string values' }), {
        error: 'must be an object of string values',
      }),
      () => ({}),
    ),
    cwd: nullAsAbsent(z.string({ error: MUST_BE_STRING })),
    apiKeyHeader: optionalString,
    apiKeyValue: optionalString,
    customHeaders: optionalString,
    forwardIdentityHeaders: withDefault(z.boolean({ error: 'must be a boolean' }), () => false),
    oauth2: oauth2Schema.optional(),
    toolAllowList: withDefault<string[]>(stringList, () => []),
    toolDenyList: withDefault<string[]>(stringList, () => []),
  },
  { error: 'must be an object' },
);

type ConfigFields = z.output<typeof fieldsSchema>;

/** The transport decides which of `url` and `command` is required and which must be absent. */
function checkTransportFields(config: ConfigFields, context: z.RefinementCtx): void {
  const { transport, url, command } = config;
  const problem = (field: 'url' | 'command', message: string) =>
    context.addIssue({ code: 'custom', path: [field], message });
  if (transport === 'stdio') {
    if (command === undefined || command.trim() === '')
      problem('command', 'is required for the stdio transport');
    else if (url !== undefined) problem('url', 'is not used by the stdio transport');
    return;
  }
  if (url === undefined || url === '') problem('url', `is required for the ${transport} transport`);
  else if (!isHttpUrl(url)) problem('url', MUST_BE_HTTP_URL);
  else if (hasCredentials(url))
    problem(
      'url',
      `${NO_CREDENTIALS}; send credentials with authType (api-key, custom-headers or oauth2) instead`,
    );
  else if (command !== undefined) problem('command', `is not used by the ${transport} transport`);
}

// A resolved config names every field: an optional one that was left out holds undefined.
const serverConfigSchema = fieldsSchema.superRefine(checkTransportFields).transform(
  (config): ResolvedServerConfig => ({
    ...config,
    url: config.url,
    command: config.command,
    cwd: config.cwd,
    apiKeyHeader: config.apiKeyHeader,
    apiKeyValue: config.apiKeyValue,
    customHeaders: config.customHeaders,
    oauth2: config.oauth2,
  }),
);

/** Fields nested one level down, whose own fields a message names (`oauth2.tokenUrl`). */
const NESTED_FIELDS = new Set(['oauth2']);

/** The field an issue is about, as `field: problem`; list items and record keys name their field. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  const unknownField = issue.code === 'unrecognized_keys';
  if (unknownField) path.push(issue.keys[0] ?? '');
  if (path.length === 0) return `(root): ${issue.message}`;
  const field = path.slice(0, NESTED_FIELDS.has(path[0] ?? '') ? 2 : 1).join('.');
  return `${field}: ${unknownField ? 'is not a known field' : issue.message}`;
}

/**
 * Validates one server config and fills in its defaults.
 *
 * Unknown fields are rejected (a misspelt `toolAllowList` must not silently expose every tool).
 * Slugs are never rejected for their characters: they are sanitized when tools are named.
 * `null` stands for the default in every field that has one (`enabled`, `transport`, `args`,
 * `env`, `cwd`, `authType`, `toolAllowList`, `toolDenyList`, `forwardIdentityHeaders`). URLs
 * with a user name or password are refused: `fetch` cannot send them.
 *
 * @param value - The config, as a plain object.
 * @param label - How the config is named in the message, e.g. `configs[2]`.
 * @throws McpClientError `MCP_CONFIG_INVALID` naming the bad field (an unknown field first, when
 *   there is one); the message never echoes field values, which may be secrets.
 */
export function validateServerConfig(value: unknown, label = 'config'): ResolvedServerConfig {
  const result = serverConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const record = typeof value === 'object' && value !== null ? (value as { id?: unknown }) : {};
  const idHint = typeof record.id === 'string' && record.id !== '' ? ` (id ${record.id})` : '';
  throw new McpClientError(
    'MCP_CONFIG_INVALID',
    `Invalid MCP server ${label}${idHint}: ${describeIssue(issues[0] as z.core.$ZodIssue)}`,
  );
}
