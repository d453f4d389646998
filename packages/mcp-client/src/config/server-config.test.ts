import { errorOf } from '@chatd/core/testing';
import { describe, expect, it } from 'vitest';
import { validateServerConfig } from './server-config.js';

const base = { id: 'cfg', slug: 'srv', url: 'https://mcp.example.com/mcp' };

describe('validateServerConfig', () => {
  it('fills in the defaults', () => {
    expect(validateServerConfig(base)).toMatchObject({
      enabled: true,
      transport: 'streamable-http',
      authType: 'none',
      args: [],
      env: {},
      toolAllowList: [],
      toolDenyList: [],
      forwardIdentityHeaders: false,
    });
  });

  it.each([
    [{ ...base, id: '' }, 'id: must be a non-empty string'],
    [{ ...base, slug: 3 }, 'slug: must be a string'],
    [{ ...base, enabled: 'yes' }, 'enabled: must be a boolean'],
    [{ ...base, transport: 'websocket' }, 'transport: must be one of streamable-http, sse, stdio'],
    [{ id: 'cfg', slug: 'srv' }, 'url: is required for the streamable-http transport'],
    [{ ...base, url: 'ftp://x' }, 'url: must be an absolute http or https URL'],
    [
      { id: 'cfg', slug: 'srv', transport: 'stdio' },
      'command: is required for the stdio transport',
    ],
    [{ ...base, transport: 'stdio', command: 'node' }, 'url: is not used by the stdio transport'],
    [
      { ...base, authType: 'basic' },
      'authType: must be one of none, oauth2, api-key, custom-headers',
    ],
    [{ ...base, toolAllowList: 'echo' }, 'toolAllowList: must be an array of strings'],
    [{ ...base, env: { A: 1 } }, 'env: must be an object of string values'],
    [
      { ...base, oauth2: { tokenUrl: 'nope' } },
      'oauth2.tokenUrl: must be an absolute http or https URL',
    ],
    [{ ...base, oauth2: { clientSecrets: 'x' } }, 'oauth2.clientSecrets: is not a known field'],
    [{ ...base, toolAllowlist: [] }, 'toolAllowlist: is not a known field'],
    ['not an object', '(root): must be an object'],
  ])('names the bad field: %j', (config, message) => {
    expect(errorOf(() => validateServerConfig(config))).toMatchObject({
      code: 'MCP_CONFIG_INVALID',
      message: expect.stringContaining(message),
    });
  });

  it('names the config by its label and id, and an unknown field before any other problem', () => {
    expect(
      errorOf(() => validateServerConfig({ ...base, url: 'ftp://x', extra: 1 }, 'configs[2]')),
    ).toMatchObject({
      message: 'Invalid MCP server configs[2] (id cfg): extra: is not a known field',
    });
    expect(
      errorOf(() => validateServerConfig({ ...base, oauth2: { tokenUrl: 'https://t', x: 1 } })),
    ).toMatchObject({
      message: 'Invalid MCP server config (id cfg): oauth2.x: is not a known field',
    });
  });

  // One row per field the README's table gives a default: configs stored as JSON hold nulls,
  // and a refused null marks the server failed inside connectAll, losing all of its tools.
  const stdio = { id: 'cfg', slug: 'srv', transport: 'stdio', command: 'node' };
  it.each([
    ['enabled', base, true],
    ['transport', base, 'streamable-http'],
    ['args', stdio, []],
    ['env', stdio, {}],
    ['cwd', stdio, undefined],
    ['authType', base, 'none'],
    ['toolAllowList', base, []],
    ['toolDenyList', base, []],
    ['forwardIdentityHeaders', base, false],
  ])('takes null for %s as its default', (field, config, expected) => {
    const resolved = validateServerConfig({ ...config, [field]: null });
    expect(resolved[field as keyof typeof resolved]).toEqual(expected);
    expect(resolved).toEqual(validateServerConfig(config));
  });

  it('takes null in every defaulted field at once, for a stdio config', () => {
    expect(
      validateServerConfig({ ...stdio, args: null, env: null, cwd: null, toolDenyList: null }),
    ).toEqual(validateServerConfig(stdio));
  });

  it('gives each config its own default lists, never one shared array', () => {
    const first = validateServerConfig(base);
    const second = validateServerConfig({ ...base, args: null });
    expect(first.args).not.toBe(second.args);
    expect(first.env).not.toBe(validateServerConfig(base).env);
  });

  it.each(['id', 'slug'])('still refuses null for the required %s', (field) => {
    expect(errorOf(() => validateServerConfig({ ...base, [field]: null }))).toMatchObject({
      code: 'MCP_CONFIG_INVALID',
      message: expect.stringContaining(`${field}: must be a string`),
    });
  });

  it.each([
    'http://alice:secret-pw@mcp.example.com/mcp',
    'https://alice@mcp.example.com/mcp',
    'https://:secret-pw@mcp.example.com/mcp',
  ])('refuses a URL with credentials, which fetch cannot send: %s', (url) => {
    const error = errorOf(() => validateServerConfig({ ...base, url }));
    expect(error).toMatchObject({
      code: 'MCP_CONFIG_INVALID',
      message: expect.stringContaining('url: must not include a user name or password'),
    });
    expect((error as Error).message).toContain('send credentials with authType');
    expect((error as Error).message).not.toMatch(/secret-pw|alice/);
  });

  it.each(['tokenUrl', 'revocationUrl'])('refuses an oauth2.%s with credentials', (field) => {
    const error = errorOf(() =>
      validateServerConfig({ ...base, oauth2: { [field]: 'https://id:secret-pw@auth.example/t' } }),
    );
    expect(error).toMatchObject({
      code: 'MCP_CONFIG_INVALID',
      message: expect.stringContaining(`oauth2.${field}: must not include a user name or password`),
    });
    expect((error as Error).message).not.toContain('secret-pw');
  });

  it('accepts a URL with an empty userinfo, which carries no credentials', () => {
    expect(validateServerConfig({ ...base, url: 'https://@mcp.example.com/mcp' }).url).toBe(
      'https://@mcp.example.com/mcp',
    );
  });

  it('never echoes a bad URL, which may carry credentials', () => {
    expect(() => validateServerConfig({ ...base, url: 'not a url with secret-token' })).toThrow(
      /^(?!.*secret-token).*$/,
    );
  });

  it('accepts any slug characters (they are sanitized when naming tools)', () => {
    expect(validateServerConfig({ ...base, slug: 'my server.v2 / prod' }).slug).toBe(
      'my server.v2 / prod',
    );
  });
});
