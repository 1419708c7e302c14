/**
 * lambdascrape end to end into VictoriaMetrics (Debian's single-node `victoria-metrics`, 1.79)
 * through its Prometheus remote-write endpoint `/api/v1/write`, proven through its
 * Prometheus-compatible query API, against the same reference as the Prometheus backend test: a
 * Prometheus in agent mode scraping the same node_exporter and pushgateway into the same backend
 * (see test/support/remote-write-e2e.ts).
 *
 * Proves: the same series and values as the reference, the report series (§7), sample timestamps
 * exactly one interval apart (§9), and that our stale markers end a stopped target's series in
 * VictoriaMetrics too (§8.1: the StaleNaN bits must survive). The outage test runs against
 * Prometheus only (remote-write-prometheus.test.ts): what it proves is on the sender's side.
 * Skipped, with a message, only when a binary is missing; CI installs them (.ci/run).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  binaryAvailable,
  type RestartableProcess,
  startVictoriaMetrics,
} from '../support/processes.js';
import {
  CHECK_TIMEOUT_MS,
  expectReportSeries,
  expectSameSeriesAsReference,
  expectSlotTimestamps,
  expectStaleAfterTargetDown,
} from '../support/remote-write-checks.js';
import { type Stack, startStack } from '../support/remote-write-e2e.js';

const BINARIES = [
  '/usr/bin/victoria-metrics',
  '/usr/bin/prometheus',
  '/usr/bin/prometheus-node-exporter',
  '/usr/bin/prometheus-pushgateway',
];
const missing = BINARIES.filter((b) => !binaryAvailable(b));
const title =
  missing.length === 0
    ? 'remote write into VictoriaMetrics, against a reference Prometheus'
    : `remote write into VictoriaMetrics (SKIPPED: ${missing.join(', ')} not installed; apt-get install victoria-metrics prometheus prometheus-node-exporter prometheus-pushgateway)`;

describe.runIf(missing.length === 0)(title, () => {
  let backend: RestartableProcess;
  let stack: Stack;

  beforeAll(async () => {
    backend = await startVictoriaMetrics();
    stack = await startStack({ url: backend.url, writeUrl: `${backend.url}/api/v1/write` });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await backend?.stop();
  }, 60_000);

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
});
