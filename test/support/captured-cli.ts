/**
 * `lambdascrape` run in process with its output captured: `runCliCaptured` for any command,
 * `runTargets`/`targetRows` for `lambdascrape targets` on a config text. (For a CLI in a process
 * of its own: lambdascrape-cli.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';

export interface CapturedIoOptions {
  /** What the command reads from stdin. @default empty */
  readonly stdin?: string | Uint8Array;
  /** The environment the command sees; not process.env. @default {} */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default false */
  readonly stdoutIsTTY?: boolean;
}

/** A `CliIo` that appends stdout and stderr to `out` and `err`. */
export interface CapturedIo {
  readonly io: CliIo;
  readonly out: string;
  readonly err: string;
}

export function captureIo(options: CapturedIoOptions = {}): CapturedIo {
  let out = '';
  let err = '';
  const stdin =
    typeof options.stdin === 'string'
      ? Buffer.from(options.stdin)
      : (options.stdin ?? Buffer.alloc(0));
  return {
    io: {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readStdin: async () => stdin,
      env: options.env ?? {},
      ...(options.stdoutIsTTY === undefined ? {} : { stdoutIsTTY: options.stdoutIsTTY }),
    },
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}

export interface CliResult {
  /** The exit code (0 ok, 1 failure, 2 usage). */
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `lambdascrape ARGV`, in process. */
export async function runCliCaptured(
  argv: readonly string[],
  options: CapturedIoOptions = {},
): Promise<CliResult> {
  const captured = captureIo(options);
  const code = await runCli(argv, captured.io);
  return { code, out: captured.out, err: captured.err };
}

/** One row of `lambdascrape targets --json`. */
export interface TargetRow {
  readonly job: string;
  /** null for a dropped target. */
  readonly url: string | null;
  /** {} for a dropped target. */
  readonly labels: Record<string, string>;
  readonly discoveredLabels: Record<string, string>;
  readonly state: 'active' | 'dropped';
}

/**
 * `lambdascrape targets --config FILE ARGS`, FILE being `config` written to `prometheus.yml` in
 * a folder of its own (messages name it `…/prometheus.yml:LINE:COL`), removed afterwards.
 */
export async function runTargets(
  config: string,
  args: readonly string[] = [],
  options: CapturedIoOptions = {},
): Promise<CliResult> {
  const dir = await mkdtemp(join(tmpdir(), 'lambdascrape-targets-'));
  try {
    const path = join(dir, 'prometheus.yml');
    await writeFile(path, config);
    return await runCliCaptured(['targets', '--config', path, ...args], options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The rows of `lambdascrape targets --config FILE --json ARGS` (see runTargets), once the
 * command has written nothing to stderr and exited 0.
 */
export async function targetRows(
  config: string,
  args: readonly string[] = [],
  options: CapturedIoOptions = {},
): Promise<TargetRow[]> {
  const r = await runTargets(config, ['--json', ...args], options);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as TargetRow[];
}

/**
 * What discovery itself gave a row: `__address__` and the `__meta_*` labels, without those the
 * job adds (`job`, `__scheme__`, `__metrics_path__`, …).
 */
export function sdLabels(row: TargetRow): Record<string, string> {
  return Object.fromEntries(
    Object.entries(row.discoveredLabels).filter(
      ([name]) => name === '__address__' || name.startsWith('__meta_'),
    ),
  );
}
