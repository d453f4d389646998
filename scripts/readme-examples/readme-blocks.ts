// Finds the TypeScript examples in the repository's README files and reads the marker that may
// stand before each one. The default for every ```ts block is "compiles and runs"; a marker says
// otherwise, and says why:
//
//   <!-- readme-example: typecheck-only needs a Postgres server -->
//   <!-- readme-example: skip a type signature, not a program -->
//   <!-- readme-example: run -->          (the default, spelled out; `runs` works too)
//
// The marker is the last non-blank line before the opening fence. `skip` needs a reason;
// `typecheck-only` may carry one. Anything else that starts with `<!-- readme-example` (an unknown
// mode, a marker with no block after it) is reported as a problem, so a typo cannot silently turn
// a check off.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the check does with one block. */
export type BlockMode = 'run' | 'typecheck-only' | 'skip';

/** One ```ts block of a README. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence in the README. */
  fenceLine: number;
  /** The block's text without the fences, with the fence's indentation removed. */
  code: string;
  mode: BlockMode;
  /** The marker's reason, when it gives one. */
  reason?: string;
}

/** The blocks of one README and the marker problems found in it. */
export interface ReadmeExamples {
  blocks: ReadmeBlock[];
  /** Human-readable problems, each starting with `<line>: `. */
  problems: string[];
}

const TS_LANGUAGES = new Set(['ts', 'typescript']);
const MARKER = /^<!--\s*readme-example\b:?\s*(.*?)\s*-->$/;
const MODES: ReadonlyMap<string, BlockMode> = new Map([
  ['run', 'run'],
  ['runs', 'run'],
  ['typecheck-only', 'typecheck-only'],
  ['skip', 'skip'],
]);

/** Extracts the ```ts and ```typescript blocks of a Markdown text with their markers. */
export function extractReadmeExamples(markdown: string): ReadmeExamples {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  const problems: string[] = [];
  // A marker waiting for its block: cleared by any other non-blank line.
  let pending: { line: number; mode: BlockMode; reason?: string } | undefined;
  const dropPending = () => {
    if (pending)
      problems.push(`${pending.line}: readme-example marker is not followed by a \`\`\`ts block`);
    pending = undefined;
  };

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const trimmed = line.trim();
    if (trimmed === '') continue;

    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (open) {
      const indent = open[1] ?? '';
      const fence = open[2] ?? '```';
      const language = (open[3] ?? '').toLowerCase();
      const body: string[] = [];
      let end = index + 1;
      const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
      while (end < lines.length && !closing.test(lines[end] ?? '')) {
        const bodyLine = lines[end] ?? '';
        body.push(
          bodyLine.startsWith(indent) ? bodyLine.slice(indent.length) : bodyLine.trimStart(),
        );
        end += 1;
      }
      if (TS_LANGUAGES.has(language)) {
        blocks.push({
          fenceLine: index + 1,
          code: `${body.join('\n')}\n`,
          mode: pending?.mode ?? 'run',
          ...(pending?.reason ? { reason: pending.reason } : {}),
        });
        pending = undefined;
      } else {
        dropPending();
      }
      index = end;
      continue;
    }

    if (/^<!--\s*readme-example/.test(trimmed)) {
      dropPending();
      const marker = MARKER.exec(trimmed);
      const [word = '', ...words] = (marker?.[1] ?? '').split(/\s+/);
      const mode = MODES.get(word);
      const reason = words.join(' ').replace(/^[-—:,]\s*/, '');
      if (!marker || !mode) {
        problems.push(
          `${index + 1}: unknown readme-example marker "${trimmed}" (use "run", "typecheck-only" or "skip <reason>")`,
        );
      } else if (mode === 'skip' && reason === '') {
        problems.push(`${index + 1}: "readme-example: skip" needs a reason after it`);
      } else {
        pending = { line: index + 1, mode, ...(reason ? { reason } : {}) };
      }
      continue;
    }
    dropPending();
  }
  dropPending();
  return { blocks, problems };
}

/** A README file of the repository and the folder whose dependencies its examples may import. */
export interface ReadmeFile {
  /** Path relative to the repository root, e.g. `packages/core/README.md`. */
  path: string;
  /** Absolute folder of the workspace that owns it (the repository root for the root README). */
  workspaceDir: string;
}

/** The root README and the README of every workspace (`workspaceDirs`, absolute). */
export function findReadmes(root: string, workspaceDirs: readonly string[]): ReadmeFile[] {
  const found: ReadmeFile[] = [{ path: 'README.md', workspaceDir: root }];
  for (const dir of workspaceDirs)
    if (existsSync(join(dir, 'README.md')))
      found.push({ path: relative(root, join(dir, 'README.md')), workspaceDir: dir });
  return found;
}

/** Reads and extracts one README. */
export function readReadmeExamples(root: string, readme: ReadmeFile): ReadmeExamples {
  return extractReadmeExamples(readFileSync(join(root, readme.path), 'utf8'));
}
