import { ConfigError } from './errors.js';
import { loadConfigFile } from './load.js';
import type { Config } from './types.js';

/**
 * A check of a loaded config that the loader cannot make itself: the `*_sd_configs` it carries
 * as data are validated by their discovery mechanisms (`discoveryConfigErrors` in
 * `src/discovery/registry.ts`). Returns one message per problem, each naming its
 * `file:line:col` like the loader's own errors; none when all is well.
 *
 * The check is passed in rather than imported because src/discovery imports src/config: the
 * config folder stays at the bottom, with no cycle between the two.
 */
export type ConfigCheck = (config: Config) => readonly string[];

/**
 * Loads a prometheus.yml and runs `check` on it. Throws {@link ConfigError} listing every
 * problem, so `check config`, `targets`, `scrape`, `run`, the Lambda functions and `cdk deploy`
 * accept and reject the same files when they pass the same check.
 */
export async function loadCheckedConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  check: ConfigCheck,
): Promise<Config> {
  const config = await loadConfigFile(path, { env });
  const errors = check(config);
  if (errors.length > 0) throw new ConfigError([...errors]);
  return config;
}
