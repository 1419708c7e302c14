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

export function binaryAvailable(path: string): boolean {
  return existsSync(path);
}

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
    if (child.exitCode !== null) {
      throw new Error(`process exited with ${child.exitCode} before ready: ${output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready after ${ms} ms: ${url}\n${output()}`);
}

async function start(
  bin: string,
  args: (port: number, dir: string) => string[],
  readyPath: string,
): Promise<RunningProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'lambdascrape-e2e-'));
  const child = spawn(bin, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${url}${readyPath}`, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dir, output: () => log, stop };
}

export function startNodeExporter(): Promise<RunningProcess> {
  return start(
    '/usr/bin/prometheus-node-exporter',
    (port) => [`--web.listen-address=127.0.0.1:${port}`],
    '/metrics',
  );
}

export interface PrometheusOptions {
  /** The prometheus binary. Default /usr/bin/prometheus (Debian's package). */
  readonly bin?: string;
}

/**
 * A Prometheus server with the given scrape config body (YAML for `scrape_configs:` etc.);
 * the remote-write receiver is on so it can also serve as a backend.
 */
export async function startPrometheus(
  configYaml: string,
  options: PrometheusOptions = {},
): Promise<RunningProcess> {
  const cfgDir = await mkdtemp(join(tmpdir(), 'lambdascrape-promcfg-'));
  const cfgFile = join(cfgDir, 'prometheus.yml');
  await writeFile(cfgFile, configYaml);
  const proc = await start(
    options.bin ?? '/usr/bin/prometheus',
    (port, dir) => [
      `--config.file=${cfgFile}`,
      `--storage.tsdb.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
    ],
    '/-/ready',
  );
  return {
    ...proc,
    stop: async () => {
      await proc.stop();
      await rm(cfgDir, { recursive: true, force: true });
    },
  };
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
