import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const blockDrivers = fileURLToPath(new URL('./test-support/block-drivers.mjs', import.meta.url));

/** Imports `specifier` in a fresh Node process where loading pg or PGlite throws. */
function importWithDriversBlocked(specifier: string): { status: number | null; output: string } {
  const script = `await import(${JSON.stringify(specifier)}); console.log('imported');`;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', blockDrivers, '--input-type=module', '--eval', script],
    { cwd: packageDir, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('module graph', () => {
  it('the root entry @chatd/pubsub loads neither pg nor PGlite', () => {
    const result = importWithDriversBlocked(`${packageDir}src/index.ts`);
    expect(result.output).toContain('imported');
    expect(result.status).toBe(0);
  });

  it('the postgres entry loads no driver until a transport connects', () => {
    const result = importWithDriversBlocked(`${packageDir}src/postgres/index.ts`);
    expect(result.output).toContain('imported');
    expect(result.status).toBe(0);
  });

  it('the check works: importing pg directly fails under it', () => {
    const result = importWithDriversBlocked('pg');
    expect(result.output).toContain('driver loaded: pg');
    expect(result.status).not.toBe(0);
  });
});
