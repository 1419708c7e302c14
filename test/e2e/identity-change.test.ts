/**
 * A target whose identity changes while its labels stay (its scrape_interval changes from 2 s to
 * 3 s), under both drivers, into a real Prometheus (Debian's 2.42) receiver, which rejects
 * out-of-order samples with a 400 and rolls the whole request back. At the same moment one of
 * the target's two series disappears from its body. The engine's rule (src/engine/
 * series-stream.ts): the new identity continues the old one's state, the old one gets no
 * end-of-run markers. Proven through the receiver:
 *
 * 1. nothing is rejected (no out-of-order sample at the receiver, no end-of-run markers);
 * 2. the series that stayed is never stale: an instant query finds it at every moment from
 *    before the change to the end, and its samples are 2 s, then 3 s apart, in order;
 * 3. the series that went is staled (its stale marker is not lost): present before the change,
 *    absent at the end.
 *
 * `run` changes its config by a reload; `simulate` by `redeploy()` (what `cdk deploy` of the new
 * prometheus.yml does: new containers, the same tables and queues).
 * Skipped, with a message, only when the prometheus binary is missing; CI installs it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { LocalRunner } from '../../src/local/runner.js';
import { createLogger } from '../../src/log/logger.js';
import { config, startTarget, type TestTarget } from '../local/helpers.js';
import { pollUntil, sleep } from '../support/poll.js';
import {
  binaryAvailable,
  queryInstant,
  queryMatrix,
  type RestartableProcess,
  startPrometheus,
} from '../support/processes.js';

const PROMETHEUS = '/usr/bin/prometheus';
const available = binaryAvailable(PROMETHEUS);
const title = (driver: string) =>
  available
    ? `${driver}: a new scrape_interval continues the series (real Prometheus receiver)`
    : `${driver}: a new scrape_interval continues the series (SKIPPED: ${PROMETHEUS} not installed; apt-get install prometheus)`;

const BEFORE_MS = 2_000;
const AFTER_MS = 3_000;
const toMs = (seconds: number): number => Math.round(seconds * 1000);

interface LogLine {
  readonly msg: string;
  readonly level: string;
  readonly [field: string]: unknown;
}

/** The scrape config of the test's one job, with the given interval. */
function yaml(target: TestTarget, receiverUrl: string, driver: string, intervalMs: number): string {
  return [
    'global:',
    `  external_labels: { driver: ${driver} }`,
    'scrape_configs:',
    '  - job_name: app',
    `    scrape_interval: ${intervalMs / 1000}s`,
    '    scrape_timeout: 1s',
    `    static_configs: [{ targets: ["${target.address}"] }]`,
    'remote_write:',
    `  - url: ${receiverUrl}/api/v1/write`,
    '    name: receiver',
    '',
  ].join('\n');
}

/** A driver under test: how to start it, change its config, and stop it. */
interface Driver {
  readonly name: string;
  start(yamlText: string): Promise<void>;
  change(yamlText: string): Promise<void>;
  /** Samples the receiver refused, as the driver counted them. */
  rejected(): Promise<number>;
  endOfRunMarkers(): Promise<number>;
  stop(): Promise<void>;
  readonly logs: LogLine[];
}

let receiver: RestartableProcess | undefined;

beforeAll(async () => {
  if (available) receiver = await startPrometheus('global: {}\n');
}, 60_000);

afterAll(async () => {
  await receiver?.stop();
});

