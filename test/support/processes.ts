/**
 * Starting real Prometheus components (Debian packages) for end-to-end tests: each on a free
 * loopback port, waited on until it answers, stopped (and its data removed) by `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningProcess {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Everything the process wrote to stdout/stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A process that can be stopped and started again on the same port with the same data
 * directory (a backend outage). `stop()` ends it for good and removes its data.
 */
export interface RestartableProcess extends RunningProcess {
  /** True while the process runs (false after `halt()` until `restart()`). */
  readonly running: boolean;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s), keeping its port and data dir. */
  halt(): Promise<void>;
  /** Starts it again with the same arguments (same port, same data dir); waits until ready. */
  restart(): Promise<void>;
}

export function binaryAvailable(path: string): boolean {
  return existsSync(path);
}

/**
 * A port where a connection is refused: privileged, below the kernel's ephemeral range, so no
 * server another test starts with `listen(0)` can be handed it (a port freed by closing a
 * listener can be, and then answers instead of refusing).
 */
export const REFUSED_PORT = 1;

/** A port free now; another process may take it once this returns. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, output: () => string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `process exited with ${child.exitCode ?? child.signalCode} before ready: ${output()}`,
      );
    }
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready after ${ms} ms: ${url}\n${output()}`);
}

/** Sends SIGTERM, then SIGKILL when the process has not exited after `graceMs`; waits for exit. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(r, graceMs, 'timeout'));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export interface StartOptions {
  /** Extra cleanup after the process is stopped for good (config files…). */
  readonly cleanup?: () => Promise<void>;
  /** How long to wait for the ready path. @default 30_000 */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `bin` on a free loopback port with a fresh temporary directory and waits until
 * `readyPath` answers 2xx. When another process grabbed the port in between (parallel test
 * files), it tries again with another port.
 */
export async function startProcess(
  bin: string,
  args: (port: number, dir: string) => string[],
  readyPath: string,
  options: StartOptions = {},
): Promise<RestartableProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(bin, args, readyPath, options);
    } catch (err) {
      const portTaken = err instanceof Error && /address already in use/i.test(err.message);
      if (!portTaken || attempt >= 3) {
        await options.cleanup?.();
        throw err;
      }
    }
  }
}

async function startOnce(
  bin: string,
  args: (port: number, dir: string) => string[],
  readyPath: string,
  options: StartOptions,
): Promise<RestartableProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'lambdascrape-e2e-'));
  const argv = args(port, dir);
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const append = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async () => {
    const c = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout?.on('data', append);
    c.stderr?.on('data', append);
    child = c;
    await waitReady(`${url}${readyPath}`, c, () => log, options.readyTimeoutMs);
  };
  const halt = async () => {
    if (child !== undefined) await terminate(child, 10_000);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt();
    await rm(dir, { recursive: true, force: true });
    await options.cleanup?.();
  };

  try {
    await launch();
  } catch (err) {
    await halt();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    output: () => log,
    stop,
    halt,
    restart: async () => {
      if (stopped) throw new Error(`${bin} was stopped for good`);
      await halt();
      log += `\n--- restart ${new Date().toISOString()} ---\n`;
      await launch();
    },
  };
}

export function startNodeExporter(): Promise<RestartableProcess> {
  return startProcess(
    '/usr/bin/prometheus-node-exporter',
    (port) => [`--web.listen-address=127.0.0.1:${port}`],
    '/metrics',
  );
}

export interface PrometheusOptions {
  /** The prometheus binary. Default /usr/bin/prometheus (Debian's package). */
  readonly bin?: string;
  /**
   * Agent mode (`--enable-feature=agent`): scrapes and remote-writes only, no queries and no
   * remote-write receiver. Default false.
   */
  readonly agent?: boolean;
  /** More `--enable-feature` names, e.g. `native-histograms`. Default none. */
  readonly features?: readonly string[];
}

/**
 * A Prometheus server with the given configuration (YAML for `global:`, `scrape_configs:`,
 * `remote_write:` …). In server mode the remote-write receiver is on so it can also serve as a
 * backend; `restart()` keeps its TSDB.
 */
