import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@chatd/core';
import type { TestProject } from 'vitest/node';
import { isAlive } from '../db/data-folder-lock.js';
import { openPostgres } from '../db/open-postgres.js';
import { migrate } from '../migrations/migrator.js';
import { migratedDump } from '../testing/create-test-store.js';
import {
  adminExec,
  dropDatabase,
  listPackageDatabases,
  TEST_DATABASE_URL,
  uniqueDatabaseName,
  urlForDatabase,
} from './postgres-admin.js';

/*
 * Runs once per `vitest run`: builds the migrated templates every test file copies, so a file
 * pays ~1 s (PGlite from a tarball) or a CREATE DATABASE … TEMPLATE instead of initdb plus
 * migrations.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a gzip tarball of a migrated PGlite data folder. */
    pgliteTemplatePath: string;
    /** Name of a migrated template database on TEST_DATABASE_URL's server, or ''. */
    postgresTemplateDatabase: string;
  }
}

let pgliteTemplatePath: string | undefined;
let postgresTemplateDatabase: string | undefined;

const TARBALL_PREFIX = 'chatd-message-store-template-';

/**
 * Removes templates and databases left by runs that were killed before their teardown: each
 * name carries the creating process's pid, and a dead pid's leftovers belong to nobody.
 */
async function removeLeftovers(): Promise<void> {
  for (const file of await readdir(tmpdir())) {
    const pid = /^chatd-message-store-template-(\d+)-/.exec(file)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) {
      await rm(join(tmpdir(), file), { force: true });
    }
  }
  if (TEST_DATABASE_URL === undefined) return;
  for (const name of await listPackageDatabases(TEST_DATABASE_URL)) {
    const pid = /^message_store_[a-z]+_(\d+)_/.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await dropDatabase(TEST_DATABASE_URL, name);
  }
}

/** Builds the PGlite tarball and, with TEST_DATABASE_URL, the template database. */
export async function setup(project: TestProject): Promise<void> {
  await removeLeftovers();
  const dump = await migratedDump();
  pgliteTemplatePath = join(
    tmpdir(),
    `${TARBALL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}.tar.gz`,
  );
  await writeFile(pgliteTemplatePath, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplatePath', pgliteTemplatePath);

  if (TEST_DATABASE_URL !== undefined) {
    postgresTemplateDatabase = uniqueDatabaseName('tpl');
    await adminExec(TEST_DATABASE_URL, `CREATE DATABASE "${postgresTemplateDatabase}"`);
    const connection = await openPostgres(
      {
        kind: 'url',
        url: urlForDatabase(TEST_DATABASE_URL, postgresTemplateDatabase),
        maxConnections: 1,
      },
      silentLogger,
    );
    try {
      await connection.withSession((session) => migrate(session, silentLogger));
    } finally {
      await connection.close();
    }
  }
  project.provide('postgresTemplateDatabase', postgresTemplateDatabase ?? '');
}

/** Removes the tarball and drops the template database. */
export async function teardown(): Promise<void> {
  if (pgliteTemplatePath !== undefined) await rm(pgliteTemplatePath, { force: true });
  if (TEST_DATABASE_URL !== undefined && postgresTemplateDatabase !== undefined) {
    await dropDatabase(TEST_DATABASE_URL, postgresTemplateDatabase);
  }
}
