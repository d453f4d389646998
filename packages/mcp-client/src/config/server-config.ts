import { McpClientError } from '../errors/index.js';

/** How the client reaches an MCP server. */
export type McpTransportType = 'streamable-http' | 'sse' | 'stdio';

/** How requests to an MCP server are authenticated. */
export type McpAuthType = 'none' | 'oauth2' | 'api-key' | 'custom-headers';

/** The OAuth2 client registration of a server, needed only for token refresh and revocation. */
export interface McpOAuth2Config {
  /** Token endpoint used to refresh access tokens (`grant_type=refresh_token`). */
  tokenUrl?: string;
  /** RFC 7009 revocation endpoint. HTTPS, or plain HTTP on a loopback host. */
  revocationUrl?: string;
  /** OAuth2 client id. */
  clientId?: string;
  /** OAuth2 client secret; never logged. */
  clientSecret?: string;
  /** Scopes requested on refresh. */
  scopes?: string[];
}

/**
 * One MCP server configured for a chat: a plain object, validated by
 * {@link validateServerConfig}.
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
  /** Server URL for `streamable-http` and `sse` (http or https). Redacted wherever it is shown. */
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

const TRANSPORTS: readonly McpTransportType[] = ['streamable-http', 'sse', 'stdio'];
const AUTH_TYPES: readonly McpAuthType[] = ['none', 'oauth2', 'api-key', 'custom-headers'];
const KNOWN_FIELDS = new Set<string>([
  'id',
  'slug',
  'enabled',
  'transport',
  'url',
  'command',
  'args',
  'env',
  'cwd',
  'authType',
  'apiKeyHeader',
  'apiKeyValue',
  'customHeaders',
  'oauth2',
  'toolAllowList',
  'toolDenyList',
  'forwardIdentityHeaders',
]);
const OAUTH2_FIELDS = new Set<string>([
  'tokenUrl',
  'revocationUrl',
  'clientId',
  'clientSecret',
  'scopes',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class FieldError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

function optionalString(
  record: Record<string, unknown>,
  field: string,
  prefix = '',
): string | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new FieldError(prefix + field, 'must be a string');
  return value;
}

function requiredString(record: Record<string, unknown>, field: string): string {
  const value = optionalString(record, field);
  if (value === undefined || value.trim() === '') {
    throw new FieldError(field, 'must be a non-empty string');
  }
  return value;
}

function stringList(record: Record<string, unknown>, field: string, prefix = ''): string[] {
  const value = record[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new FieldError(prefix + field, 'must be an array of strings');
  }
  return [...value];
}

function httpUrl(value: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    // Never echo the value: it may carry credentials.
    throw new FieldError(field, 'must be an absolute http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new FieldError(field, 'must be an absolute http or https URL');
  }
  return value;
}

function oauth2Config(value: unknown): McpOAuth2Config | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw new FieldError('oauth2', 'must be an object');
  for (const key of Object.keys(value)) {
    if (!OAUTH2_FIELDS.has(key)) throw new FieldError(`oauth2.${key}`, 'is not a known field');
  }
  const result: McpOAuth2Config = {};
  const tokenUrl = optionalString(value, 'tokenUrl', 'oauth2.');
  if (tokenUrl !== undefined) result.tokenUrl = httpUrl(tokenUrl, 'oauth2.tokenUrl');
  const revocationUrl = optionalString(value, 'revocationUrl', 'oauth2.');
  if (revocationUrl !== undefined) {
    result.revocationUrl = httpUrl(revocationUrl, 'oauth2.revocationUrl');
  }
  const clientId = optionalString(value, 'clientId', 'oauth2.');
  if (clientId !== undefined) result.clientId = clientId;
  const clientSecret = optionalString(value, 'clientSecret', 'oauth2.');
  if (clientSecret !== undefined) result.clientSecret = clientSecret;
  if (value.scopes !== undefined) result.scopes = stringList(value, 'scopes', 'oauth2.');
  return result;
}

