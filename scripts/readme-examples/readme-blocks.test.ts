// The README check itself: markers are read as documented, a type error or a failing run is
// reported at its README line, and a broken declaration file in a package fails the check.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runExample, typecheck, writeExampleProject } from './example-project.ts';
import { extractReadmeExamples } from './readme-blocks.ts';

const fence = '```';

describe('extractReadmeExamples', () => {
  test('a ts or typescript block runs by default; other languages are not examples', () => {
    const { blocks, problems } = extractReadmeExamples(
      [
        '# Title',
        `${fence}ts`,
        'const a = 1;',
        fence,
        `${fence}sh`,
        'npm test',
        fence,
        `${fence}typescript`,
        'const b = 2;',
        fence,
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(blocks).toEqual([
      { fenceLine: 2, code: 'const a = 1;\n', mode: 'run' },
      { fenceLine: 8, code: 'const b = 2;\n', mode: 'run' },
    ]);
  });

  test('a marker on the last non-blank line before the fence sets the mode and reason', () => {
    const { blocks, problems } = extractReadmeExamples(
      [
        '<!-- readme-example: typecheck-only needs a Postgres server -->',
        '',
        `${fence}ts`,
        'x();',
        fence,
        '<!-- readme-example: skip a type signature, not a program -->',
        `${fence}ts`,
        'interface A {}',
        fence,
        '<!-- readme-example: typecheck-only -->',
        `${fence}ts`,
        'y();',
        fence,
        '<!-- readme-example: runs -->',
        `${fence}ts`,
        'w();',
        fence,
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(blocks.map(({ mode, reason }) => ({ mode, reason }))).toEqual([
      { mode: 'typecheck-only', reason: 'needs a Postgres server' },
      { mode: 'skip', reason: 'a type signature, not a program' },
      { mode: 'typecheck-only', reason: undefined },
      { mode: 'run', reason: undefined },
    ]);
  });

  test('a marker does not reach past a paragraph to a later block', () => {
    const { blocks, problems } = extractReadmeExamples(
      ['<!-- readme-example: typecheck-only -->', 'Some text.', `${fence}ts`, 'z();', fence].join(
        '\n',
      ),
    );
    expect(blocks[0]?.mode).toBe('run');
    expect(problems).toEqual(['1: readme-example marker is not followed by a ```ts block']);
  });

  test('an unknown mode, a skip without a reason and a marker before a sh block are problems', () => {
    const { problems } = extractReadmeExamples(
      [
        '<!-- readme-example: typechek-only -->',
        `${fence}ts`,
        fence,
        '<!-- readme-example: skip -->',
        `${fence}ts`,
        fence,
        '<!-- readme-example: typecheck-only -->',
        `${fence}sh`,
        fence,
      ].join('\n'),
    );
    expect(problems).toEqual([
      '1: unknown readme-example marker "<!-- readme-example: typechek-only -->" (use "run", "typecheck-only" or "skip <reason>")',
      '4: "readme-example: skip" needs a reason after it',
      '7: readme-example marker is not followed by a ```ts block',
    ]);
  });

  test('an indented fence loses its indentation, and a longer fence may contain a shorter one', () => {
    const { blocks } = extractReadmeExamples(
      [
        '1. Step:',
        `   ${fence}ts`,
        '   const c = 3;',
        '     nested();',
        `   ${fence}`,
        `${fence}\`md`,
        `${fence}ts`,
        'not an example',
        fence,
        `${fence}\``,
      ].join('\n'),
    );
    expect(blocks).toEqual([{ fenceLine: 2, code: 'const c = 3;\n  nested();\n', mode: 'run' }]);
  });
});

describe('typecheck and runExample', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /**
   * A repository with one package `@fake/pkg` whose dist has the given declaration file. It has
   * an optional peer `optional-peer`, installed in its node_modules as a devDependency would be.
   */
  function fakeRepository(declarations: string) {
    root = mkdtempSync(join(tmpdir(), 'readme-check-test-'));
    const pkg = join(root, 'packages', 'pkg');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: '@fake/pkg',
        type: 'module',
        exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
        files: ['dist'],
        peerDependencies: { 'optional-peer': '^1.0.0' },
        peerDependenciesMeta: { 'optional-peer': { optional: true } },
      }),
    );
    writeFileSync(join(pkg, 'dist', 'index.js'), 'export const answer = 42;\n');
    writeFileSync(join(pkg, 'dist', 'index.d.ts'), declarations);
    const peer = join(pkg, 'node_modules', 'optional-peer');
    mkdirSync(peer, { recursive: true });
    writeFileSync(
      join(peer, 'package.json'),
      JSON.stringify({ name: 'optional-peer', types: 'index.d.ts' }),
    );
    writeFileSync(join(peer, 'index.d.ts'), 'export interface Peer { id: string }\n');
    // The repository root's node_modules provides @types/node, as the real one does.
    mkdirSync(join(root, 'node_modules', '@types'), { recursive: true });
    symlinkSync(
      join(import.meta.dirname, '..', '..', 'node_modules', '@types', 'node'),
      join(root, 'node_modules', '@types', 'node'),
      'dir',
    );
    const readme = { path: 'packages/pkg/README.md', workspaceDir: pkg };
    return { root, pkg, work: join(root, 'work'), readme };
  }

  function project(declarations: string, code: string) {
    const repository = fakeRepository(declarations);
    const files = writeExampleProject(
      repository.root,
      repository.work,
      [{ readme: repository.readme, blocks: [{ fenceLine: 10, code, mode: 'run' }] }],
      [repository.pkg],
    );
    return { repository, files };
  }

  test('a type error in a block is reported at its README line', () => {
    const { repository, files } = project(
      'export declare const answer: number;\n',
      "import { answer } from '@fake/pkg';\nconst text: string = answer;\n",
    );
    const result = typecheck(repository.root, files);
    expect(result.elsewhere).toEqual([]);
    expect(result.byFile.get(files[0]?.file ?? '')).toEqual([
      "packages/pkg/README.md:12:7 TS2322 Type 'number' is not assignable to type 'string'.",
    ]);
  });

  test("an error in a package's own declaration file fails even when the block is fine", () => {
    const { repository, files } = project(
      'export declare const answer: Missing;\n',
      "import { answer } from '@fake/pkg';\nconsole.log(answer);\n",
    );
    const result = typecheck(repository.root, files);
    expect(result.byFile.size).toBe(0);
    expect(result.elsewhere).toEqual([
      "packages/pkg/dist/index.d.ts:1:30 TS2304 Cannot find name 'Missing'.",
    ]);
  });

  test("published types that import an optional peer fail unless the block's user installed it", () => {
    const declarations =
      "import type { Peer } from 'optional-peer';\nexport declare const peer: Peer;\n";
    const without = project(
      declarations,
      "import { peer } from '@fake/pkg';\nconsole.log(peer);\n",
    );
    expect(typecheck(without.repository.root, without.files).elsewhere).toEqual([
      "packages/pkg/dist/index.d.ts:1:27 TS2307 Cannot find module 'optional-peer' or its corresponding type declarations.",
    ]);
    rmSync(without.repository.root, { recursive: true, force: true });

    const withPeer = project(
      declarations,
      "import type { Peer } from 'optional-peer';\nimport { peer } from '@fake/pkg';\nconst same: Peer = peer;\n",
    );
    const result = typecheck(withPeer.repository.root, withPeer.files);
    expect(result.elsewhere).toEqual([]);
    expect(result.byFile.size).toBe(0);
  });

  test('a block that throws fails with the README line in its stack', async () => {
    const { files } = project(
      'export declare const answer: number;\n',
      "import { answer } from '@fake/pkg';\n\nif (answer === 42) throw new Error('boom');\n",
    );
    const result = await runExample(files[0]!, 30_000);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('exited with code 1');
    expect(result.output).toContain('packages/pkg/README.md:13');
  });

  test('a block that leaves a timer running fails instead of hanging the check', async () => {
    const { files } = project('export {};\n', 'setInterval(() => {}, 1000);\n');
    const result = await runExample(files[0]!, 1_500);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('did not exit within 1.5 s');
  });

  test('a block that runs and exits passes', async () => {
    const { files } = project(
      'export declare const answer: number;\n',
      "import { answer } from '@fake/pkg';\nconsole.log(answer);\n",
    );
    expect(await runExample(files[0]!, 30_000)).toEqual({ ok: true, output: '42\n' });
  });
});
