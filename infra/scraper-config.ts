/**
 * The prometheus.yml a deployment bundles, loaded and checked at synth time with the project's
 * own loader (`loadCheckedConfig`, what `lambdascrape check config` runs), so an invalid config
 * fails `cdk synth` with the message `check config` prints, before anything is deployed.
 *
 * Two views of the same text are kept:
 * - `config`: the config as checked on this machine (relative paths resolve against the folder
 *   of the file here); it decides IAM, bundled files and credential-file checks;
 * - `lambdaView`: the main file loaded as the Lambda functions will load it, from
 *   `/var/task/prometheus.yml` (LAMBDASCRAPE_CONFIG defaults to `./prometheus.yml` and Lambda's
 *   working directory is the task root). Comparing the two tells a path written relative (it
 *   moves with the config, so it can be bundled) from one written absolute (it cannot).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { loadCheckedConfig } from '../src/config/load-file.js';
import type { Config } from '../src/config/types.js';
import { discoveryCheck } from '../src/discovery/check.js';

/** Where the config lives inside each function (Lambda's task root + the bundled name). */
export const LAMBDA_TASK_ROOT = '/var/task';
export const BUNDLED_CONFIG_NAME = 'prometheus.yml';

export const SCRAPER_CONFIG_ERROR_CODES = {
  /** The file does not pass `lambdascrape check config`; the message carries its output. */
  invalid: 'LAMBDASCRAPE_CONFIG_INVALID',
} as const;

/** The one error class of this module: the config is invalid; `problems` as the loader gave them. */
export class ScraperConfigError extends Error {
  override readonly name = 'ScraperConfigError';
  readonly code = SCRAPER_CONFIG_ERROR_CODES.invalid;
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    // The second line is exactly what `lambdascrape check config PATH` writes to stderr
    // (src/cli/check.ts), so the synth error and the CLI read the same.
    super(
      `invalid prometheus.yml: \`lambdascrape check config ${path}\` says:\n  FAILED: ${problems.join('\n')}`,
      options,
    );
  }
}

/** A checked prometheus.yml, ready to hand to {@link LambdaScraper}. */
export interface ScraperConfig {
  /** The path as given (messages use it). */
  readonly path: string;
  /** Absolute path of the file on this machine. */
  readonly absolutePath: string;
  /** Absolute folder of the file: relative paths in it resolve against this. */
  readonly dir: string;
  /** The text that gets bundled. */
  readonly text: string;
  /** The config as checked here. */
  readonly config: Config;
  /** The main file as the functions see it from {@link LAMBDA_TASK_ROOT} (paths only). */
  readonly lambdaView: Config;
  /** `check config` warnings (sections ignored, discovery lacking, jobs skipped); the construct shows them at synth. */
  readonly warnings: readonly string[];
  /**
   * Whether jobs whose only discovery is a mechanism lambdascrape lacks were skipped rather than
   * refused; the construct passes it on to the functions (LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY)
   * so that they load the config as it was checked.
   */
  readonly skipUnsupportedDiscovery: boolean;
}

export interface LoadScraperConfigOptions {
  /** Variables for `$VAR` in external labels. @default process.env (as `check config`) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Skip, with a warning, each job whose only discovery is a mechanism lambdascrape lacks
   * (`check config --skip-unsupported-discovery`; CDK context key `skipUnsupportedDiscovery`).
   * @default false: such a job fails the synth
   */
  readonly skipUnsupportedDiscovery?: boolean;
}

/**
 * Loads and checks `path`. Throws {@link ScraperConfigError} when `lambdascrape check config`
 * would fail on it; other errors (none expected) pass through.
 */
export async function loadScraperConfig(
  path: string,
  options: LoadScraperConfigOptions = {},
): Promise<ScraperConfig> {
  const env = options.env ?? process.env;
  const skipUnsupportedDiscovery = options.skipUnsupportedDiscovery === true;
  let config: Config;
  try {
    config = await loadCheckedConfig(path, env, discoveryCheck({ skipUnsupportedDiscovery }));
  } catch (err) {
    if (err instanceof ConfigError)
      throw new ScraperConfigError(path, [err.message], { cause: err });
    throw err;
  }
  const text = await readFile(path, 'utf8');
  // Same text, so it loads again; only the folder differs. Files of scrape_config_files are
  // not found from /var/task here, so this view holds the main file's jobs only.
  const lambdaView = loadConfig(text, {
    sourcePath: `${LAMBDA_TASK_ROOT}/${BUNDLED_CONFIG_NAME}`,
    env,
  });
  const absolutePath = resolve(path);
  return {
    path,
    absolutePath,
    dir: dirname(absolutePath),
    text,
    config,
    lambdaView,
    warnings: config.warnings ?? [],
    skipUnsupportedDiscovery,
  };
}
