/**
 * The checks both remote-write end-to-end tests run against their backend (Prometheus,
 * VictoriaMetrics), through its query API. Each is one `it` of those files; see
 * remote-write-e2e.ts for the setup they assume.
 *
 * Assertions about the newest samples retry for a few seconds ({@link eventually}): the
 * reference sends in batches, and VictoriaMetrics makes the rows of one request searchable
 * shard by shard (~1 s), so `up` of a scrape can be visible a moment before its other samples.
 * The times they evaluate at are fixed before retrying, so retrying only waits for ingestion.
 */
import { expect, vi } from 'vitest';
import { pollUntil } from './poll.js';
import {
  deltas,
  difference,
  INTERVAL_MS,
  liveSeries,
  OURS,
  PUSH_JOB,
  PUSHED_VALUES,
  REFERENCE,
  REPORT_SELECTOR,
  REPORT_SERIES,
  type Stack,
  timestampsMs,
  toMs,
} from './remote-write-e2e.js';

/** Test timeout for each check: they poll with their own deadlines, which add up to less. */
export const CHECK_TIMEOUT_MS = 60_000;

/** Runs `assertions` until they pass (at most 10 s); then the last failure is thrown. */
export function eventually(assertions: () => Promise<void>): Promise<void> {
  return vi.waitFor(assertions, { timeout: 10_000, interval: 250 });
}

/**
 * Check 1: the same live series as the reference (the job aside, le/quantile as numbers), and
 * equal values for what does not move between scrapes: the pushed metrics (also equal to what
 * was pushed) and node_exporter's constant series.
 */
export async function expectSameSeriesAsReference(stack: Stack): Promise<void> {
  // Both scrapers' latest scrapes, as an instant query sees them. They scrape at different
  // phases and the reference batches its sends, so a series that appears or goes away between
  // the two scrapes may show on one side only for a moment: compare until equal.
  let last: ReturnType<typeof difference> | undefined;
  const [ours] = await pollUntil(
    async () => {
      const [o, r] = await Promise.all([liveSeries(stack, OURS), liveSeries(stack, REFERENCE)]);
      last = difference(o, r);
      return last.onlyOurs.length === 0 && last.onlyTheirs.length === 0 ? [o, r] : undefined;
    },
    { what: 'same series', timeoutMs: 20_000, describe: () => JSON.stringify(last, null, 1) },
  );
  // node_exporter alone exposes ~500 series here.
  expect(ours.size).toBeGreaterThan(300);

  // The pushed counter, gauge, histogram and summary: exactly what was pushed, on both sides.
  const pushedOurs = await liveSeries(stack, OURS, `job="${PUSH_JOB}"`);
  const pushedRef = await liveSeries(stack, REFERENCE, `job="${PUSH_JOB}"`);
  const numbers = (m: Map<string, string>) =>
    Object.fromEntries(
      [...m].filter(([k]) => k.startsWith('{__name__="e2e_')).map(([k, v]) => [k, +v]),
    );
  expect(numbers(pushedOurs)).toEqual(PUSHED_VALUES);
  expect(numbers(pushedRef)).toEqual(PUSHED_VALUES);
  // push_time_seconds and push_failure_time_seconds of the group do not move either.
  expect(Object.fromEntries(pushedOurs)).toEqual(Object.fromEntries(pushedRef));
  expect(pushedOurs.size).toBe(Object.keys(PUSHED_VALUES).length + 2);

  // Constant node_exporter series: every *_info series, and the memory size.
  const constant = `__name__=~".+_info|node_memory_MemTotal_bytes", job=~"ls-node|ref-node"`;
  const constOurs = await liveSeries(stack, OURS, constant);
  const constRef = await liveSeries(stack, REFERENCE, constant);
  expect(constOurs.size).toBeGreaterThanOrEqual(5);
  expect([...constOurs.keys()].some((k) => k.includes('node_uname_info'))).toBe(true);
  expect(Object.fromEntries(constOurs)).toEqual(Object.fromEntries(constRef));
}

/**
 * Check 2: the five report series of each of our targets (§7), consistent with what the scrape
 * wrote, equal to the reference's for the pushgateway, and scrape_series_added = all on the
 * first scrape.
 */
