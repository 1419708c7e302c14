import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { Diagnostics } from './diagnostics.js';
import { ConfigError } from './errors.js';
import { GlobError, glob } from './glob.js';
import { parseGlobalConfig } from './global.js';
import { parseIgnoredSections } from './ignored-sections.js';
import { parseRemoteWriteConfigs } from './remote-write.js';
import { type ParsedScrapeConfig, parseScrapeConfigs } from './scrape-config.js';
import { createSecret } from './secret.js';
import type { Config, GlobalConfig, ScrapeConfig } from './types.js';
import { YamlReader } from './yaml-reader.js';
import { decodeConfigBytes, sourceProblems } from './yaml-source.js';

export interface LoadOptions {
  /**
   * Where the text came from. Used in error positions and as the folder that relative `*_file`
   * paths, file_sd paths and `scrape_config_files` resolve against. Without it, positions read
   * `<config>:line:col` and relative paths stay as written (relative to the working directory).
   */
  readonly sourcePath?: string;
  /** Variables for `$VAR` in external labels (§1.2). Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Top-level sections; those lambdascrape does not act on are validated and ignored (ignored-sections.ts). */
export const TOP_LEVEL_FIELDS = new Set([
  'global',
  'runtime',
  'alerting',
  'rule_files',
  'scrape_config_files',
  'scrape_configs',
  'storage',
  'tracing',
  'remote_write',
  'remote_read',
  'otlp',
]);

/** Allowed `rule_files` / `scrape_config_files` patterns: one `*` at most, in the last element. */
const FILE_PATTERN = /^[^*]*(\*[^/]*)?$/;

const UNNAMED_SOURCE = '<config>';

/**
 * Parses and validates a prometheus.yml (§1) into a {@link Config} with every default and every
 * inheritance from `global` applied. Files named by `scrape_config_files` are read synchronously
 * (their jobs follow those of the main file). Credential files are never read.
 *
 * @throws {ConfigError} listing every problem found, each as `file:line:col: message`.
 */
export function loadConfig(text: string, options: LoadOptions = {}): Config {
  const sourcePath = options.sourcePath ?? '';
  const env = options.env ?? process.env;
  const errors = new Diagnostics();
  const warnings = new Diagnostics();
  const dir = sourcePath === '' ? '' : resolve(dirname(sourcePath));
  const reader = parseYaml(text, sourcePath || UNNAMED_SOURCE, dir, errors, warnings);
  if (reader === undefined) throw new ConfigError(errors.sorted());

  const root = reader.struct(reader.root(), 'config.Config', TOP_LEVEL_FIELDS);
  const value = (name: string) => root?.value(name) ?? null;
  const global = parseGlobalConfig(reader, value('global'), env);

  const checkPatterns = (name: string, what: string): string[] => {
    const patterns = root?.stringList(name) ?? [];
    for (const pattern of patterns) {
      if (!FILE_PATTERN.test(pattern)) {
        root?.fail(name, `invalid ${what} path ${JSON.stringify(pattern)}`);
      }
    }
    return patterns.filter((p) => FILE_PATTERN.test(p));
  };
  checkPatterns('rule_files', 'rule file');
  const alertmanagers = root === undefined ? [] : parseIgnoredSections(root, global);
  const scrapeConfigFiles = checkPatterns('scrape_config_files', 'scrape config file');

  const jobs = new JobList(reader);
  for (const job of parseScrapeConfigs(reader, value('scrape_configs'), global)) {
    jobs.add(job, undefined);
  }
  const remoteWrite = parseRemoteWriteConfigs(
    reader,
    value('remote_write'),
    global.metricNameValidationScheme,
  );

  // scrape_config_files (§1.3): relative patterns resolve against the config folder.
  const resolvedPatterns = scrapeConfigFiles.map((p) =>
    sourcePath === '' || isAbsolute(p) ? p : join(dirname(sourcePath), p),
  );
  for (const pattern of resolvedPatterns) {
    loadScrapeConfigFiles(pattern, global, jobs, errors, warnings);
  }

  if (errors.length > 0) throw new ConfigError(errors.sorted());
  return {
    sourcePath,
    sourceText: createSecret(text),
    global,
    scrapeConfigs: jobs.configs,
    remoteWrite,
    scrapeConfigFiles: resolvedPatterns.map((p) => (sourcePath === '' ? p : resolve(p))),
    warnings: warnings.sorted(),
    alertmanagers,
  };
}

/** Reads and loads a config file; see {@link loadConfig}. */
export async function loadConfigFile(
  path: string,
  options: Omit<LoadOptions, 'sourcePath'> = {},
): Promise<Config> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ConfigError([`${path}: ${(err as Error).message}`], { cause: err });
  }
  const decoded = decodeConfigBytes(bytes);
  if (!('text' in decoded)) {
    throw new ConfigError([`${path}:${decoded.line}:${decoded.col}: ${decoded.message}`]);
  }
  return loadConfig(decoded.text, { ...options, sourcePath: path });
}