/**
 * Validates one server config and fills in its defaults.
 *
 * Unknown fields are rejected (a misspelt `toolAllowList` must not silently expose every tool).
 * Slugs are never rejected for their characters: they are sanitized when tools are named.
 *
 * @param value - The config, as a plain object.
 * @param label - How the config is named in the message, e.g. `configs[2]`.
 * @throws McpClientError `MCP_CONFIG_INVALID` naming the bad field; the message never echoes
 *   field values, which may be secrets.
 */
export function validateServerConfig(value: unknown, label = 'config'): ResolvedServerConfig {
  const idHint =
    isRecord(value) && typeof value.id === 'string' && value.id !== '' ? ` (id ${value.id})` : '';
  try {
    return resolve(value);
  } catch (error) {
    if (error instanceof FieldError) {
      throw new McpClientError(
        'MCP_CONFIG_INVALID',
        `Invalid MCP server ${label}${idHint}: ${error.message}`,
      );
    }
    throw error;
  }
}

function resolve(value: unknown): ResolvedServerConfig {
  if (!isRecord(value)) throw new FieldError('(root)', 'must be an object');
  for (const key of Object.keys(value)) {
    if (!KNOWN_FIELDS.has(key)) throw new FieldError(key, 'is not a known field');
  }
  const id = requiredString(value, 'id');
  const slug = requiredString(value, 'slug');
  const enabled = value.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new FieldError('enabled', 'must be a boolean');
  const transport = value.transport ?? 'streamable-http';
  if (!TRANSPORTS.includes(transport as McpTransportType)) {
    throw new FieldError('transport', `must be one of ${TRANSPORTS.join(', ')}`);
  }
  const authType = value.authType ?? 'none';
  if (!AUTH_TYPES.includes(authType as McpAuthType)) {
    throw new FieldError('authType', `must be one of ${AUTH_TYPES.join(', ')}`);
  }
  let url = optionalString(value, 'url');
  const command = optionalString(value, 'command');
  if (transport === 'stdio') {
    if (command === undefined || command.trim() === '') {
      throw new FieldError('command', 'is required for the stdio transport');
    }
    if (url !== undefined) throw new FieldError('url', 'is not used by the stdio transport');
  } else {
    if (url === undefined || url === '') {
      throw new FieldError('url', `is required for the ${transport as string} transport`);
    }
    url = httpUrl(url, 'url');
    if (command !== undefined) {
      throw new FieldError('command', `is not used by the ${transport as string} transport`);
    }
  }
  const args = stringList(value, 'args');
  let env: Record<string, string> = {};
  if (value.env !== undefined) {
    if (!isRecord(value.env) || !Object.values(value.env).every((v) => typeof v === 'string')) {
      throw new FieldError('env', 'must be an object of string values');
    }
    env = { ...(value.env as Record<string, string>) };
  }
  const cwd = optionalString(value, 'cwd');
  const apiKeyHeader = optionalString(value, 'apiKeyHeader');
  const apiKeyValue = optionalString(value, 'apiKeyValue');
  const customHeaders = optionalString(value, 'customHeaders');
  const forwardIdentityHeaders = value.forwardIdentityHeaders ?? false;
  if (typeof forwardIdentityHeaders !== 'boolean') {
    throw new FieldError('forwardIdentityHeaders', 'must be a boolean');
  }
  return {
    id,
    slug,
    enabled,
    transport: transport as McpTransportType,
    url,
    command,
    args,
    env,
    cwd,
    authType: authType as McpAuthType,
    apiKeyHeader,
    apiKeyValue,
    customHeaders,
    oauth2: oauth2Config(value.oauth2),
    toolAllowList: stringList(value, 'toolAllowList'),
    toolDenyList: stringList(value, 'toolDenyList'),
    forwardIdentityHeaders,
  };
}