export async function expectReportSeries(stack: Stack): Promise<void> {
  for (const job of ['ls-node', 'ls-pgw']) {
    const rows = await stack.query(`{${REPORT_SELECTOR}, job="${job}", scraper="${OURS}"}`);
    expect(rows.map((r) => r.metric.__name__).sort()).toEqual([...REPORT_SERIES]);
    const value = (name: string) => Number(rows.find((r) => r.metric.__name__ === name)!.value[1]);
    for (const r of rows) {
      // Report series carry the target's public labels and nothing else (§7).
      expect(Object.keys(r.metric).sort()).toEqual(['__name__', 'instance', 'job', 'scraper']);
      expect(r.metric.instance).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(value('up')).toBe(1);
    expect(value('scrape_duration_seconds')).toBeGreaterThan(0);
    expect(value('scrape_duration_seconds')).toBeLessThan(1.5);
    expect(value('scrape_samples_scraped')).toBeGreaterThan(10);
    expect(value('scrape_samples_post_metric_relabeling')).toBe(value('scrape_samples_scraped'));
  }

  // scrape_samples_scraped = the series the scrape wrote: at the time of a scrape, the live
  // series of the target (those not in it carry a stale marker then) minus the report series.
  // The pushed series have their own job label (honor_labels), hence `job!="ls-node"` for ls-pgw.
  for (const [job, selector] of [
    ['ls-node', 'job="ls-node"'],
    ['ls-pgw', 'job!="ls-node"'],
  ] as const) {
    const [series] = await stack.matrix(`up{job="${job}", scraper="${OURS}"}[10s]`);
    const t = timestampsMs(series!).at(-1)!;
    await eventually(async () => {
      const [scraped] = await stack.query(
        `scrape_samples_scraped{job="${job}", scraper="${OURS}"}`,
        t,
      );
      const [written] = await stack.query(
        `count({scraper="${OURS}", ${selector}, __name__!~"${REPORT_SERIES.join('|')}"})`,
        t,
      );
      expect(Number(written!.value[1]), job).toBe(Number(scraped!.value[1]));
    });
  }

  // The pushgateway's series do not change: the reference counts the same samples.
  const pgw = await pollUntil(async () => {
    const rows = await stack.query(`scrape_samples_scraped{job=~"ls-pgw|ref-pgw"}`);
    return rows.length === 2 && rows[0]!.value[1] === rows[1]!.value[1] ? rows : undefined;
  });
  expect(Number(pgw[0]!.value[1])).toBeGreaterThan(13);

  // scrape_series_added: on the first scrape every series is new.
  for (const job of ['ls-node', 'ls-pgw']) {
    const sel = `{job="${job}", scraper="${OURS}"}[10m]`;
    const [added] = await stack.matrix(`scrape_series_added${sel}`);
    const [scraped] = await stack.matrix(`scrape_samples_scraped${sel}`);
    expect(added!.values[0]![0]).toBe(scraped!.values[0]![0]);
    expect(Number(added!.values[0]![1]), job).toBe(Number(scraped!.values[0]![1]));
    for (const [, v] of added!.values.slice(1)) expect(Number(v)).toBeLessThan(10);
  }
}

/** Check 3: sample timestamps exactly one interval apart, samples and report series alike (§9). */
export async function expectSlotTimestamps(stack: Stack): Promise<void> {
  for (const job of ['ls-node', 'ls-pgw']) {
    const [latest] = await stack.matrix(`up{job="${job}", scraper="${OURS}"}[10s]`);
    const t = timestampsMs(latest!).at(-1)!;
    await eventually(async () => {
      const [up] = await stack.matrix(`up{job="${job}", scraper="${OURS}"}[30s]`, t);
      const stamps = timestampsMs(up!);
      expect(stamps.length, job).toBeGreaterThanOrEqual(4);
      expect(new Set(deltas(stamps)), job).toEqual(new Set([INTERVAL_MS]));
      // A scraped series has a sample at exactly each of those times (the slot time, §9).
      const metric = job === 'ls-node' ? 'node_uname_info' : 'e2e_temperature_celsius';
      const [samples] = await stack.matrix(`${metric}{scraper="${OURS}"}[30s]`, t);
      expect(timestampsMs(samples!), job).toEqual(stamps);
    });
  }
}

/**
 * Check 4: node_exporter stops; `up` becomes 0 and every other series of the target ends at the
 * failed scrape (stale markers, §8.2), for us as for the reference.
 */
export async function expectStaleAfterTargetDown(
  stack: Stack,
  context: () => string,
): Promise<void> {
  await stack.exporter.halt();

  for (const [scraper, job] of [
    [OURS, 'ls-node'],
    [REFERENCE, 'ref-node'],
  ] as const) {
    // The first failed scrape, as stored.
    const failedAt = await pollUntil(
      async () => {
        const [up] = await stack.matrix(`up{job="${job}", scraper="${scraper}"}[1m]`);
        const down = up?.values.find(([, v]) => v === '0');
        return down === undefined ? undefined : toMs(down[0]);
      },
      { what: `${job} up == 0`, timeoutMs: 20_000, describe: context },
    );
    const node = `node_uname_info{job="${job}", scraper="${scraper}"}`;
    // Present one scrape before, gone at the failed scrape itself, and after it.
    const before = await stack.query(node, failedAt - INTERVAL_MS);
    expect(
      before.map((r) => r.value[1]),
      job,
    ).toEqual(['1']);
    await eventually(async () => {
      expect(await stack.query(node, failedAt), job).toEqual([]);
      expect(await stack.query(node), job).toEqual([]);

      // Only the report series remain, from the failed scrape (§8.2, §7).
      const left = await stack.query(`{job="${job}", scraper="${scraper}"}`, failedAt);
      const byName = Object.fromEntries(left.map((r) => [r.metric.__name__, r.value[1]]));
      expect(Object.keys(byName).sort(), job).toEqual([...REPORT_SERIES]);
      expect(byName.up).toBe('0');
      expect(byName.scrape_samples_scraped).toBe('0');
      if (scraper === OURS) expect(byName.scrape_series_added).toBe('0');
    });
  }
}
