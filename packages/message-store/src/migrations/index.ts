export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
export { MIGRATIONS_TABLE, migrate } from './migrator.js';
