/**
 * `lambdascrape simulate` end to end: the serverless path
 * on one machine — discovery, dispatcher and scraper handlers over dynalite and fauxqs, on the
 * real clock (src/cli/simulate.ts) — scraping a real node_exporter and remote-writing into a
 * real Prometheus (Debian's 2.42) receiver, proven through the receiver's query API:
 *
 * 1. the target's series arrive with the target's labels, and the five report series (§7);
 * 2. consecutive samples are exactly one scrape_interval apart, all at the target's fixed phase
 *    (§9), across several dispatcher windows: a window that was not planned or a slot scraped
 *    twice shows as a gap or a rejected duplicate here;
 * 3. after node_exporter stops, `up` turns 0 and continues with 0 at every slot, and the node_*
 *    series end at the failed scrape (StaleNaN markers, §8.2): instant queries at or after it
 *    return nothing.
 *
 * Windows of 3 s, planned every 3 s (the deployment's "window = schedule period", shrunk), and a
 * 2 s interval: shorter than the window and not a divisor of it, so a window holds one or two
 * slots at different places; and shorter than the dispatcher's lead + 1 s (plan.ts
 * DEFAULT_LEAD_MS, tasks bucketed by second), so the next slot's task arrives while the worker
 * still waits for the previous one — it must wait for it, not drop it (scraper.ts, step 2).
 * The planner plans ≥ 10 s ahead (plan.ts `windowFor`), so the first samples arrive ~12 s
 * after start; the file takes about a minute.
 *
 * Skipped, with a message, only when a binary is missing; CI installs them (.ci/run).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { createLogger } from '../../src/log/logger.js';
import type { TargetOutcome } from '../../src/pipeline/scraper-outcome.js';
import type { Target } from '../../src/targets/types.js';
import { pollUntil } from '../support/poll.js';
import {
  binaryAvailable,
  type PromMatrixSeries,
  queryInstant,
  queryMatrix,
  type RestartableProcess,
  startNodeExporter,
  startPrometheus,
} from '../support/processes.js';

const BINARIES = ['/usr/bin/prometheus', '/usr/bin/prometheus-node-exporter'];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'simulate: node_exporter into a Prometheus receiver'
    : `simulate: node_exporter into a Prometheus receiver (SKIPPED: ${missing.join(', ')} not installed; apt-get install prometheus prometheus-node-exporter)`;

const INTERVAL_MS = 2_000;
const WINDOW_MS = 3_000;
const JOB = 'node';
/** An external label, to see it on every series (§11.1) and in the phase seed (§9). */
const EXTERNAL = { source: 'simulate-e2e' } as const;
const REPORT_SERIES = [
  'scrape_duration_seconds',
  'scrape_samples_post_metric_relabeling',
  'scrape_samples_scraped',
  'scrape_series_added',
  'up',
] as const;
const REPORT_RE = REPORT_SERIES.join('|');
/**
 * Consecutive scrapes to see before stopping the exporter: enough slots to span at least 5
 * windows (2 s apart: 16 s, over 5 windows of 3 s).
 */
const SCRAPES_BEFORE_STOP = 9;

/** Prometheus API seconds (possibly fractional) → whole ms. */
const toMs = (seconds: number): number => Math.round(seconds * 1000);
const stampsOf = (s: PromMatrixSeries): number[] => s.values.map(([t]) => toMs(t));
const deltas = (v: readonly number[]): number[] => v.slice(1).map((x, i) => x - v[i]!);

