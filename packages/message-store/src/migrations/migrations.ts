import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-draft-batches.js';
import { migration0003 } from './0003-attempt-resets-with-history.js';
import { migration0004 } from './0004-unlogged-drafts.js';
import { migration0005 } from './0005-snapshot-expectation.js';

/** One schema step: applied once, in `version` order, inside its own transaction. */
export interface Migration {
  /** Positive, increasing by one per migration. */
  readonly version: number;
  /** Short description, recorded with the version. */
  readonly name: string;
  /** The SQL, possibly several statements. */
  readonly sql: string;
}

/**
 * Every migration this version ships, oldest first. Each is a TS module exporting its SQL, so
 * the bundler puts it inside `dist/` and a packed tarball migrates without extra files.
 */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
];

/** The schema version this package writes. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
