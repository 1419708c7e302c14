import { ConfigError, loadConfigFile } from '../config/index.js';
import type { Config } from '../config/types.js';
import { discoveryConfigErrors } from '../discovery/registry.js';

/**
 * Loads a prometheus.yml and checks what the loader keeps for discovery: the `*_sd_configs` the
 * discovery mechanisms read themselves (errors as `file:line:col: message`, like the loader's).
 * Throws {@link ConfigError} listing every problem,
 * so `check config`, `targets`, `scrape` and `run` accept and reject the same files.
 */
export async function loadCheckedConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Config> {
  const config = await loadConfigFile(path, { env });
  const errors = discoveryConfigErrors(config);
  if (errors.length > 0) throw new ConfigError(errors);
  return config;
}