/**
 * What `promtool check config` answers, for the CLI: every problem of the config file as
 * `file:line:col: message`, or `[]` when it is valid.
 */
export async function checkConfig(
  path: string,
  options: Omit<LoadOptions, 'sourcePath'> = {},
): Promise<string[]> {
  try {
    await loadConfigFile(path, options);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.errors];
    throw err;
  }
}

/**
 * Parses YAML keeping node positions. Syntax errors are recorded (with position, and with the
 * parser's source excerpt removed so no secret is echoed) and give `undefined`.
 */
function parseYaml(
  text: string,
  file: string,
  dir: string,
  errors: Diagnostics,
  warnings: Diagnostics,
): YamlReader | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // go-yaml v2 semantics: `<<` merge keys work; duplicate keys are reported by the reader
    // with go-yaml's wording.
    merge: true,
    uniqueKeys: false,
  });
  if (doc.errors.length === 0) {
    const problems = sourceProblems(text, doc, (offset) => lineCounter.linePos(offset));
    for (const p of problems) errors.add(file, p.line, p.col, p.message);
    return problems.length === 0
      ? new YamlReader(file, dir, doc, lineCounter, errors, warnings)
      : undefined;
  }
  for (const err of doc.errors) {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    const message = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    errors.add(file, line, col, message);
  }
  return undefined;
}

/** Jobs in load order with their names, so duplicates across files can be reported. */
class JobList {
  readonly configs: ScrapeConfig[] = [];
  /** Job name → where it was first defined, for messages (undefined = main config file). */
  private readonly origin = new Map<string, string | undefined>();

  constructor(private readonly mainReader: YamlReader) {}

  add(job: ParsedScrapeConfig, file: string | undefined, reader = this.mainReader): void {
    const name = job.jobName;
    // A job without a name was reported already.
    if (name === '') return;
    if (this.origin.has(name)) {
      const first = this.origin.get(name);
      const where =
        file === undefined
          ? ''
          : `, first found in ${first === undefined ? 'main config file' : JSON.stringify(first)}`;
      reader.fail(
        job.jobNameNode,
        `found multiple scrape configs with job name ${JSON.stringify(name)}${where}`,
      );
      return;
    }
    this.origin.set(name, file);
    if (job.config) this.configs.push(job.config);
  }
}

export const SCRAPE_CONFIG_FILE_FIELDS = new Set(['scrape_configs']);

/** Loads the jobs of every file matching one `scrape_config_files` pattern (glob order). */
function loadScrapeConfigFiles(
  pattern: string,
  global: GlobalConfig,
  jobs: JobList,
  errors: Diagnostics,
  warnings: Diagnostics,
): void {
  let files: string[];
  try {
    files = glob(pattern);
  } catch (err) {
    if (!(err instanceof GlobError)) throw err;
    errors.addGeneral(
      `error retrieving scrape config files for ${JSON.stringify(pattern)}: ${err.message}`,
    );
    return;
  }
  for (const file of files) {
    let decoded: ReturnType<typeof decodeConfigBytes>;
    try {
      decoded = decodeConfigBytes(readFileSync(file));
    } catch (err) {
      errors.add(file, 0, 0, (err as Error).message);
      continue;
    }
    if (!('text' in decoded)) {
      errors.add(file, decoded.line, decoded.col, decoded.message);
      continue;
    }
    const reader = parseYaml(decoded.text, file, resolve(dirname(file)), errors, warnings);
    if (reader === undefined) continue;
    const root = reader.struct(reader.root(), 'config.ScrapeConfigs', SCRAPE_CONFIG_FILE_FIELDS);
    for (const job of parseScrapeConfigs(reader, root?.value('scrape_configs') ?? null, global)) {
      jobs.add(job, file, reader);
    }
  }
}
