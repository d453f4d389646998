// Turns README blocks into a throwaway project that imports the packages the way a user's project
// does: `@chatd/<name>` resolves through the package's `exports` to its built `dist/`, and the
// third-party packages (zod, rxjs, ai, pg, …) are the workspace's own copies. Nothing is
// installed: every node_modules entry is a symbolic link into this checkout.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import type { ReadmeBlock, ReadmeFile } from './readme-blocks.ts';

/** The compiler options a user's strict ESM project on Node would have. */
export const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  strict: true,
  // Declaration files are checked too: a broken `.d.ts` in a package's dist fails the check.
  skipLibCheck: false,
  // Every block is a module of its own, even one without imports.
  moduleDetection: ts.ModuleDetectionKind.Force,
  noEmit: true,
};

/** Where one README's blocks are written. */
export interface ExampleFile {
  readme: ReadmeFile;
  block: ReadmeBlock;
  /** Absolute path of the block's `.ts` file. */
  file: string;
}

/** Links every package folder of a node_modules directory into `target`, keeping the first. */
function linkPackages(from: string, target: string): void {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const scoped of readdirSync(join(from, entry)))
        linkPackage(join(from, entry, scoped), join(target, entry, scoped));
    } else {
      linkPackage(join(from, entry), join(target, entry));
    }
  }
}

function linkPackage(source: string, destination: string): void {
  if (existsSync(destination)) return;
  mkdirSync(join(destination, '..'), { recursive: true });
  symlinkSync(realpathSync(source), destination, 'dir');
}

function workspaceName(dir: string): string | undefined {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name?: string;
  };
  return manifest.name;
}

/**
 * Writes one folder per README under `workDir`, each an ESM package whose node_modules holds the
 * README's workspace (so `@chatd/<name>` is that package's built entry) and the workspace's own
 * dependencies. The root README sees every workspace package. The repository root's
 * node_modules (`@types/node`, vitest) is linked once into `workDir/node_modules`, where Node's
 * and TypeScript's lookup find it last.
 */
export function writeExampleProject(
  root: string,
  workDir: string,
  readmes: readonly { readme: ReadmeFile; blocks: readonly ReadmeBlock[] }[],
  workspaces: readonly string[],
): ExampleFile[] {
  linkPackages(join(root, 'node_modules'), join(workDir, 'node_modules'));
  const files: ExampleFile[] = [];
  for (const { readme, blocks } of readmes) {
    const dir = join(
      workDir,
      readme.path.replace(/\/?README\.md$/, '').replaceAll('/', '-') || 'root',
    );
    const modules = join(dir, 'node_modules');
    mkdirSync(modules, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'readme-example', private: true, type: 'module' })}\n`,
    );
    const visible = readme.workspaceDir === root ? workspaces : [readme.workspaceDir];
    for (const workspace of visible) {
      const name = workspaceName(workspace);
      if (name) linkPackage(workspace, join(modules, ...name.split('/')));
    }
    for (const workspace of visible) linkPackages(join(workspace, 'node_modules'), modules);
    for (const block of blocks) {
      const file = join(dir, `block-${block.fenceLine}.ts`);
      writeFileSync(file, block.code);
      files.push({ readme, block, file });
    }
  }
  return files;
}

/** Type errors by file: the blocks' own, and those in this repository's declaration files. */
export interface TypecheckResult {
  byFile: Map<string, string[]>;
  /** Errors in the packages' own `.d.ts` files (a broken `dist/index.d.ts`). */
  elsewhere: string[];
}

/** Typechecks the blocks as one program, each block a module of its own. */
export function typecheck(root: string, files: readonly ExampleFile[]): TypecheckResult {
  const byPath = new Map(files.map((entry) => [entry.file, entry]));
  const program = ts.createProgram({
    rootNames: files.map((entry) => entry.file),
    options: compilerOptions,
  });
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  const byFile = new Map<string, string[]>();
  const elsewhere: string[] = [];
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const source = diagnostic.file;
    if (!source) {
      elsewhere.push(`TS${diagnostic.code} ${message}`);
      continue;
    }
    const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const example = byPath.get(source.fileName.split('/').join(sep));
    if (example) {
      const where = `${example.readme.path}:${example.block.fenceLine + line + 1}:${character + 1}`;
      const list = byFile.get(example.file) ?? [];
      list.push(`${where} TS${diagnostic.code} ${message}`);
      byFile.set(example.file, list);
    } else {
      const path = relative(root, realpathSync(source.fileName));
      // Only this repository's declaration files are ours to fix. Third-party types may assume
      // the DOM library (ai's HeadersInit) or type packages the workspace does not install
      // (PGlite's Emscripten), which a project with skipLibCheck: false would add itself.
      if (path.split(sep).includes('node_modules')) continue;
      elsewhere.push(`${path}:${line + 1}:${character + 1} TS${diagnostic.code} ${message}`);
    }
  }
  return { byFile, elsewhere };
}

/** How a block's run ended. */
export interface RunResult {
  ok: boolean;
  output: string;
}

/**
 * Compiles a block to JavaScript (TypeScript's own emit, `using` lowered for Node 20) and runs it
 * in a fresh Node process. It passes when the process exits 0 on its own within `timeoutMs`: an
 * example that leaves a timer, socket or database open does not exit and fails.
 */
export async function runExample(example: ExampleFile, timeoutMs: number): Promise<RunResult> {
  const { outputText } = ts.transpileModule(example.block.code, {
    fileName: example.file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  const script = example.file.replace(/\.ts$/, '.mjs');
  writeFileSync(script, outputText);
  // The child is a plain Node process, not a vitest worker.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'TEST'),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', script],
      { cwd: join(example.file, '..'), env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // Stack traces point at the README line instead of the throwaway file.
        const output = `${stdout}${stderr}`.replace(
          new RegExp(`(?:file://)?${escapeRegExp(example.file)}:(\\d+)`, 'g'),
          (_, line: string) => `${example.readme.path}:${example.block.fenceLine + Number(line)}`,
        );
        if (!error) return resolve({ ok: true, output });
        const reason = error.killed
          ? `did not exit within ${timeoutMs / 1000} s (a timer, socket or database left open?)`
          : `exited with code ${String(error.code)}`;
        resolve({ ok: false, output: `${reason}\n${output}` });
      },
    );
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
