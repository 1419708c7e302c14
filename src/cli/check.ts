import { ConfigError } from '../config/index.js';
import { loadCheckedConfig } from '../config/load-file.js';
import { discoveryCheck, SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import { createParser, formatSampleLine, loadParser, selectFormat } from '../exposition/index.js';
import { EntryKind } from '../exposition/types.js';
import { type CommandSpec, parseCommand } from './command.js';
import { type CliIo, UsageError } from './io.js';

/**
 * `check config [--skip-unsupported-discovery] FILE...`: exit 0 when every file is valid, 1 with
 * the errors otherwise; warnings (what is valid but ignored) go to stderr either way. The flag
 * turns a job left without a discovery mechanism lambdascrape runs from an error into a warning
 * (the job is skipped), as it does for `run` and `simulate`.
 */
export const CHECK_CONFIG_COMMAND = {
  name: 'check config',
  summary: 'validate prometheus.yml files as Prometheus 3 does, and say what lambdascrape ignores',
  positionals: 'FILE...',
  options: {
    [SKIP_UNSUPPORTED_DISCOVERY_FLAG]: {
      type: 'boolean',
      default: false,
      help: 'skip, with a warning, each job whose only service discovery lambdascrape lacks',
    },
  },
  details: 'Exit 0 when every file is valid (warnings go to stderr), 1 otherwise.',
} as const satisfies CommandSpec;

export async function checkConfigCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseCommand(CHECK_CONFIG_COMMAND, args);
  if (positionals.length === 0) throw new UsageError('check config needs at least one FILE');
  const check = discoveryCheck({
    skipUnsupportedDiscovery: values[SKIP_UNSUPPORTED_DISCOVERY_FLAG] === true,
  });
  let failed = false;
  for (const file of positionals) {
    io.stdout(`Checking ${file}\n`);
    try {
      const config = await loadCheckedConfig(file, io.env, check);
      io.stdout(
        `  SUCCESS: ${file} is valid prometheus config file syntax (${config.scrapeConfigs.length} scrape configs, ${config.remoteWrite.length} remote writes)\n`,
      );
      for (const warning of config.warnings ?? []) {
        io.stderr(`  WARNING: ${warning}\n`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      failed = true;
      io.stderr(`  FAILED: ${err.message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/**
 * `check metrics`: parses an exposition body from stdin. Exit 0 when it parses, 1 with the
 * first error (it carries the line number) otherwise. `--print` writes every sample as
 * `name{labels} value [timestamp]`.
 *
 * It is a linter, so OpenMetrics bodies are checked with the format's whole-family rules
 * (strict mode); scrapes accept what Prometheus accepts. `--lenient` checks the way a scrape
 * parses.
 */
export const CHECK_METRICS_COMMAND = {
  name: 'check metrics',
  summary: 'parse an exposition body from stdin and report the first error, with its line',
  options: {
    'content-type': {
      type: 'string',
      default: 'text/plain; version=0.0.4',
      value: 'TYPE',
      help: "the body's Content-Type (OpenMetrics, protobuf: as a target would send it)",
    },
    print: {
      type: 'boolean',
      default: false,
      help: 'print every sample as name{labels} value [timestamp]',
    },
    lenient: {
      type: 'boolean',
      default: false,
      help: 'parse as a scrape does (OpenMetrics: without the whole-family rules)',
    },
  },
  details: 'Exit 0 when the body parses, 1 otherwise.',
} as const satisfies CommandSpec;

export async function checkMetricsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(CHECK_METRICS_COMMAND, args);
  const selected = selectFormat(values['content-type'], undefined);
  if ('error' in selected) {
    io.stderr(`error: ${selected.error}\n`);
    return 1;
  }
  const body = await io.readStdin();
  await loadParser(selected.format);
  const parser = createParser(selected.format, body, { strict: !values.lenient });
  const lines: string[] = [];
  let samples = 0;
  try {
    for (let kind = parser.next(); kind !== EntryKind.EOF; kind = parser.next()) {
      if (kind !== EntryKind.Series) continue;
      samples++;
      if (values.print) {
        lines.push(formatSampleLine(parser.labels(), parser.value(), parser.timestampMs()));
        if (lines.length >= 4096) io.stdout(`${lines.splice(0).join('\n')}\n`);
      }
    }
  } catch (err) {
    if (lines.length > 0) io.stdout(`${lines.join('\n')}\n`);
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (lines.length > 0) io.stdout(`${lines.join('\n')}\n`);
  if (!values.print) io.stderr(`${samples} samples parsed\n`);
  return 0;
}
