/**
 * A backend outage, end to end, on both drivers (issue 12, docs/reliability.md): `simulate`
 * (the Lambda flow: scraper, FIFO outbox, backlog, outbox function) and `run` (LocalRunner)
 * scrape the same node_exporter every 2 s into the same real Prometheus 2.42 receiver — no
 * out-of-order window, the default of Prometheus and Mimir: a sample older than the newest of its
 * series is refused. The receiver is stopped for longer than four simulated invocation timeouts
 * (4 × 4 s), then restarted on the same data. Afterwards, from before the outage to after it,
 * every slot of `up` and of a node series is present for each driver, one interval apart, and
 * the receiver refused no sample as out of order; the time to catch up is printed.
 *
 * The outbox backoff is shortened to 2 s (production: 10 s doubling to 2 min), so the test waits
 * seconds, not minutes, for the queued groups after the restart. Skipped, with a message, only
 * when a binary is missing; CI installs them (.ci/run).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { loadConfig } from '../../src/config/index.js';
import { LocalRunner } from '../../src/local/runner.js';
import { createLogger } from '../../src/log/logger.js';
import type { TargetOutcome } from '../../src/pipeline/scraper-outcome.js';
import { pollUntil, sleep } from '../support/poll.js';
import {
  binaryAvailable,
  queryMatrix,
  type RestartableProcess,
  startNodeExporter,
  startPrometheus,
} from '../support/processes.js';

const BINARIES = ['/usr/bin/prometheus', '/usr/bin/prometheus-node-exporter'];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'a backend outage longer than four invocations, on a receiver without out-of-order window'
    : `backend outage (SKIPPED: ${missing.join(', ')} not installed; apt-get install prometheus prometheus-node-exporter)`;

const INTERVAL_MS = 2_000;
const WINDOW_MS = 3_000;
const INVOCATION_TIMEOUT_MS = 4_000;
/** Longer than four invocation timeouts. */
const OUTAGE_MS = 4 * INVOCATION_TIMEOUT_MS + 4_000;
const DRIVERS = ['simulate', 'run'] as const;
type Driver = (typeof DRIVERS)[number];
const NODE_SERIES = 'node_cpu_seconds_total{cpu="0",mode="idle"}';

const toMs = (seconds: number): number => Math.round(seconds * 1000);
const deltas = (v: readonly number[]): number[] => v.slice(1).map((x, i) => x - v[i]!);

interface LogLine {
  readonly msg: string;
  readonly level: string;
  readonly [field: string]: unknown;
}

