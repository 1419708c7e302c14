/**
 * The `simulate` command's options and help, apart from the command itself (`simulate.ts`), so
 * that the CLI lists it without loading the serverless runtime and the AWS SDK clients every
 * other command would then carry (docs/performance.md).
 */
import { SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import type { CommandSpec } from './command.js';

/**
 * `simulate --config FILE [--duration D] [--log-format human|json] [--price KEY=USD]…
 * [--memory FUNCTION=MB]…`: runs the serverless flow locally (see the file comment) until
 * `--duration` (a Prometheus duration) passes or SIGINT/SIGTERM; SIGHUP deploys the config file
 * again (`Simulation.redeploy`). What it prints is `simulate-report.ts`'s: for people (the
 * default when stdout is a terminal, `io.stdoutIsTTY`) a start line, when the first scrapes
 * come, a status line every `statusEveryMs`, warnings, a summary and the cost report table, all
 * on stdout; for scripts (`--log-format json`, the default otherwise) the JSON lines of before
 * plus simulate's own events, the cost report as a table on stderr and one `cost report` line
 * on stdout (stdout stays JSON lines). EMF lines (`--detailed-monitoring`) are printed in the
 * json format only; both formats count them in the cost.
 * `--price` overrides a unit price, `--memory` a function's memory size (both repeatable).
 * `--skip-unsupported-discovery` skips jobs whose only discovery lambdascrape lacks (as for `run`).
 * Exit 1 for an invalid config or missing dev dependencies.
 */
export const SIMULATE_COMMAND = {
  name: 'simulate',
  summary:
    'run the Lambda deployment locally (functions, tables and queues in-process) and estimate its monthly cost',
  options: {
    config: { type: 'string', value: 'FILE', help: 'the prometheus.yml' },
    duration: {
      type: 'string',
      value: 'DURATION',
      help: 'stop after this long (default: until Ctrl-C)',
    },
    'log-format': {
      type: 'string',
      value: 'human|json',
      help: "human: status lines, warnings and a summary; json: the functions' JSON log lines (default: human on a terminal, json when stdout is not one)",
    },
    price: {
      type: 'string',
      multiple: true,
      value: 'KEY=USD',
      help: 'override a price of the cost model',
    },
    memory: {
      type: 'string',
      multiple: true,
      value: 'FN=MB',
      help: "override a function's memory size",
    },
    'detailed-monitoring': {
      type: 'boolean',
      help: 'also price the per-target CloudWatch metrics (and print their EMF lines with json)',
    },
    [SKIP_UNSUPPORTED_DISCOVERY_FLAG]: {
      type: 'boolean',
      default: false,
      help: 'skip, with a warning, each job whose only service discovery lambdascrape lacks',
    },
  },
  details:
    'The first scrapes come in the first whole minute at least 10s after the start, so run for a\n' +
    'few minutes. Piped or redirected, stdout stays JSON lines (scripts read them) unless\n' +
    '--log-format human is given.\n' +
    'SIGHUP redeploys the config, SIGUSR1 prints the cost report, Ctrl-C stops and prints the\n' +
    'summary and the cost report.\nExit 1 when the config is invalid.',
} as const satisfies CommandSpec;
