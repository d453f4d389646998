// The workspace folders of this repository, as pnpm-workspace.yaml lists them: every folder under
// packages/ and apps/ that has a package.json. Shared by the test summary and the README check.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Absolute paths of the workspace folders, packages/ first.
 * @param {string} root the repository root
 * @returns {string[]}
 */
export function listWorkspaces(root) {
  return ['packages', 'apps'].flatMap((group) => {
    const dir = join(root, group);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
      .map((entry) => join(dir, entry.name));
  });
}
