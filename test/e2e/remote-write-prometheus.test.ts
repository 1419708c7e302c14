/**
 * lambdascrape end to end into a real Prometheus (Debian's 2.42) remote-write receiver, proven
 * through the backend's query API and against a reference: a Prometheus in agent mode scraping
 * the same node_exporter and pushgateway at the same interval into the same backend (see
 * test/support/remote-write-e2e.ts for the setup).
 *
 * Proves: the same series and values as the reference (§5, §6), the report series (§7), sample
 * timestamps exactly one interval apart (§9), staleness when a target goes down (§8.2), and no
 * sample lost while the backend is down for 30 s (§11.3: retried until delivered, in order).
 * Skipped, with a message, only when a binary is missing; CI installs them (.ci/run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, sleep } from '../support/poll.js';
import { binaryAvailable, type RestartableProcess, startPrometheus } from '../support/processes.js';
import {
  CHECK_TIMEOUT_MS,
  eventually,
  expectReportSeries,
  expectSameSeriesAsReference,
  expectSlotTimestamps,
  expectStaleAfterTargetDown,
} from '../support/remote-write-checks.js';
import {
  deltas,
  INTERVAL_MS,
  OURS,
  type Stack,
  startStack,
  timestampsMs,
} from '../support/remote-write-e2e.js';

const BINARIES = [
  '/usr/bin/prometheus',
  '/usr/bin/prometheus-node-exporter',
  '/usr/bin/prometheus-pushgateway',
];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'remote write into Prometheus, against a reference Prometheus'
    : `remote write into Prometheus (SKIPPED: ${missing.join(', ')} not installed; apt-get install prometheus prometheus-node-exporter prometheus-pushgateway)`;

/** How long the backend stays down in the outage test. */
const OUTAGE_MS = 30_000;

describe.runIf(missing.length === 0)(title, () => {
  let backend: RestartableProcess;
  let stack: Stack;

  beforeAll(async () => {
    backend = await startPrometheus('global: {}\n');
    stack = await startStack({ url: backend.url, writeUrl: `${backend.url}/api/v1/write` });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await backend?.stop();
  }, 60_000);

  /** Adds the backend's and the runner's logs to a failure. */
  const context = () =>
    `\n--- runner log ---\n${stack.logs()}\n--- backend ---\n${backend.output().slice(-4000)}`;

  it(
    'stores the same series as the reference, with equal values where nothing moves',
    () => expectSameSeriesAsReference(stack),
    CHECK_TIMEOUT_MS,
  );

  it(
    'writes the five report series for each target',
    () => expectReportSeries(stack),
    CHECK_TIMEOUT_MS,
  );

  it(
    'stamps samples exactly one interval apart, report series and samples alike',
    () => expectSlotTimestamps(stack),
    CHECK_TIMEOUT_MS,
  );

  it(
    'marks a stopped target down and its series stale at the failed scrape',
    () => expectStaleAfterTargetDown(stack, context),
    CHECK_TIMEOUT_MS,
  );

  it('loses no sample while the backend is down for 30 s and restarts', async () => {
    // A clean start: everything accepted so far has been delivered.
    await pollUntil(
      async () =>
        (await stack.runnerMetric('lambdascrape_remote_write_samples_pending')) === 0
          ? true
          : undefined,
      { what: 'nothing pending before the outage', timeoutMs: 10_000 },
    );
    const retriedBefore = await stack.runnerMetric(
      'lambdascrape_remote_write_samples_retried_total',
    );
    const givenUp = async () =>
      (await stack.runnerMetric('lambdascrape_remote_write_samples_total', {
        result: 'rejected',
      })) +
      (await stack.runnerMetric('lambdascrape_remote_write_samples_total', { result: 'dropped' }));
    const failedBefore = await givenUp();
    const [lastUp] = await stack.matrix(`up{job="ls-pgw", scraper="${OURS}"}[10s]`);
    const phaseMs = timestampsMs(lastUp!).at(-1)! % INTERVAL_MS;

    const downAt = Date.now();
    await backend.halt();
    // The outage itself is the point of the test: watch the queue grow while it lasts.
    let maxPending = 0;
    while (Date.now() - downAt < OUTAGE_MS) {
      maxPending = Math.max(
        maxPending,
        await stack.runnerMetric('lambdascrape_remote_write_samples_pending'),
      );
      await sleep(1_000);
    }
    // Retries show while they happen, not only once the backend is back.
    const retriedDuring = await stack.runnerMetric(
      'lambdascrape_remote_write_samples_retried_total',
    );
    await backend.restart();
    const upAt = Date.now();
    // 30 s of scrapes of ls-pgw wait (node_exporter is down, so ls-node only adds report series).
    expect(maxPending).toBeGreaterThan(10 * 5);
    expect(retriedDuring).toBeGreaterThan(retriedBefore);

    // Drained: nothing pending, retries happened, nothing given up on.
    await pollUntil(
      async () =>
        (await stack.runnerMetric('lambdascrape_remote_write_samples_pending')) === 0
          ? true
          : undefined,
      { what: 'queue drained after the outage', timeoutMs: 30_000, describe: context },
    );
    expect(
      await stack.runnerMetric('lambdascrape_remote_write_samples_retried_total'),
    ).toBeGreaterThan(retriedBefore);
    expect(await givenUp()).toBe(failedBefore);

    // Evaluate at a time half an interval past a slot, so neither end of the window is on a
    // slot: the window [end − range, end] then holds exactly range/interval slots.
    const firstSlotAfter = (t: number) =>
      Math.ceil((t - phaseMs) / INTERVAL_MS) * INTERVAL_MS + phaseMs;
    const end = firstSlotAfter(upAt) + INTERVAL_MS + INTERVAL_MS / 2;
    const start = firstSlotAfter(downAt - 2 * INTERVAL_MS) - INTERVAL_MS / 2;
    const rangeMs = end - start;
    expect(rangeMs % INTERVAL_MS).toBe(0);
    // The evaluation time must have passed (and its last slot been scraped and sent).
    await sleep(Math.max(end + INTERVAL_MS - Date.now(), 0));

    const slots = rangeMs / INTERVAL_MS;
    await eventually(async () => {
      // ls-pgw: every scrape through the outage, one sample per slot, all up.
      const pgw = `up{job="ls-pgw", scraper="${OURS}"}`;
      const [count] = await stack.query(`count_over_time(${pgw}[${rangeMs}ms])`, end);
      expect(Number(count?.value[1]), 'count_over_time ls-pgw').toBe(slots);
      const [series] = await stack.matrix(`${pgw}[${rangeMs}ms]`, end);
      expect(new Set(deltas(timestampsMs(series!)))).toEqual(new Set([INTERVAL_MS]));
      expect(new Set(series!.values.map(([, v]) => v))).toEqual(new Set(['1']));
      // The scraped series went through as well, not only the report series.
      const [gauge] = await stack.query(
        `count_over_time(e2e_temperature_celsius{scraper="${OURS}"}[${rangeMs}ms])`,
        end,
      );
      expect(Number(gauge?.value[1]), 'count_over_time e2e_temperature_celsius').toBe(slots);
      // ls-node (its node_exporter is down since the previous test): its up samples too.
      const [node] = await stack.query(
        `count_over_time(up{job="ls-node", scraper="${OURS}"}[${rangeMs}ms])`,
        end,
      );
      expect(Number(node?.value[1]), 'count_over_time ls-node').toBe(slots);
    });
  }, 120_000);
});