function scenario(driverFor: () => Driver): void {
  let target: TestTarget;
  let driver: Driver;
  let changedAtMs = 0;
  let endMs = 0;
  const sel = () => `job="app", driver="${driver.name}"`;
  const context = () =>
    [
      '--- warnings and errors ---',
      ...driver.logs.filter((l) => l.level !== 'info').map((l) => JSON.stringify(l)),
      '--- receiver ---',
      receiver?.output().slice(-3000) ?? '',
    ].join('\n');

  beforeAll(async () => {
    driver = driverFor();
    target = await startTarget('kept 1\ngone 1\n');
    const url = receiver!.url;
    await driver.start(yaml(target, url, driver.name, BEFORE_MS));
    // Three scrapes at the first interval.
    await pollUntil(
      async () => {
        const [s] = await queryMatrix(url, `kept{${sel()}}[1m]`);
        return (s?.values.length ?? 0) >= 3 ? true : undefined;
      },
      { what: 'three scrapes before the change', timeoutMs: 45_000, describe: context },
    );
    target.body = 'kept 2\n';
    changedAtMs = Date.now();
    await driver.change(yaml(target, url, driver.name, AFTER_MS));
    // Three gaps at the new interval (simulate's dispatcher has planned the next ~13 s with
    // the old identity already: its slots run first, as a deployed one's would).
    await pollUntil(
      async () => {
        const [s] = await queryMatrix(url, `kept{${sel()}}[1m]`);
        const stamps = (s?.values ?? []).map(([t]) => toMs(t));
        const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
        return gaps.length >= 3 && gaps.slice(-3).every((g) => g === AFTER_MS) ? true : undefined;
      },
      { what: 'three scrapes at the new interval', timeoutMs: 60_000, describe: context },
    );
    // Let remote write deliver what the last scrapes sent.
    await sleep(1_000);
    endMs = Date.now();
  }, 150_000);

  afterAll(async () => {
    await driver?.stop();
    await target?.close();
  }, 30_000);

  it('nothing is rejected and no end-of-run markers are written', async () => {
    expect(await driver.rejected(), context()).toBe(0);
    expect(await driver.endOfRunMarkers(), context()).toBe(0);
  });

  it('the series that stayed is never stale; its samples are 2 s, then 3 s apart', async () => {
    const url = receiver!.url;
    const [s] = await queryMatrix(url, `kept{${sel()}}[5m]`, endMs / 1000);
    const stamps = (s?.values ?? []).map(([t]) => toMs(t));
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    expect(gaps.slice(0, 2), context()).toEqual([BEFORE_MS, BEFORE_MS]);
    expect(gaps.slice(-3), context()).toEqual([AFTER_MS, AFTER_MS, AFTER_MS]);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(BEFORE_MS + AFTER_MS);
    // A stale marker anywhere would hide the series until its next sample.
    for (let t = stamps[0]! + 100; t < stamps.at(-1)!; t += 250) {
      const found = await queryInstant(url, `kept{${sel()}}`, t / 1000);
      expect(found.length, `kept at ${t}\n${context()}`).toBe(1);
    }
  });

  it('the series that went is staled: present before the change, absent at the end', async () => {
    const url = receiver!.url;
    const before = await queryInstant(url, `gone{${sel()}}`, (changedAtMs - 500) / 1000);
    expect(before, context()).toHaveLength(1);
    const atEnd = await queryInstant(url, `gone{${sel()}}`, endMs / 1000);
    expect(atEnd, context()).toEqual([]);
  });
}

describe.runIf(available)(title('run'), () => {
  scenario(() => {
    const logs: LogLine[] = [];
    let runner: LocalRunner | undefined;
    const metric = async (name: string, labels: string): Promise<number> => {
      const text = await (await fetch(`${runner!.url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name}{`) && line.includes(labels)) {
          sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    };
    return {
      name: 'run',
      logs,
      async start(text) {
        runner = new LocalRunner({
          config: config(text),
          logger: createLogger({
            format: 'json',
            level: 'debug',
            write: (line) => logs.push(JSON.parse(line) as LogLine),
          }),
          listen: { host: '127.0.0.1', port: 0 },
        });
        await runner.start();
      },
      change: (text) => runner!.reload(config(text)),
      rejected: () => metric('lambdascrape_remote_write_samples_total', 'result="rejected"'),
      endOfRunMarkers: () => metric('lambdascrape_end_of_run_stale_markers_total', ''),
      stop: async () => runner?.stop(),
    };
  });
});

describe.runIf(available)(title('simulate'), () => {
  scenario(() => {
    const logs: LogLine[] = [];
    let sim: Simulation | undefined;
    let dir: string | undefined;
    let configPath = '';
    const count = (msg: string, field: string): number =>
      logs
        .filter((l) => l.msg === msg)
        .reduce((n, l) => n + (typeof l[field] === 'number' ? (l[field] as number) : 0), 0);
    return {
      name: 'simulate',
      logs,
      async start(text) {
        dir = await mkdtemp(join(tmpdir(), 'ls-identity-change-'));
        configPath = join(dir, 'prometheus.yml');
        await writeFile(configPath, text);
        sim = await startSimulation({
          configPath,
          logger: createLogger({
            format: 'json',
            level: 'debug',
            write: (line) => logs.push(JSON.parse(line) as LogLine),
          }),
          windowMs: 3_000,
          periodMs: 3_000,
          pollWaitSeconds: 1,
          configEnv: {},
          writeEmf: () => {},
        });
      },
      async change(text) {
        await writeFile(configPath, text);
        await sim!.redeploy();
      },
      // Every task's counters are in its `task done` line.
      rejected: async () => count('task done', 'samplesRejected'),
      endOfRunMarkers: async () => count('task done', 'markers'),
      async stop() {
        await sim?.stop();
        if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      },
    };
  });
});
