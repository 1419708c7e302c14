/**
 * The egress guard in the Lambda driver, through `simulate` (the four handlers, dynalite,
 * fauxqs): a fixture plays the Runtime API (AWS_LAMBDA_RUNTIME_API points at it) and must never
 * be called — not by a target aimed at it, nor by a redirect, nor by HTTP SD; those scrapes are
 * `up` 0 with the reason logged. LAMBDASCRAPE_DENY_CIDRS refuses a name that resolves into a
 * denied range, and an allowed target is still scraped.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { egressRefusals, installEgressPolicy } from '../../src/http/egress-guard.js';
import { createLogger } from '../../src/log/logger.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';
import { pollUntil } from '../support/poll.js';
import {
  type RecordingServer,
  startExporter,
  startRedirector,
  startRuntimeApiFixture,
} from '../support/runtime-api-fixture.js';

const NEXT = '/2018-06-01/runtime/invocation/next';

describe('simulate: the egress guard (integration)', () => {
  let dir: string;
  let runtimeApi: RecordingServer;
  let denied: RecordingServer;
  let allowed: RecordingServer;
  let redirector: RecordingServer;
  let receiver: TestReceiver;
  let sim: Simulation | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-egress-'));
    runtimeApi = await startRuntimeApiFixture();
    denied = await startExporter('127.0.0.1');
    allowed = await startExporter('127.0.0.2');
    redirector = await startRedirector(
      () => `http://localhost:${runtimeApi.port}${NEXT}`,
      '127.0.0.2',
    );
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await sim?.stop();
    installEgressPolicy(undefined);
    await receiver?.close();
    for (const s of [runtimeApi, denied, allowed, redirector]) await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never calls the Runtime API; refuses denied ranges; scrapes the rest', async () => {
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 500ms }',
        'scrape_configs:',
        '  - job_name: runtime',
        `    metrics_path: ${NEXT}`,
        `    static_configs: [{ targets: ["${runtimeApi.hostPort}"] }]`,
        '  - job_name: redirect',
        `    static_configs: [{ targets: ["${redirector.hostPort}"] }]`,
        '  - job_name: sd',
        `    http_sd_configs: [{ url: "http://${runtimeApi.hostPort}${NEXT}" }]`,
        '  - job_name: denied',
        `    static_configs: [{ targets: ["localhost:${denied.port}"] }]`,
        '  - job_name: allowed',
        `    static_configs: [{ targets: ["${allowed.hostPort}"] }]`,
        'remote_write:',
        `  - url: ${receiver.url}`,
        '',
      ].join('\n'),
    );
    sim = await startSimulation({
      configPath,
      logger: createLogger({ format: 'json', level: 'info', write: (l) => logs.push(l) }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      configEnv: {},
      writeEmf: () => {},
      runtimeApi: runtimeApi.hostPort,
      denyCidrs: '127.0.0.1/32, ::1',
    });

    // The highest `up` each job ever had: a refused target never reaches 1, and the allowed one
    // does even when one of its scrapes times out on a loaded machine.
    const up = () => {
      const byJob = new Map<string, number>();
      for (const r of receiver.requests) {
        for (const s of r.decoded?.timeseries ?? []) {
          const label = (n: string) => s.labels.find((l) => l.name === n)?.value;
          if (label('__name__') !== 'up') continue;
          for (const sample of s.samples) {
            const job = label('job') ?? '';
            byJob.set(job, Math.max(byJob.get(job) ?? 0, sample.value));
          }
        }
      }
      return byJob;
    };
    const selfRefused = (reason: string) => {
      let max = 0;
      for (const r of receiver.requests) {
        for (const s of r.decoded?.timeseries ?? []) {
          const label = (n: string) => s.labels.find((l) => l.name === n)?.value;
          if (label('__name__') !== 'lambdascrape_egress_refused_total') continue;
          if (label('reason') !== reason) continue;
          for (const sample of s.samples) max = Math.max(max, sample.value);
        }
      }
      return max;
    };
    await pollUntil(async () => (up().size >= 4 && up().get('allowed') === 1 ? true : undefined), {
      timeoutMs: 40_000,
      what: 'up of the four static jobs remote-written',
      describe: () => logs.join(''),
    });
    expect(runtimeApi.requests).toEqual([]);
    expect(denied.requests).toEqual([]);
    expect(allowed.requests.length).toBeGreaterThan(0);
    expect(Object.fromEntries(up())).toEqual({ runtime: 0, redirect: 0, denied: 0, allowed: 1 });

    // The scraper logs a task's scrapes after delivering them: under load the `up` samples can
    // arrive before the lines that say why the scrapes failed.
    const runtimeLine = `dial tcp ${runtimeApi.hostPort}: connection refused by lambdascrape: the Lambda Runtime API`;
    const deniedLine = /connection refused by lambdascrape: address in denied range/;
    await pollUntil(
      async () => {
        const text = logs.join('');
        return text.includes(runtimeLine) && deniedLine.test(text) ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'both refusals logged', describe: () => logs.join('') },
    );
    await pollUntil(
      async () => (logs.join('').includes('cannot fetch http_sd targets') ? true : undefined),
      { timeoutMs: 10_000, what: 'the HTTP SD refusal logged', describe: () => logs.join('') },
    );
    expect(egressRefusals().runtime_api).toBeGreaterThanOrEqual(3);
    // The self-metrics carry the count: the scraper function's flush after its first task.
    await pollUntil(async () => (selfRefused('runtime_api') > 0 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'lambdascrape_egress_refused_total remote-written',
    });
    expect(egressRefusals().denied_range).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
