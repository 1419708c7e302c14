/**
 * `lambdascrape run --storage.path` killed during a backend outage, end to end: a real Prometheus
 * 2.42 (Debian's) receives remote write; `run` (its own process) scrapes a pushgateway every
 * second. The backend goes down, `run` is killed with SIGKILL while units wait, `run` starts
 * again on the same data directory, the backend comes back: every slot scraped before the kill
 * and every slot after the restart is in the backend, none rejected (the replayed units go out
 * before the new ones of their stream, in order). The slots while `run` was dead were never
 * scraped, as with any scraper that is down.
 *
 * Skipped, with a message, only when a binary is missing; CI installs them (.ci/run).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, sleep } from '../support/poll.js';
import {
  binaryAvailable,
  pushToGateway,
  queryMatrix,
  type RestartableProcess,
  startPrometheus,
  startPushgateway,
} from '../support/processes.js';
import { PUSH_INSTANCE, PUSH_JOB, PUSHED_METRICS } from '../support/remote-write-e2e.js';
import { type RunProcess, startRunProcess } from '../support/run-process.js';

const BINARIES = ['/usr/bin/prometheus', '/usr/bin/prometheus-pushgateway'];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'run with a data directory, killed during a backend outage'
    : `run with a data directory (SKIPPED: ${missing.join(', ')} not installed; apt-get install prometheus prometheus-pushgateway)`;

const INTERVAL_MS = 1_000;
/** Backend down this long before `run` is killed, then this long after it is back. */
const DOWN_BEFORE_KILL_MS = 6_000;
const DOWN_AFTER_RESTART_MS = 3_000;

