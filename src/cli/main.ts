/**
 * The `lambdascrape` command. Shaped like promtool: `check config`, `check metrics`, plus
 * `targets` and `scrape` to see what the engine does with a prometheus.yml.
 */
import { ConfigError } from '../config/errors.js';
import { checkConfigCommand, checkMetricsCommand } from './check.js';
import { type CliIo, UsageError } from './io.js';
import { runCommand } from './run.js';
import { scrapeCommand } from './scrape.js';
import { simulateCommand } from './simulate.js';
import { targetsCommand } from './targets.js';

export const USAGE = `usage: lambdascrape <command> [options]

commands:
  check config [--skip-unsupported-discovery] FILE...
                                           validate prometheus.yml files; --skip-unsupported-discovery
                                           (here and below) skips, with a warning, each job whose
                                           only service discovery lambdascrape lacks
  check metrics [--content-type TYPE] [--print] [--lenient]
                                           parse an exposition body from stdin
  targets --config FILE [--json] [--skip-unsupported-discovery]
                                           run discovery and target relabeling
  scrape --config FILE --job JOB [--target ADDRESS] [--skip-unsupported-discovery]
                                           scrape a job's targets once and print the series
  run --config FILE [--listen ADDR] [--storage.path DIR]
                                           scrape on schedule until stopped (default 127.0.0.1:9099);
                                           with DIR, keep what remote write has not delivered there
                                           [--storage.retention.time 2h] [--storage.retention.size 4GiB]
                                           [--deny-cidrs 169.254.0.0/16,…]: ranges no scrape or SD may reach
                                           [--skip-unsupported-discovery]
  simulate --config FILE [--duration D] [--price K=USD] [--memory FN=MB] [--detailed-monitoring]
           [--skip-unsupported-discovery]
                                           run the Lambda flow locally and estimate its monthly cost
`;

/** Runs one command; resolves to the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'check': {
        const [what, ...args] = rest;
        if (what === 'config') return await checkConfigCommand(args, io);
        if (what === 'metrics') return await checkMetricsCommand(args, io);
        throw new UsageError(`unknown check "${what ?? ''}"`);
      }
      case 'targets':
        return await targetsCommand(rest, io);
      case 'scrape':
        return await scrapeCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'simulate':
        return await simulateCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (err) {
    // `targets` and `scrape` let an invalid config through to here: its message says it all.
    if (err instanceof ConfigError) {
      io.stderr(`error: invalid config:\n${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      io.stderr(`lambdascrape: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (
      err instanceof Error &&
      (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      io.stderr(`lambdascrape: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
