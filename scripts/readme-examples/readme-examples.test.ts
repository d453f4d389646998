// Every ```ts block in the READMEs compiles and runs, against the packages' built dist/.
// See readme-blocks.ts for the markers that change that default for one block.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listWorkspaces } from '../workspaces.mjs';
import {
  type ExampleFile,
  runExample,
  type TypecheckResult,
  typecheck,
  writeExampleProject,
} from './example-project.ts';
import { findReadmes, readReadmeExamples } from './readme-blocks.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

const workspaces = listWorkspaces(root);
const readmes = findReadmes(root, workspaces).map((readme) => ({
  readme,
  ...readReadmeExamples(root, readme),
}));

const workDir = mkdtempSync(join(tmpdir(), 'chatd-readme-examples-'));
const files = writeExampleProject(
  root,
  workDir,
  readmes.map(({ readme, blocks }) => ({
    readme,
    blocks: blocks.filter((block) => block.mode !== 'skip'),
  })),
  workspaces,
);
const fileOf = new Map<string, ExampleFile>(
  files.map((entry) => [`${entry.readme.path}:${entry.block.fenceLine}`, entry]),
);
let checked: TypecheckResult | undefined;

beforeAll(() => {
  checked = typecheck(root, files);
}, 180_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

test("the packages' declaration files the examples load typecheck (skipLibCheck: false)", () => {
  expect(checked?.elsewhere.join('\n') ?? 'not checked').toBe('');
});

// A README without TypeScript blocks (a CLI's, say) has nothing to check: no empty suite.
for (const { readme, blocks, problems } of readmes.filter(
  (entry) => entry.blocks.length > 0 || entry.problems.length > 0,
)) {
  describe(readme.path, () => {
    if (problems.length > 0) {
      test('readme-example markers are well-formed', () => {
        expect(problems.map((problem) => `${readme.path}:${problem}`).join('\n')).toBe('');
      });
    }
    for (const block of blocks) {
      const name = `block at line ${block.fenceLine}`;
      if (block.mode === 'skip') {
        test.skip(`${name} (skip: ${block.reason ?? ''})`, () => {});
        continue;
      }
      const example = fileOf.get(`${readme.path}:${block.fenceLine}`);
      if (!example) throw new Error(`no file was written for ${readme.path}:${block.fenceLine}`);
      const title =
        block.mode === 'run'
          ? `${name} compiles and runs`
          : `${name} compiles (typecheck-only${block.reason ? `: ${block.reason}` : ''})`;
      test(
        title,
        async () => {
          const errors = checked?.byFile.get(example.file) ?? [];
          expect(errors.join('\n'), 'type errors').toBe('');
          if (block.mode !== 'run') return;
          const result = await runExample(example, RUN_TIMEOUT_MS);
          expect(result.ok ? '' : result.output, 'the example failed when run').toBe('');
        },
        RUN_TIMEOUT_MS + 30_000,
      );
    }
  });
}