describe.runIf(missing.length === 0)(title, () => {
  let backend: RestartableProcess;
  let pushgateway: RestartableProcess;
  let dir: string;
  const runs: RunProcess[] = [];

  beforeAll(async () => {
    [backend, pushgateway] = await Promise.all([
      startPrometheus('global: {}\n'),
      startPushgateway(),
    ]);
    await pushToGateway(pushgateway.url, PUSH_JOB, PUSHED_METRICS, { instance: PUSH_INSTANCE });
    dir = await mkdtemp(join(tmpdir(), 'ls-e2e-data-dir-'));
    await writeFile(
      join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: ${INTERVAL_MS / 1000}s
  scrape_timeout: 800ms
scrape_configs:
  - job_name: ls-pgw
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:${pushgateway.port}']
remote_write:
  - url: ${backend.url}/api/v1/write
    name: backend
    queue_config:
      max_backoff: 500ms
`,
    );
  }, 60_000);

  afterAll(async () => {
    for (const r of runs) await r.kill('SIGTERM');
    await pushgateway?.stop();
    await backend?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const start = async () => {
    const r = await startRunProcess([
      '--config',
      join(dir, 'prometheus.yml'),
      '--storage.path',
      join(dir, 'data'),
    ]);
    runs.push(r);
    return r;
  };
  const pending = (r: RunProcess) => r.metric('lambdascrape_remote_write_samples_pending');
  const givenUp = async (r: RunProcess) =>
    (await r.metric('lambdascrape_remote_write_samples_total', { result: 'rejected' })) +
    (await r.metric('lambdascrape_remote_write_samples_total', { result: 'dropped' }));
  /** Sample timestamps (ms) of one series in [fromMs, toMs]. */
  const slots = async (selector: string, fromMs: number, toMs: number) => {
    const range = Math.ceil((toMs - fromMs) / 1000) + 1;
    const [series] = await queryMatrix(backend.url, `${selector}[${range}s]`, toMs / 1000);
    return (series?.values ?? [])
      .map(([t]) => Math.round(t * 1000))
      .filter((t) => t >= fromMs && t <= toMs);
  };

  it('loses no scraped slot when run is killed mid-outage and restarted on the same directory', async () => {
    const first = await start();
    const context = () =>
      `\n--- first run ---\n${first.output().slice(-4000)}\n--- second run ---\n${
        runs[1]?.output().slice(-4000) ?? ''
      }\n--- backend ---\n${backend.output().slice(-3000)}`;
    await pollUntil(
      async () => ((await slots('up{job="ls-pgw"}', 0, Date.now())).length >= 3 ? true : undefined),
      { what: 'first scrapes in the backend', timeoutMs: 20_000, describe: context },
    );
    await pollUntil(async () => ((await pending(first)) === 0 ? true : undefined), {
      what: 'nothing pending before the outage',
      timeoutMs: 10_000,
    });
    const before = await slots('up{job="ls-pgw"}', 0, Date.now());
    const phaseMs = before.at(-1)! % INTERVAL_MS;
    const slotAtOrBefore = (t: number) =>
      Math.floor((t - phaseMs) / INTERVAL_MS) * INTERVAL_MS + phaseMs;
    const fromMs = before.at(-1)! - 2 * INTERVAL_MS;

    const downAt = Date.now();
    await backend.halt();
    await sleep(DOWN_BEFORE_KILL_MS - (Date.now() - downAt));
    // Kill half an interval after a slot, so no scrape is half done: that slot's unit is on disk.
    const killAt = slotAtOrBefore(Date.now()) + INTERVAL_MS + INTERVAL_MS / 2;
    await sleep(killAt - Date.now());
    const waiting = await pending(first);
    expect(waiting, 'samples waiting when killed').toBeGreaterThan(0);
    expect(await first.metric('lambdascrape_remote_write_storage_bytes')).toBeGreaterThan(0);
    expect(await givenUp(first)).toBe(0);
    await first.kill('SIGKILL');
    const lastBeforeKill = slotAtOrBefore(killAt);

    const second = await start();
    const readyAt = Date.now();
    const replayed = await second.metric('lambdascrape_remote_write_storage_units_replayed_total');
    // At least one unit per second of the outage (the scrape's) waited on disk.
    expect(replayed, 'units replayed').toBeGreaterThanOrEqual(
      DOWN_BEFORE_KILL_MS / INTERVAL_MS - 1,
    );
    expect(await pending(second)).toBeGreaterThanOrEqual(waiting);
    await sleep(DOWN_AFTER_RESTART_MS);
    await backend.restart();

    await pollUntil(async () => ((await pending(second)) === 0 ? true : undefined), {
      what: 'queue drained after the outage',
      timeoutMs: 20_000,
      describe: context,
    });
    expect(await givenUp(second), 'rejected or dropped').toBe(0);
    expect(await second.metric('lambdascrape_remote_write_samples_retried_total')).toBeGreaterThan(
      0,
    );

    // Every slot from before the outage to the kill, and from the restart on (up to a slot
    // surely sent: the one before the drain was seen, then one interval to spare).
    const firstAfterRestart = slotAtOrBefore(readyAt) + INTERVAL_MS;
    const toMs = slotAtOrBefore(Date.now()) - INTERVAL_MS;
    await sleep(INTERVAL_MS);
    const expected = [
      ...range(fromMs, lastBeforeKill, INTERVAL_MS),
      ...range(firstAfterRestart, toMs, INTERVAL_MS),
    ];
    for (const selector of [
      'up{job="ls-pgw"}',
      `e2e_temperature_celsius{job="${PUSH_JOB}"}`,
      `e2e_requests_total{job="${PUSH_JOB}", path="/a"}`,
    ]) {
      const found = await slots(selector, fromMs, toMs);
      const missingSlots = expected.filter((t) => !found.includes(t));
      expect(missingSlots, `${selector}: slots missing${context()}`).toEqual([]);
      // Nothing off the phase, nothing twice; the slots while run was dead are simply absent.
      expect(found.every((t) => (t - phaseMs) % INTERVAL_MS === 0)).toBe(true);
      expect(new Set(found).size).toBe(found.length);
      expect(found.filter((t) => t > lastBeforeKill && t < killAt + INTERVAL_MS)).toEqual([]);
    }
  }, 90_000);
});

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}
