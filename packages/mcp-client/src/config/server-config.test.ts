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

  it('takes null as absent for the fields that have a default', () => {
    expect(
      validateServerConfig({
        ...base,
        enabled: null,
        transport: null,
        authType: null,
        forwardIdentityHeaders: null,
      }),
    ).toMatchObject({
      enabled: true,
      transport: 'streamable-http',
      authType: 'none',
      forwardIdentityHeaders: false,
    });
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
