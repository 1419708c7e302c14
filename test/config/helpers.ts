import { ConfigError } from '../../src/config/errors.js';
import { type LoadOptions, loadConfig } from '../../src/config/load.js';
import type { Config, ScrapeConfig } from '../../src/config/types.js';

/**
 * Dedents a YAML template literal: drops the first line break and the indentation common to all
 * non-blank lines, so positions in expected messages count from the YAML as it reads in the test.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  // Cooked strings: write `\${VAR}` for a literal `${VAR}` and `\\n` for a YAML escape.
  const text = strings
    .reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '')
    .replace(/^\n/, '');
  const lines = text.split('\n');
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Loads YAML as `prometheus.yml` with an empty environment unless told otherwise. */
export function load(text: string, options: LoadOptions = {}): Config {
  return loadConfig(text, { sourcePath: 'prometheus.yml', env: {}, ...options });
}

/** The single job of a config. */
export function onlyJob(text: string, options: LoadOptions = {}): ScrapeConfig {
  const jobs = load(text, options).scrapeConfigs;
  if (jobs.length !== 1) throw new Error(`expected 1 job, got ${jobs.length}`);
  return jobs[0]!;
}

/** The messages a config is rejected with; fails when it loads. */
export function loadErrors(text: string, options: LoadOptions = {}): readonly string[] {
  try {
    load(text, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.errors;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}
