import { describe, expect, it } from 'vitest';
import { assignToolNames, baseToolName, collisionSuffix, sanitizeName } from './naming.js';

describe('tool naming', () => {
  it('replaces characters outside [A-Za-z0-9_-] with underscores', () => {
    expect(sanitizeName('awslabs.aws-documentation mcp/server')).toBe(
      'awslabs_aws-documentation_mcp_server',
    );
  });

  it('joins slug and tool with a double underscore and cuts to 64 characters', () => {
    expect(baseToolName('git.hub', 'create issue')).toBe('git_hub__create_issue');
    expect(baseToolName('s'.repeat(70), 'tool')).toHaveLength(64);
  });

  it('sorts by final name, ties broken by config id', () => {
    const { named } = assignToolNames([
      { configId: '2', slug: 'b', toolName: 'x' },
      { configId: '1', slug: 'a', toolName: 'y' },
      { configId: '1', slug: 'a', toolName: 'x' },
    ]);
    expect(named.map((tool) => tool.name)).toEqual(['a__x', 'a__y', 'b__x']);
  });

  it('gives every colliding tool a stable hash suffix within 64 characters and reports it', () => {
    const requests = [
      { configId: 'b', slug: 'a__b', toolName: 'z' },
      { configId: 'a', slug: 'a', toolName: 'b__z' },
      { configId: 'c', slug: 'other', toolName: 'tool' },
    ];
    const { named, collisions } = assignToolNames(requests);
    expect(named.map((tool) => tool.name)).toEqual(
      [
        `a__b__z_${collisionSuffix('a', 'b__z')}`,
        `a__b__z_${collisionSuffix('b', 'z')}`,
        'other__tool',
      ].sort(),
    );
    expect(collisions).toEqual([
      {
        name: 'a__b__z',
        tools: [
          {
            configId: 'a',
            toolName: 'b__z',
            assignedName: `a__b__z_${collisionSuffix('a', 'b__z')}`,
          },
          { configId: 'b', toolName: 'z', assignedName: `a__b__z_${collisionSuffix('b', 'z')}` },
        ],
      },
    ]);
    expect(assignToolNames([...requests].reverse()).named).toEqual(named);
  });

  it('cuts long colliding names to 57 characters before the suffix', () => {
    const slug = 'x'.repeat(80);
    const { named } = assignToolNames([
      { configId: '1', slug, toolName: 't' },
      { configId: '2', slug, toolName: 't' },
    ]);
    for (const tool of named) {
      expect(tool.name).toHaveLength(64);
      expect(tool.name).toMatch(/^x{57}_[0-9a-f]{6}$/);
    }
  });
});
