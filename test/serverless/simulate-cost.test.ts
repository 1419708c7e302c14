/**
 * The cost report of a real short `simulate` run (dynalite, fauxqs, the four handlers): two
 * targets every second, windows of 2 s. What the meter counted is checked against what the run
 * did: the dispatcher's planned rate, the scrape lines the scraper logged, the adapters' own
 * capacity totals, the log bytes written.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { SimulationMeter } from '../../src/cli/simulate-meter.js';
import { createLogger } from '../../src/log/logger.js';
import {
  DEFAULT_COST_MODEL,
  detailedMonitoringModel,
  formatCostReport,
} from '../../src/serverless/cost.js';
import { pollUntil } from '../support/poll.js';

describe('simulate cost report (integration)', () => {
  let dir: string;
  const targets: Server[] = [];
  let sim: Simulation | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-simulate-cost-'));
    for (let i = 0; i < 2; i++) {
      const t = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(`# TYPE cost_value gauge\ncost_value{i="${i}"} 1\n`);
      });
      t.listen(0, '127.0.0.1');
      await once(t, 'listening');
      targets.push(t);
    }
  });

  afterAll(async () => {
    await sim?.stop();
    for (const t of targets) {
      t.closeAllConnections();
      await new Promise<void>((r) => t.close(() => r()));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('counts invocations, capacity, SQS requests and log bytes the run used', async () => {
    const configPath = join(dir, 'prometheus.yml');
    const addresses = targets.map((t) => `"127.0.0.1:${(t.address() as AddressInfo).port}"`);
    await writeFile(
      configPath,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 500ms }',
        'scrape_configs:',
        '  - job_name: cost',
        `    static_configs: [{ targets: [${addresses.join(', ')}] }]`,
        '',
      ].join('\n'),
    );
    const meter = new SimulationMeter();
    let bytesLogged = 0;
    sim = await startSimulation({
      configPath,
      logger: createLogger({
        format: 'json',
        // Every scrape's line, to count scrapes against the meter's.
        level: 'debug',
        write: (l) => {
          meter.logLine(l);
          logs.push(l);
          bytesLogged += Buffer.byteLength(l);
        },
      }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      configEnv: {},
      // As a deployment with detailedMonitoring: its EMF metrics are counted too.
      emfMetrics: true,
      writeEmf: (l) => {
        bytesLogged += Buffer.byteLength(l);
      },
      meter,
    });
    // Warm-up ends one interval after the first scraped slot; then measure 5 s.
    await pollUntil(async () => (meter.steady ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the steady period',
      describe: () => logs.join(''),
    });
    const scrapeLinesBefore = logs.filter((l) => l.includes('"msg":"scrape"')).length;
    await new Promise((r) => setTimeout(r, 5_000));
    const m = meter.measurement();
    const report = sim.costReport(detailedMonitoringModel(DEFAULT_COST_MODEL));
    const scrapeLines = logs.filter((l) => l.includes('"msg":"scrape"')).length;

    // The dispatcher planned 2 targets × 1 per second.
    expect(m.scrapesPerSecond).toBe(2);
    expect(report.scrapesPerMonth).toBe(2 * 730 * 3_600);
    // ~2 scrapes a second in the period, each with its read time − slot.
    expect(m.durationMs).toBeGreaterThanOrEqual(5_000);
    expect(m.scrapes).toBeGreaterThanOrEqual(6);
    expect(m.scrapes).toBeLessThanOrEqual(scrapeLines - scrapeLinesBefore + 2);
    expect(m.latenessMs).toHaveLength(m.scrapes);
    // Discovery and dispatch every 2 s; one invocation ≥ 1 ms each.
    for (const fn of ['discovery', 'dispatcher'] as const) {
      expect(m.functions[fn].invocations).toBeGreaterThanOrEqual(2);
      expect(m.functions[fn].billedMs.every((ms) => Number.isInteger(ms) && ms >= 1)).toBe(true);
    }
    const scraper = m.functions.scraper;
    expect(scraper.invocations).toBeGreaterThanOrEqual(3);
    // What the scraper waited for slots is part of its billed time.
    expect(scraper.waitedMs).toBeLessThanOrEqual(scraper.billedMs.reduce((a, b) => a + b, 0));
    // One receive with messages and one delete per invocation at least.
    expect(scraper.sqsRequests).toBeGreaterThanOrEqual(2 * scraper.invocations);
    // Sends and GetQueueAttributes of each dispatch.
    expect(m.functions.dispatcher.sqsRequests).toBeGreaterThanOrEqual(
      2 * m.functions.dispatcher.invocations,
    );
    // Each task reads the state change log and the delivery backlog (strongly consistent at a
    // 1 s interval, ≥ 1 unit each);
    // the states this warm container wrote are not read again, and an unchanged series set
    // writes nothing: the first writes were warm-up.
    expect(scraper.readUnits).toBeGreaterThanOrEqual(0.5 * scraper.invocations);
    expect(scraper.writeUnits).toBe(0);
    const states = sim.runtime.states.consumedCapacity();
    const changes = sim.runtime.stateChanges.consumedCapacity();
    const backlog = sim.runtime.backlog.consumedCapacity();
    expect(states.writeUnits).toBeGreaterThan(0);
    expect(changes.readUnits).toBeGreaterThan(0);
    expect(backlog.readUnits).toBeGreaterThan(0);
    expect(scraper.readUnits).toBeLessThanOrEqual(
      states.readUnits + changes.readUnits + backlog.readUnits,
    );
    // The window ledger's claim: one write per planned window.
    expect(m.functions.dispatcher.writeUnits).toBeGreaterThanOrEqual(1);
    // Log bytes: within what the run wrote (its own lines are not billed).
    const logBytes = Object.values(m.functions).reduce((a, f) => a + f.logBytes, 0);
    expect(m.functions.scraper.logBytes).toBeGreaterThan(0);
    expect(logBytes).toBeLessThanOrEqual(bytesLogged);
    expect(m.customMetrics).toBeGreaterThan(0);
    expect(m.functions.scraper.initMs).toBeGreaterThan(0);
    expect(m.peakRssBytes).toBeGreaterThan(10 * 1_048_576);

    // Lambda, SQS and DynamoDB on top of the dashboard and the custom metrics.
    expect(report.totalUsd).toBeGreaterThan(
      DEFAULT_COST_MODEL.prices.dashboard_month +
        m.customMetrics * DEFAULT_COST_MODEL.prices.custom_metric_month,
    );
    if (process.env.SHOW_COST_REPORT) process.stderr.write(formatCostReport(report));
    expect(report.perScrape.writeUnits).toBeGreaterThan(0); // the ledger's claims
    expect(report.notes).toEqual([]);
  }, 45_000);
});