/** Runs `assertions` until they pass (at most 10 s): waits for ingestion only. */
const eventually = (assertions: () => Promise<void>): Promise<void> =>
  vi.waitFor(assertions, { timeout: 10_000, interval: 250 });

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
  let target: Target;
  const logs: LogLine[] = [];
  /** Every target outcome of every task the simulated scraper ran (observed, not changed). */
  const outcomes: TargetOutcome[] = [];

  const query = (expr: string, timeMs?: number) =>
    queryInstant(receiver.url, expr, timeMs === undefined ? undefined : timeMs / 1000);
  const matrix = (expr: string, timeMs?: number) =>
    queryMatrix(receiver.url, expr, timeMs === undefined ? undefined : timeMs / 1000);
  const sel = (extra = '') => `job="${JOB}", instance="127.0.0.1:${exporter.port}"${extra}`;

  /** The stored up samples of the target, oldest first ([] before the first one). */
  const upSamples = async (atMs?: number): Promise<[number, string][]> => {
    const [s] = await matrix(`up{${sel()}}[5m]`, atMs);
    return (s?.values ?? []).map(([t, v]) => [toMs(t), v]);
  };

  /** Windows the dispatcher planned (start ms), in order. */
  const plannedWindows = () =>
    logs
      .filter((l) => l.msg === 'dispatch done' && l.skipped === undefined)
      .map((l) => l.window as number);

  /** What a failure message needs: windows planned, scrape outcomes, problems logged. */
  const context = () => {
    const scraped = outcomes.filter((o) => o.kind === 'scraped');
    const lines = [
      `target offset ${target?.offsetMs} ms of ${INTERVAL_MS} ms; windows of ${WINDOW_MS} ms`,
      `windows planned: ${plannedWindows().join(', ')}`,
      `slots scraped: ${scraped.map((o) => `${o.slotMs}${o.up ? '' : '(down)'}+${o.latenessMs}ms`).join(', ')}`,
      `other outcomes: ${JSON.stringify(outcomes.filter((o) => o.kind !== 'scraped'))}`,
      '--- warnings and errors logged by simulate ---',
      ...logs.filter((l) => l.level !== 'info').map((l) => JSON.stringify(l)),
      '--- receiver ---',
      receiver?.output().slice(-3000) ?? '',
    ];
    return lines.join('\n');
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-simulate-e2e-'));
    [exporter, receiver] = await Promise.all([
      startNodeExporter(),
      startPrometheus('global: {}\n'),
    ]);
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'global:',
        `  scrape_interval: ${INTERVAL_MS / 1000}s`,
        '  scrape_timeout: 1500ms',
        `  external_labels: { source: ${EXTERNAL.source} }`,
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        `    static_configs: [{ targets: ["127.0.0.1:${exporter.port}"] }]`,
        'remote_write:',
        `  - url: ${receiver.url}/api/v1/write`,
        '    name: receiver',
        '',
      ].join('\n'),
    );
    sim = await startSimulation({
      configPath,
      logger: createLogger({
        format: 'json',
        write: (line) => logs.push(JSON.parse(line) as LogLine),
      }),
      windowMs: WINDOW_MS,
      periodMs: WINDOW_MS,
      pollWaitSeconds: 1,
      configEnv: {},
    });
    // Observe (not change) what the simulated scraper does with each task: the first task is
    // delivered ≥ 8 s after start (the window margin), long after this line runs.
    const worker = sim.runtime.worker;
    const handleTask = worker.handleTask.bind(worker);
    worker.handleTask = async (task, budget) => {
      const outcome = await handleTask(task, budget);
      outcomes.push(...outcome.targets);
      return outcome;
    };
    target = await pollUntil(
      async () => {
        const all = await sim!.runtime.targets.list();
        return all.length === 1 ? all[0] : undefined;
      },
      { what: 'the target discovered', timeoutMs: 10_000, describe: context },
    );
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
    await Promise.allSettled([exporter?.stop(), receiver?.stop()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers the target’s series with its labels, and the report series', async () => {
    expect(target.intervalMs).toBe(INTERVAL_MS);
    const ups = await pollUntil(
      async () => {
        const s = await upSamples();
        return s.length >= 2 ? s : undefined;
      },
      { what: 'two scrapes in the receiver', timeoutMs: 40_000, describe: context },
    );
    // Evaluated at the second scrape: everything the first two scrapes wrote is visible then.
    const t = ups[1]![0];
    await eventually(async () => {
      const cpu = await query(`node_cpu_seconds_total{${sel()}}`, t);
      expect(cpu.length, 'node_cpu_seconds_total series').toBeGreaterThan(0);
      for (const r of cpu) {
        expect(r.metric).toEqual({
          __name__: 'node_cpu_seconds_total',
          job: JOB,
          instance: `127.0.0.1:${exporter.port}`,
          source: EXTERNAL.source,
          cpu: expect.stringMatching(/^\d+$/),
          mode: expect.any(String),
        });
      }
      expect(new Set(cpu.map((r) => r.metric.mode))).toContain('idle');

      // Report series: the target's public labels and the external label, nothing else (§7).
      const report = await query(`{${sel()}, __name__=~"${REPORT_RE}"}`, t);
      expect(report.map((r) => r.metric.__name__).sort()).toEqual([...REPORT_SERIES]);
      for (const r of report) {
        expect(Object.keys(r.metric).sort()).toEqual(['__name__', 'instance', 'job', 'source']);
      }
      const value = (name: string) =>
        Number(report.find((r) => r.metric.__name__ === name)!.value[1]);
      expect(value('up')).toBe(1);
      expect(value('scrape_duration_seconds')).toBeGreaterThan(0);
      expect(value('scrape_duration_seconds')).toBeLessThan(1.5);
      // node_exporter exposes ~500 series here.
      expect(value('scrape_samples_scraped')).toBeGreaterThan(300);
      expect(value('scrape_samples_post_metric_relabeling')).toBe(value('scrape_samples_scraped'));

      // scrape_samples_scraped = the target's series live at the scrape, report series aside.
      const [written] = await query(`count({${sel()}, __name__!~"${REPORT_RE}"})`, t);
      expect(Number(written?.value[1])).toBe(value('scrape_samples_scraped'));
    });
    // scrape_series_added: every series is new on the first scrape (first up sample).
    const [added] = await matrix(`scrape_series_added{${sel()}}[5m]`, t);
    const [scraped] = await matrix(`scrape_samples_scraped{${sel()}}[5m]`, t);
    expect(toMs(added!.values[0]![0])).toBe(ups[0]![0]);
    expect(added!.values[0]![1]).toBe(scraped!.values[0]![1]);
  }, 60_000);

  it('stamps consecutive samples exactly one interval apart at the target’s phase, across windows', async () => {
    const ups = await pollUntil(
      async () => {
        const s = await upSamples();
        return s.length >= SCRAPES_BEFORE_STOP ? s : undefined;
      },
      {
        what: `${SCRAPES_BEFORE_STOP} scrapes in the receiver`,
        timeoutMs: 40_000,
        describe: context,
      },
    );
    const t = ups.at(-1)![0];
    const stamps = ups.map(([ts]) => ts);
    const detail = () => `up stamps ${stamps.join(', ')}\n${context()}`;

    // Exactly one interval apart: no gap (a window not planned, a slot dropped as late) and no
    // sample in between (a slot stamped off its phase).
    expect(new Set(deltas(stamps)), detail()).toEqual(new Set([INTERVAL_MS]));
    // Every sample at the target's fixed phase (§9), whatever window planned it.
    expect(
      stamps.filter((s) => s % INTERVAL_MS !== target.offsetMs),
      detail(),
    ).toEqual([]);
    // …and those samples span several windows, with the slot at different places in them.
    const windows = new Set(stamps.map((s) => Math.floor(s / WINDOW_MS)));
    expect(windows.size, detail()).toBeGreaterThanOrEqual(5);
    expect(new Set(stamps.map((s) => s % WINDOW_MS)).size, detail()).toBeGreaterThan(1);
    expect(
      ups.every(([, v]) => v === '1'),
      detail(),
    ).toBe(true);

    // The scraped series carry exactly the same timestamps (the slot, not the scrape's time).
    await eventually(async () => {
      const range = `[${t - stamps[0]! + 1}ms]`;
      const cpu = await matrix(`node_cpu_seconds_total{${sel()}}${range}`, t);
      expect(cpu.length).toBeGreaterThan(0);
      for (const s of cpu) expect(stampsOf(s), JSON.stringify(s.metric)).toEqual(stamps);
      const [samples] = await matrix(`scrape_samples_scraped{${sel()}}${range}`, t);
      expect(stampsOf(samples!)).toEqual(stamps);
    });

    // What the pipeline did to get there: every window planned exactly once and contiguous,
    // each slot scraped once and on time, nothing rejected by the receiver.
    const windowsPlanned = plannedWindows();
    expect(
      deltas(windowsPlanned).filter((d) => d !== WINDOW_MS),
      detail(),
    ).toEqual([]);
    const slots = outcomes.flatMap((o) => (o.kind === 'scraped' ? [o.slotMs] : []));
    expect(slots.length, detail()).toBe(new Set(slots).size);
    expect(
      outcomes.filter((o) => o.kind !== 'scraped'),
      detail(),
    ).toEqual([]);
    expect(
      logs.filter((l) => l.level === 'error' || l.level === 'warn'),
      detail(),
    ).toEqual([]);
  }, 60_000);

  it('after the exporter stops: up 0 at every slot, the node_* series stale from the failed scrape', async () => {
    await exporter.halt();

    // The first failed scrape, as stored.
    const failedAt = await pollUntil(
      async () => (await upSamples()).find(([, v]) => v === '0')?.[0],
      { what: 'up == 0 after the exporter stopped', timeoutMs: 15_000, describe: context },
    );
    // The next slot too, so `up` is seen to continue.
    const ups = await pollUntil(
      async () => {
        const s = await upSamples();
        return s.some(([ts]) => ts === failedAt + INTERVAL_MS) ? s : undefined;
      },
      { what: 'the up sample after the failed scrape', timeoutMs: 15_000, describe: context },
    );
    const stamps = ups.map(([ts]) => ts);
    const detail = () => `up ${JSON.stringify(ups)}\n${context()}`;
    // No gap at the transition and after it; 1 before the failure, 0 from it on.
    expect(new Set(deltas(stamps)), detail()).toEqual(new Set([INTERVAL_MS]));
    const after = ups.filter(([ts]) => ts >= failedAt).map(([, v]) => v);
    expect(after.length, detail()).toBeGreaterThanOrEqual(2);
    expect(new Set(after), detail()).toEqual(new Set(['0']));
    expect(ups.filter(([ts]) => ts < failedAt).every(([, v]) => v === '1')).toBe(true);

    const node = `{${sel()}, __name__=~"node_.+"}`;
    const cpu = `node_cpu_seconds_total{${sel()}}`;
    // Present at the last good scrape…
    expect((await query(cpu, failedAt - INTERVAL_MS)).length, detail()).toBeGreaterThan(0);
    expect((await query(node, failedAt - INTERVAL_MS)).length, detail()).toBeGreaterThan(300);
    // …gone at the failed scrape and after the next slot: a StaleNaN ends a series; an ordinary
    // NaN (the V8 pitfall of docs/testing.md) would show here as a sample with value "NaN".
    const nextSlotAndHalf = failedAt + INTERVAL_MS + INTERVAL_MS / 2;
    for (const at of [failedAt, failedAt + INTERVAL_MS, nextSlotAndHalf]) {
      expect(await query(cpu, at), `${cpu} at ${at}`).toEqual([]);
      expect(await query(node, at), `node_* at ${at}`).toEqual([]);
    }
    expect(await query(node), 'node_* now').toEqual([]);

    // Only the report series remain, up = 0 continuing past the next slot (§8.2, §7).
    const left = await query(`{${sel()}}`, nextSlotAndHalf);
    const byName = Object.fromEntries(left.map((r) => [r.metric.__name__, r.value[1]]));
    expect(Object.keys(byName).sort(), detail()).toEqual([...REPORT_SERIES]);
    expect(byName.up).toBe('0');
    expect(byName.scrape_samples_scraped).toBe('0');
    expect(byName.scrape_series_added).toBe('0');
    expect((await query(`up{${sel()}}`)).map((r) => r.value[1])).toEqual(['0']);

    // The failed scrapes were scraped on time and delivered: none late, none rejected.
    const down = outcomes.filter((o) => o.kind === 'scraped' && !o.up);
    expect(down.length, detail()).toBeGreaterThanOrEqual(2);
    expect(
      logs.filter((l) => l.level === 'error' || l.msg.includes('late')),
      detail(),
    ).toEqual([]);
  }, 45_000);
});
