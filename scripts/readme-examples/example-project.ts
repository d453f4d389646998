// Turns one README's blocks into a throwaway project laid out like a user's project after
// `npm install`, without installing anything:
// - each `@chatd/*` package the README is about (with the `@chatd/*` packages it depends on) is a
//   real folder holding what npm would unpack: its package.json and its `files` (`dist/`). Its
//   imports therefore resolve inside the project, not through the workspace's devDependencies.
// - third-party packages are symbolic links to the workspace's copies, and only those a user
//   would have: the dependencies and required peers of those @chatd packages, whatever a block
//   imports itself (with its `@types/*` package, if the workspace has one), and `@types/node`.
//   An optional peer (`pg`) is there only when a block imports it, so published types that need
//   an optional peer's types fail here as they would for a user.
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
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

/** One README's throwaway project. */
export interface ExampleProject {
  dir: string;
  /** Where each copied @chatd package came from: copy folder → repository-relative folder. */
  copies: Map<string, string>;
}

/** Where one block was written. */
export interface ExampleFile {
  readme: ReadmeFile;
  block: ReadmeBlock;
  /** Absolute path of the block's `.ts` file. */
  file: string;
  project: ExampleProject;
}

interface Manifest {
  name?: string;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Workspace {
  dir: string;
  manifest: Manifest;
}

const builtins = new Set(builtinModules);

/** The package a bare import specifier names (`@scope/pkg/sub` → `@scope/pkg`), if any. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name && !builtins.has(name) ? name : undefined;
}

/** The packages a block imports, from TypeScript's own import scanner. */
function importsOf(code: string): string[] {
  return ts
    .preProcessFile(code, true, true)
    .importedFiles.map((file) => packageOf(file.fileName))
    .filter((name): name is string => name !== undefined);
}

/** `@types/pg` for `pg`, `@types/scope__pkg` for `@scope/pkg`. */
function typesPackageOf(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/**
 * Writes one project folder per README under `workDir` (see the file comment for its layout) and
 * each block as a `.ts` file in it.
 */
export function writeExampleProject(
  root: string,
  workDir: string,
  readmes: readonly { readme: ReadmeFile; blocks: readonly ReadmeBlock[] }[],
  workspaceDirs: readonly string[],
): ExampleFile[] {
  const workspaces = new Map<string, Workspace>();
  for (const dir of workspaceDirs) {
    const manifest = readManifest(dir);
    if (manifest.name) workspaces.set(manifest.name, { dir, manifest });
  }
  const files: ExampleFile[] = [];

  for (const { readme, blocks } of readmes) {
    const slug = readme.path.replace(/\/?README\.md$/, '').replaceAll('/', '-') || 'root';
    const project: ExampleProject = { dir: join(workDir, slug), copies: new Map() };
    const modules = join(project.dir, 'node_modules');
    mkdirSync(modules, { recursive: true });
    writeFileSync(
      join(project.dir, 'package.json'),
      `${JSON.stringify({ name: 'readme-example', private: true, type: 'module' })}\n`,
    );

    const imported = new Set(blocks.flatMap((block) => importsOf(block.code)));
    // The README's own package (every package, for the root README), what the blocks import,
    // and the workspace packages those depend on.
    const own = readme.workspaceDir === root ? [...workspaces.keys()] : [];
    for (const [name, workspace] of workspaces)
      if (workspace.dir === readme.workspaceDir) own.push(name);
    const local = new Set<string>();
    const pending = [...own, ...[...imported].filter((name) => workspaces.has(name))];
    const thirdParty = new Set<string>(['@types/node']);
    while (pending.length > 0) {
      const name = pending.pop() as string;
      const workspace = workspaces.get(name);
      if (!workspace || local.has(name)) continue;
      local.add(name);
      const {
        dependencies = {},
        peerDependencies = {},
        peerDependenciesMeta = {},
      } = workspace.manifest;
      const needed = [
        ...Object.keys(dependencies),
        ...Object.keys(peerDependencies).filter((peer) => !peerDependenciesMeta[peer]?.optional),
      ];
      for (const dependency of needed)
        if (workspaces.has(dependency)) pending.push(dependency);
        else thirdParty.add(dependency);
    }
    for (const name of imported) {
      if (workspaces.has(name)) continue;
      thirdParty.add(name);
      thirdParty.add(typesPackageOf(name));
    }

    for (const name of local) {
      const workspace = workspaces.get(name) as Workspace;
      const target = join(modules, ...name.split('/'));
      mkdirSync(target, { recursive: true });
      // Without `files`, npm publishes the whole folder (node_modules aside).
      const published =
        workspace.manifest.files ??
        readdirSync(workspace.dir).filter((entry) => entry !== 'node_modules');
      for (const entry of new Set(['package.json', ...published])) {
        const source = join(workspace.dir, entry);
        if (existsSync(source)) cpSync(source, join(target, entry), { recursive: true });
      }
      project.copies.set(target, relative(root, workspace.dir));
    }
    // Third-party packages come from the README's workspace first, then any other workspace,
    // then the repository root (`@types/node`, vitest). A package found nowhere stays missing,
    // and the block that imports it fails with TypeScript's "Cannot find module".
    const lookIn = [
      readme.workspaceDir,
      ...[...workspaces.values()].map((workspace) => workspace.dir),
      root,
    ].map((dir) => join(dir, 'node_modules'));
    for (const name of thirdParty) {
      const source = lookIn.map((dir) => join(dir, name)).find((path) => existsSync(path));
      if (!source) continue;
      const destination = join(modules, ...name.split('/'));
      mkdirSync(join(destination, '..'), { recursive: true });
      symlinkSync(realpathSync(source), destination, 'dir');
    }

    for (const block of blocks) {
      const file = join(project.dir, `block-${block.fenceLine}.ts`);
      writeFileSync(file, block.code);
      files.push({ readme, block, file, project });
    }
  }
  return files;
}

/** Type errors by file: the blocks' own, and those in the packages' declaration files. */
export interface TypecheckResult {
  byFile: Map<string, string[]>;
  /** Errors in the packages' own `.d.ts` files (a broken `dist/index.d.ts`), without repeats. */
  elsewhere: string[];
}

/** Typechecks the blocks as one program, each block a module of its own. */
export function typecheck(root: string, files: readonly ExampleFile[]): TypecheckResult {
  const byPath = new Map(files.map((entry) => [entry.file, entry]));
  const copies = new Map(files.flatMap((entry) => [...entry.project.copies]));
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
  const elsewhere = new Set<string>();
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const source = diagnostic.file;
    if (!source) {
      elsewhere.add(`TS${diagnostic.code} ${message}`);
      continue;
    }
    const { line, character } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const fileName = source.fileName.split('/').join(sep);
    const example = byPath.get(fileName);
    if (example) {
      const where = `${example.readme.path}:${example.block.fenceLine + line + 1}:${character + 1}`;
      const list = byFile.get(example.file) ?? [];
      list.push(`${where} TS${diagnostic.code} ${message}`);
      byFile.set(example.file, list);
      continue;
    }
    // A copied @chatd package is reported under its folder in the repository. Third-party types
    // may assume the DOM library (ai's HeadersInit) or type packages nobody installs (PGlite's
    // Emscripten); a project with skipLibCheck: false adds those itself, so they are skipped.
    const copy = [...copies].find(([dir]) => fileName.startsWith(`${dir}${sep}`));
    const path = copy
      ? join(copy[1], relative(copy[0], fileName))
      : relative(root, realpathSync(fileName));
    if (!copy && path.split(sep).includes('node_modules')) continue;
    elsewhere.add(`${path}:${line + 1}:${character + 1} TS${diagnostic.code} ${message}`);
  }
  return { byFile, elsewhere: [...elsewhere] };
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
      { cwd: example.project.dir, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // Stack traces name the README line and the package folder, not the throwaway copies.
        let output = `${stdout}${stderr}`.replace(
          new RegExp(`(?:file://)?${escapeRegExp(example.file)}:(\\d+)`, 'g'),
          (_, line: string) => `${example.readme.path}:${example.block.fenceLine + Number(line)}`,
        );
        for (const [copy, folder] of example.project.copies)
          output = output.replace(
            new RegExp(`(?:file://)?${escapeRegExp(copy)}${escapeRegExp(sep)}`, 'g'),
            `${folder}/`,
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
