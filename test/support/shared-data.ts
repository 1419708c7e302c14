/**
 * Data the tests share with other projects (conformance suites) lives in a `shared/` folder
 * beside the repository, not inside it: CI checks it out there, a user's clone has none. Every
 * test that reads it declares its suite through `describeWithSharedData`, which decides once
 * what a missing folder means:
 *
 * - present → the suite runs;
 * - absent and `CI=true` → one test fails, naming the missing path (CI must not go green by
 *   running less);
 * - absent otherwise → the suite is skipped and one line on stderr says which suite, which path
 *   and how to provide it, so `npm test` passes on a fresh clone without hiding the gap.
 *
 * The root is `$LAMBDASCRAPE_SHARED_DIR` when set (another layout, or a check of the cases
 * above with a path that does not exist), else `../shared` from the repository root.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const SHARED_DIR_ENV = 'LAMBDASCRAPE_SHARED_DIR';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared data root: `$LAMBDASCRAPE_SHARED_DIR` if non-empty, else `../shared`. */
export function sharedRoot(): string {
  const fromEnv = process.env[SHARED_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.resolve(repoRoot, '..', 'shared');
}

/**
 * Declares the suite `title` over the shared folder `relative` (a path under `sharedRoot()`,
 * e.g. `conformance/relabel`). `body` receives the folder's absolute path and declares tests as
 * a `describe` body does; it is called only when the folder exists, so it may read files at
 * collection time.
 */
export function describeWithSharedData(
  title: string,
  relative: string,
  body: (dir: string) => void,
): void {
  const dir = path.join(sharedRoot(), relative);
  if (existsSync(dir)) {
    describe(title, () => body(dir));
    return;
  }
  const how = `check out shared/ beside the repository or set ${SHARED_DIR_ENV} to its folder`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('finds its shared data', () => {
        throw new Error(`shared data missing: ${dir} does not exist (CI=true requires it; ${how})`);
      });
    });
    return;
  }
  console.warn(`skipped "${title}": shared data ${dir} does not exist (${how}; CI=true fails)`);
  describe.skip(title, () => {
    it(`needs ${dir}`, () => {});
  });
}
