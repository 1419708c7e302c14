/**
 * What every command shares: its options declared once with their help, `--help` on every
 * command, and unknown options refused with a suggestion. A command declares a
 * {@link CommandSpec} and calls {@link parseCommand}; `main.ts` lists the specs.
 *
 * Exit codes (the same for every command, docs/cli.md): 0 success, 1 failure (an invalid config,
 * a failed scrape, an error at run time), 2 a usage error (unknown command or option, a missing
 * or malformed argument).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** What the option does, one line. */
  readonly help: string;
  /** The value's placeholder in the help, e.g. `FILE`. Default `VALUE` for string options. */
  readonly value?: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** As typed: `check config`, `run`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Positional arguments in the usage line, e.g. `FILE...`; none when absent. */
  readonly positionals?: string;
  readonly options: O;
  /** Paragraphs after the options: defaults, examples, what the output means. */
  readonly details?: string;
}

/** `--help` was asked for: the command prints its help and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly text: string) {
    super('help requested');
  }
}

/** A usage error of one command: `main.ts` prints the command's help after the message. */
export class CommandUsageError extends UsageError {
  constructor(
    message: string,
    readonly spec: CommandSpec,
  ) {
    super(message);
  }
}

type Parsed<O extends Record<string, OptionSpec>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses `args` by `spec`. Throws {@link HelpRequested} for `--help`/`-h`, and
 * {@link CommandUsageError} for an unknown option (naming the closest known one), a missing
 * value or unexpected positionals.
 */
export function parseCommand<const O extends Record<string, OptionSpec>>(
  spec: CommandSpec<O>,
  args: readonly string[],
): Parsed<O> {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested(commandHelp(spec));
  for (const arg of args) {
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0]!;
    if (!(name in spec.options)) {
      const near = closest(name, Object.keys(spec.options));
      throw new CommandUsageError(
        `unknown option --${name} for "${spec.name}"${near === undefined ? '' : `; did you mean --${near}?`}`,
        spec,
      );
    }
  }
  try {
    const parsed = parseArgs({
      args: [...args],
      options: spec.options as ParseArgsConfig['options'] & O,
      allowPositionals: true,
      strict: true,
    });
    if (spec.positionals === undefined && parsed.positionals.length > 0) {
      throw new CommandUsageError(
        `"${spec.name}" takes no argument "${parsed.positionals[0]}" (options start with --)`,
        spec,
      );
    }
    return parsed as Parsed<O>;
  } catch (err) {
    if (err instanceof CommandUsageError) throw err;
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new CommandUsageError(`${spec.name}: ${(err as Error).message}`, spec);
    }
    throw err;
  }
}

/** The command's help: usage line, options with their help and defaults, details. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = o.type === 'boolean' ? `--${name}` : `--${name} ${o.value ?? 'VALUE'}`;
    const repeat = o.multiple === true ? ' (repeatable)' : '';
    const dflt =
      o.default === undefined || o.default === false ? '' : ` (default ${String(o.default)})`;
    return [flag, `${o.help}${dflt}${repeat}`] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = [
    `usage: lambdascrape ${spec.name}${spec.positionals === undefined ? '' : ` ${spec.positionals}`} [options]`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
  ];
  if (spec.details !== undefined) lines.push('', spec.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/**
 * The candidate closest to `input` when it is close enough to be a likely typo (an edit
 * distance of at most a third of its length, at least 1, or a prefix); undefined otherwise.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.startsWith(input) && input.length >= 2 ? 0.5 : editDistance(input, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(input.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}
