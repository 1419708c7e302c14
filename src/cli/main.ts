/**
 * The `lambdascrape` command. Shaped like promtool: `check config`, `check metrics`, plus
 * `targets` and `scrape` to see what the engine does with a prometheus.yml, `run` for one
 * process and `simulate` for the Lambda deployment rehearsed locally. Every command takes
 * `--help`; exit codes are those of `command.ts` (0 ok, 1 failure, 2 usage).
 */
import { ConfigError } from '../config/errors.js';
import { LAMBDASCRAPE_HTTP_VERSION } from '../http/user-agent.js';
import {
  CHECK_CONFIG_COMMAND,
  CHECK_METRICS_COMMAND,
  checkConfigCommand,
  checkMetricsCommand,
} from './check.js';
import {
  type CommandSpec,
  CommandUsageError,
  closest,
  commandHelp,
  HelpRequested,
} from './command.js';
import { type CliIo, UsageError } from './io.js';
import { RUN_COMMAND, runCommand } from './run.js';
import { SCRAPE_COMMAND, scrapeCommand } from './scrape.js';
import { SIMULATE_COMMAND } from './simulate-command.js';
import { STATUS_COMMAND, statusCommand } from './status.js';
import { TARGETS_COMMAND, targetsCommand } from './targets.js';

interface Command {
  readonly spec: CommandSpec;
  readonly run: (args: readonly string[], io: CliIo) => Promise<number>;
}

/** Every command, in the order the usage lists them. */
const COMMANDS: readonly Command[] = [
  { spec: CHECK_CONFIG_COMMAND, run: checkConfigCommand },
  { spec: CHECK_METRICS_COMMAND, run: checkMetricsCommand },
  { spec: TARGETS_COMMAND, run: targetsCommand },
  { spec: SCRAPE_COMMAND, run: scrapeCommand },
  { spec: RUN_COMMAND, run: runCommand },
  {
    spec: SIMULATE_COMMAND,
    // Loaded when asked for: the serverless runtime and the AWS SDK clients are ~10 MiB that
    // `run` and the other commands would hold for nothing.
    run: async (args, io) => (await import('./simulate.js')).simulateCommand(args, io),
  },
  { spec: STATUS_COMMAND, run: statusCommand },
];

export const VERSION_TEXT = `lambdascrape ${LAMBDASCRAPE_HTTP_VERSION} (node ${process.versions.node})\n`;

export const USAGE = `usage: lambdascrape <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.spec.name.padEnd(14)}  ${c.spec.summary}`).join('\n')}

Run "lambdascrape <command> --help" for a command's options; "lambdascrape --version" for the
version. Exit codes: 0 success, 1 failure, 2 usage error.
`;

/** The command `argv` names (one or two words) and the arguments after it. */
function findCommand(argv: readonly string[]): { command?: Command; rest: readonly string[] } {
  for (const c of COMMANDS) {
    const words = c.spec.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return { rest: argv };
}

/** Runs one command; resolves to the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    const { command } = findCommand(argv.slice(1));
    io.stdout(command === undefined ? USAGE : commandHelp(command.spec));
    return 0;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout(VERSION_TEXT);
    return 0;
  }
  const { command, rest } = findCommand(argv);
  try {
    if (command === undefined) throw new UsageError(unknownCommand(argv));
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.stdout(err.text);
      return 0;
    }
    // `targets` and `scrape` let an invalid config through to here: its message says it all.
    if (err instanceof ConfigError) {
      io.stderr(`error: invalid config:\n${err.message}\n`);
      return 1;
    }
    if (err instanceof CommandUsageError) {
      io.stderr(`lambdascrape: ${err.message}\n\n${commandHelp(err.spec)}`);
      return 2;
    }
    if (err instanceof UsageError) {
      const help = command === undefined ? USAGE : commandHelp(command.spec);
      io.stderr(`lambdascrape: ${err.message}\n\n${help}`);
      return 2;
    }
    throw err;
  }
}

/** "unknown command", with the closest command when the words look like a typo of one. */
function unknownCommand(argv: readonly string[]): string {
  const typed = argv[0] === 'check' ? `check ${argv[1] ?? ''}`.trim() : argv[0]!;
  const near = closest(
    typed,
    COMMANDS.map((c) => c.spec.name),
  );
  return `unknown command "${typed}"${near === undefined ? '' : `; did you mean "${near}"?`}`;
}
