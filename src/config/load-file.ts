import { ConfigError } from './errors.js';
import { loadConfigFile } from './load.js';
import type { Config } from './types.js';

/** What a {@link ConfigCheck} concludes about a loaded config. */
export interface ConfigCheckResult {
  /** One message per problem, each naming its `file:line:col` like the loader's errors. */
  readonly errors: readonly string[];
  /**
   * The config to run: the one checked, or a copy with jobs the check skips left out and its
   * warnings appended to `warnings`. Meaningless when there are errors.
   */
  readonly config: Config;
}

/**
 * A check of a loaded config that the loader cannot make itself: the `*_sd_configs` it carries
 * as data are validated by the discovery mechanisms, and whether each job has one that runs is
 * decided there (`discoveryCheck` in `src/discovery/check.ts`).
 *
 * The check is passed in rather than imported because src/discovery imports src/config: the
 * config folder stays at the bottom, with no cycle between the two.
 */
export type ConfigCheck = (config: Config) => ConfigCheckResult;

/**
 * Loads a prometheus.yml and runs `check` on it. Throws {@link ConfigError} listing every
 * problem, so `check config`, `targets`, `scrape`, `run`, `simulate`, the Lambda functions and
 * `cdk synth` accept and reject the same files when they pass the same check. The result's
 * `warnings` hold the loader's and the check's.
 */
export async function loadCheckedConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  check: ConfigCheck,
): Promise<Config> {
  const result = check(await loadConfigFile(path, { env }));
  if (result.errors.length > 0) throw new ConfigError([...result.errors]);
  return result.config;
}
