/**
 * `lambdascrape run` as a child process (from the sources, through tsx), for end-to-end tests
 * that kill it: `kill('SIGKILL')` ends it without any shutdown, as a crash or the OOM killer
 * would. It listens on a free loopback port; `metric()` reads its /metrics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pollUntil } from './poll.js';
import { freePort } from './processes.js';
import { runnerMetric } from './runner-metric.js';

const ENTRY = fileURLToPath(new URL('./lambdascrape-cli.ts', import.meta.url));

export interface RunProcess {
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sum of the values of the series `name` whose labels include every `labels` pair. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Sends `signal` without waiting (SIGHUP reloads). */
  signal(signal: NodeJS.Signals): void;
}

export interface RunProcessOptions {
  /** How much of the latest output {@link RunProcess.output} keeps. @default 40_000 */
  readonly maxOutputChars?: number;
}

/** Starts `lambdascrape run <args> --listen 127.0.0.1:<free port>`; resolves once /-/ready answers. */
export async function startRunProcess(
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<RunProcess> {
  const maxOutputChars = options.maxOutputChars ?? 40_000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ENTRY, 'run', ...args, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const append = (b: Buffer) => {
    log = (log + b.toString()).slice(-maxOutputChars);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child.kill(signal);
    await exited;
  };
  try {
    await pollUntil(
      async () => {
        if (!running()) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
        const res = await fetch(`${url}/-/ready`);
        await res.body?.cancel();
        return res.ok ? true : undefined;
      },
      { what: 'lambdascrape run ready', timeoutMs: 30_000, describe: () => log },
    );
  } catch (err) {
    await kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${log}`);
  }
  return {
    url,
    output: () => log,
    kill,
    signal: (signal) => {
      if (running()) child.kill(signal);
    },
    metric: (name, labels = {}) => runnerMetric(url, name, labels),
  };
}