describe.runIf(missing.length === 0)(title, () => {
  let dir: string;
  let exporter: RestartableProcess;
  let receiver: RestartableProcess;
  let sim: Simulation | undefined;
  let runner: LocalRunner | undefined;
  const logs: LogLine[] = [];
  const outcomes: TargetOutcome[] = [];

  const yaml = (driver: Driver) =>
    [
      'global:',
      `  scrape_interval: ${INTERVAL_MS / 1000}s`,
      '  scrape_timeout: 1500ms',
      `  external_labels: { scraper: ${driver} }`,
      'scrape_configs:',
      '  - job_name: node',
      `    static_configs: [{ targets: ["127.0.0.1:${exporter.port}"] }]`,
      'remote_write:',
      `  - url: ${receiver.url}/api/v1/write`,
      '    name: receiver',
      '    queue_config: { min_backoff: 50ms, max_backoff: 500ms }',
      '',
    ].join('\n');

  /** Sample times of `series` written by `driver`, oldest first, evaluated at `atMs`. */
  const stamps = async (driver: Driver, series: string, atMs: number): Promise<number[]> => {
    const selector = series.includes('{')
      ? series.replace('{', `{scraper="${driver}",`)
      : `${series}{scraper="${driver}"}`;
    const [s] = await queryMatrix(receiver.url, `${selector}[10m]`, atMs / 1000);
    return (s?.values ?? []).map(([t]) => toMs(t));
  };

  const context = () =>
    [
      '--- warnings and errors ---',
      ...logs
        .filter((l) => l.level !== 'info' && l.level !== 'debug')
        .slice(-40)
        .map((l) => JSON.stringify(l)),
      `late drops: ${outcomes.filter((o) => o.kind === 'late').length}`,
      '--- receiver ---',
      receiver?.output().slice(-3000) ?? '',
    ].join('\n');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-outage-e2e-'));
    [exporter, receiver] = await Promise.all([
      startNodeExporter(),
      startPrometheus('global: {}\n'),
    ]);
    const logger = createLogger({
      format: 'json',
      level: 'warn',
      write: (line) => logs.push(JSON.parse(line) as LogLine),
    });
    const configPath = join(dir, 'simulate.yml');
    await writeFile(configPath, yaml('simulate'));
    sim = await startSimulation({
      configPath,
      logger,
      windowMs: WINDOW_MS,
      periodMs: WINDOW_MS,
      pollWaitSeconds: 1,
      invocationTimeoutMs: INVOCATION_TIMEOUT_MS,
      configEnv: {},
      replayerOptions: { retryDelaySeconds: () => 2 },
      writeEmf: () => {},
    });
    const worker = sim.runtime.worker;
    const handleTask = worker.handleTask.bind(worker);
    worker.handleTask = async (task, budget) => {
      const outcome = await handleTask(task, budget);
      outcomes.push(...outcome.targets);
      return outcome;
    };
    runner = new LocalRunner({
      config: loadConfig(yaml('run'), { sourcePath: 'run.yml' }),
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      flushTimeoutMs: 3_000,
    });
    await runner.start();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([sim?.stop(), runner?.stop()]);
    await Promise.allSettled([exporter?.stop(), receiver?.stop()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('every slot of both drivers arrives, in order, none refused', async () => {
    // Both drivers deliver before the outage.
    for (const driver of DRIVERS) {
      await pollUntil(
        async () => ((await stamps(driver, 'up', Date.now())).length >= 3 ? true : undefined),
        {
          what: `three scrapes of ${driver} in the receiver`,
          timeoutMs: 45_000,
          describe: context,
        },
      );
    }
    const downAtMs = Date.now();
    await receiver.halt();
    await sleep(OUTAGE_MS);
    await receiver.restart();
    const upAtMs = Date.now();

    // Caught up: a driver's series has every slot up to a scrape after the restart.
    const caughtUpMs: Record<string, number> = {};
    for (const driver of DRIVERS) {
      await pollUntil(
        async () => {
          const s = await stamps(driver, 'up', Date.now());
          const after = s.filter((t) => t > upAtMs);
          const gaps = deltas(s.filter((t) => t >= downAtMs - 10_000)).filter(
            (d) => d !== INTERVAL_MS,
          );
          return after.length > 0 && gaps.length === 0 ? true : undefined;
        },
        {
          what: `${driver} caught up without gaps`,
          timeoutMs: 60_000,
          intervalMs: 500,
          describe: context,
        },
      );
      caughtUpMs[driver] = Date.now() - upAtMs;
    }
    // Two more slots after catching up, then judge the whole span.
    await sleep(2 * INTERVAL_MS);
    const endMs = Date.now();
    for (const driver of DRIVERS) {
      for (const series of ['up', NODE_SERIES]) {
        const s = (await stamps(driver, series, endMs)).filter((t) => t >= downAtMs - 10_000);
        const span = s.at(-1)! - s[0]!;
        expect(s.length, `${driver} ${series}: slots\n${context()}`).toBe(span / INTERVAL_MS + 1);
        expect(new Set(deltas(s)), `${driver} ${series}`).toEqual(new Set([INTERVAL_MS]));
        expect(s[0]!, `${driver} ${series} starts before the outage`).toBeLessThan(downAtMs);
        expect(s.at(-1)!, `${driver} ${series} goes on after it`).toBeGreaterThan(upAtMs);
      }
    }
    // Nothing refused: the receiver counted no out-of-order sample, the outbox no rejection.
    const metrics = await (await fetch(`${receiver.url}/metrics`)).text();
    const ooo = /^prometheus_tsdb_out_of_order_samples_total(?:\{[^}]*\})? (\S+)$/m.exec(metrics);
    expect(Number(ooo?.[1] ?? '0'), 'out-of-order samples refused by the receiver').toBe(0);
    expect(sim!.runtime.replayer.counters).toMatchObject({ rejected: 0, expired: 0 });
    expect(
      outcomes.filter((o) => o.kind === 'late'),
      'late drops',
    ).toEqual([]);
    const parkFailures = logs.filter((l) => l.msg.includes('could not be parked'));
    expect(parkFailures).toEqual([]);
    console.log(
      `outage ${OUTAGE_MS} ms; caught up after the restart in ${JSON.stringify(caughtUpMs)} ms; ` +
        `outbox: ${JSON.stringify(sim!.runtime.replayer.counters)}`,
    );
  }, 180_000);
});