export async function startPrometheus(
  configYaml: string,
  options: PrometheusOptions = {},
): Promise<RestartableProcess> {
  const cfgDir = await mkdtemp(join(tmpdir(), 'lambdascrape-promcfg-'));
  const cfgFile = join(cfgDir, 'prometheus.yml');
  await writeFile(cfgFile, configYaml);
  const agent = options.agent ?? false;
  return startProcess(
    options.bin ?? '/usr/bin/prometheus',
    (port, dir) => [
      `--config.file=${cfgFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      ...(agent
        ? ['--enable-feature=agent', `--storage.agent.path=${dir}`]
        : [`--storage.tsdb.path=${dir}`, '--web.enable-remote-write-receiver']),
      ...(options.features ?? []).map((f) => `--enable-feature=${f}`),
    ],
    '/-/ready',
    { cleanup: () => rm(cfgDir, { recursive: true, force: true }) },
  );
}

/** A Pushgateway keeping what is pushed in memory only. */
export function startPushgateway(
  bin = '/usr/bin/prometheus-pushgateway',
): Promise<RestartableProcess> {
  return startProcess(
    bin,
    (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='],
    '/-/ready',
  );
}

/**
 * Replaces the metrics of group `job` (plus `grouping`, e.g. `{ instance: 'a' }`) in a
 * Pushgateway with `body` (text format): HTTP PUT to `/metrics/job/<job>/…`.
 */
export async function pushToGateway(
  baseUrl: string,
  job: string,
  body: string,
  grouping: Readonly<Record<string, string>> = {},
): Promise<void> {
  let path = `/metrics/job/${encodeURIComponent(job)}`;
  for (const [name, value] of Object.entries(grouping)) {
    path += `/${encodeURIComponent(name)}/${encodeURIComponent(value)}`;
  }
  const res = await fetch(new URL(path, baseUrl), {
    method: 'PUT',
    headers: { 'content-type': 'text/plain; version=0.0.4' },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`push to ${path} failed: ${res.status} ${text}`);
}

/**
 * A single-node VictoriaMetrics (`victoria-metrics`, 1.79 in Debian): accepts remote write at
 * `/api/v1/write` and answers `/api/v1/query` like Prometheus. Fresh samples are visible to
 * queries at once (`-search.latencyOffset=0s`, no response cache); `restart()` keeps its data.
 */
export function startVictoriaMetrics(
  bin = '/usr/bin/victoria-metrics',
): Promise<RestartableProcess> {
  return startProcess(
    bin,
    (port, dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dir}`,
      '-retentionPeriod=1d',
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=WARN',
    ],
    '/health',
  );
}

export interface PromSeries {
  readonly metric: Record<string, string>;
}

/** GET /api/v1/series for a matcher within [start, end] (seconds). */
export async function querySeries(
  baseUrl: string,
  match: string,
  startSec: number,
  endSec: number,
): Promise<Record<string, string>[]> {
  const u = new URL('/api/v1/series', baseUrl);
  u.searchParams.set('match[]', match);
  u.searchParams.set('start', String(startSec));
  u.searchParams.set('end', String(endSec));
  const res = await fetch(u);
  const body = (await res.json()) as { status: string; data: Record<string, string>[] };
  if (body.status !== 'success') throw new Error(`series query failed: ${JSON.stringify(body)}`);
  return body.data;
}

/** GET /api/v1/query (instant) → vector results. */
export async function queryInstant(
  baseUrl: string,
  query: string,
  timeSec?: number,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const u = new URL('/api/v1/query', baseUrl);
  u.searchParams.set('query', query);
  if (timeSec !== undefined) u.searchParams.set('time', String(timeSec));
  const res = await fetch(u);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

export interface PromMatrixSeries {
  readonly metric: Record<string, string>;
  /** [seconds since epoch, value] pairs, oldest first. */
  readonly values: [number, string][];
}

/**
 * GET /api/v1/query with a range selector (e.g. `up[30s]`) evaluated at `timeSec`: the raw
 * samples of each series in the window. Throws when the answer is not a matrix.
 */
export async function queryMatrix(
  baseUrl: string,
  query: string,
  timeSec?: number,
): Promise<PromMatrixSeries[]> {
  const u = new URL('/api/v1/query', baseUrl);
  u.searchParams.set('query', query);
  if (timeSec !== undefined) u.searchParams.set('time', String(timeSec));
  const res = await fetch(u);
  const body = (await res.json()) as {
    status: string;
    data: { resultType: string; result: PromMatrixSeries[] };
  };
  if (body.status !== 'success' || body.data.resultType !== 'matrix') {
    throw new Error(`matrix query ${query} failed: ${JSON.stringify(body)}`);
  }
  return body.data.result;
}
