/**
 * `simulate` under injected faults (src/cli/simulate-faults.ts, docs/reliability.md): two targets
 * scraped every second into a local receiver; for ten seconds the receiver answers 503 while a
 * quarter of the scraper's and the outbox function's DynamoDB requests and a fifth of the outbox
 * function's SQS requests fail; then everything heals. Counted sample by sample at the receiver:
 * every slot from the first to the last delivered one is either delivered or accounted for by
 * what the deployment itself counted (a late drop, samples lost at parking, a task SQS must
 * deliver again) — nothing is lost silently. The figures are printed for docs/reliability.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { throttled } from '../../src/cli/simulate-faults.js';
import { createLogger } from '../../src/log/logger.js';
import { taskTargetSlot } from '../../src/pipeline/plan.js';
import type { TargetOutcome } from '../../src/pipeline/scraper-outcome.js';
import type { ScrapeTask } from '../../src/ports.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { decodeWriteRequest } from '../remotewrite/wire.js';
import { pollUntil, sleep } from '../support/poll.js';

const INTERVAL_MS = 1_000;
const FAULTS_MS = 10_000;

interface Receiver {
  readonly url: string;
  down: boolean;
  /** `target instance → timestamps` of the `a` samples accepted, in arrival order. */
  readonly accepted: Map<string, number[]>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const accepted = new Map<string, number[]>();
  const r = { down: false, accepted } as Receiver & { down: boolean };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.down) {
        res.writeHead(503);
        res.end('down');
        return;
      }
      const decoded = decodeWriteRequest(snappyDecompress(new Uint8Array(Buffer.concat(chunks))));
      for (const ts of decoded.timeseries) {
        const get = (n: string) => ts.labels.find((l) => l.name === n)?.value;
        if (get('__name__') !== 'a') continue;
        const list = accepted.get(get('instance') ?? '') ?? [];
        list.push(...ts.samples.map((s) => s.timestamp));
        accepted.set(get('instance') ?? '', list);
      }
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(r, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return r;
}

async function startTarget(): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('a 1\nb 2\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Fails every `n`-th request that `matches`, while `on()`. */
function everyNth(n: number, on: () => boolean) {
  let count = 0;
  return (): boolean => on() && ++count % n === 0;
}

describe('simulate under injected faults', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  }, 60_000);

  it('nothing lost silently: each slot delivered or counted, sample by sample', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ls-simulate-faults-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const targets = [await startTarget(), await startTarget()];
    for (const t of targets) cleanup.push(() => t.close());
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(
      configPath,
      [
        'global: { scrape_interval: 1s, scrape_timeout: 500ms }',
        'scrape_configs:',
        '  - job_name: app',
        `    static_configs: [{ targets: [${targets.map((t) => `"${t.address}"`).join(', ')}] }]`,
        'remote_write:',
        `  - url: ${receiver.url}`,
        '    name: rw',
        '    queue_config: { min_backoff: 20ms, max_backoff: 100ms }',
        '',
      ].join('\n'),
    );

    let faulty = false;
    const dynamo = everyNth(4, () => faulty);
    const outboxSqs = everyNth(5, () => faulty);
    const injected = { dynamodb: 0, sqs: 0 };
    const sim: Simulation = await startSimulation({
      configPath,
      logger: createLogger({ format: 'json', level: 'error', write: () => {} }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      invocationTimeoutMs: 3_000,
      configEnv: {},
      writeEmf: () => {},
      replayerOptions: { retryDelaySeconds: () => 1 },
      // The scraper's and the outbox function's requests only: the planner's own faults would
      // leave windows unplanned, which is another test's matter.
      faults: ({ service, fn }) => {
        if (service === 'dynamodb' && (fn === 'scraper' || fn === 'outbox') && dynamo()) {
          injected.dynamodb++;
          return throttled('dynamodb');
        }
        if (service === 'sqs' && fn === 'outbox' && outboxSqs()) {
          injected.sqs++;
          return throttled('sqs');
        }
        return undefined;
      },
    });
    cleanup.push(() => sim.stop());

    // What the deployment counts: every outcome, and the slots of tasks SQS must redeliver.
    const outcomes: TargetOutcome[] = [];
    const redelivered: { target: string; slotMs: number }[] = [];
    const worker = sim.runtime.worker;
    const handleTask = worker.handleTask.bind(worker);
    worker.handleTask = async (task: ScrapeTask, budget) => {
      try {
        const outcome = await handleTask(task, budget);
        outcomes.push(...outcome.targets);
        return outcome;
      } catch (err) {
        if (task.kind === 'scrape') {
          for (const t of task.targets) {
            redelivered.push({ target: t.id, slotMs: taskTargetSlot(t, task.slotMs) });
          }
        }
        throw err;
      }
    };

    const delivered = () => [...receiver.accepted.values()].reduce((n, l) => n + l.length, 0);
    await pollUntil(async () => (delivered() >= 6 ? true : undefined), {
      what: 'both targets delivering',
      timeoutMs: 40_000,
    });
    faulty = true;
    receiver.down = true;
    await sleep(FAULTS_MS);
    faulty = false;
    receiver.down = false;
    const healedAt = Date.now();
    // Healed: wait until each target has a sample stamped after the healing and the outbox
    // is empty, then two more slots.
    await pollUntil(
      async () => {
        const fresh = [...receiver.accepted.values()].every(
          (l) => l.length > 0 && Math.max(...l) > healedAt + 2 * INTERVAL_MS,
        );
        const depth = await sim.runtime.sqs.send(
          new (await import('@aws-sdk/client-sqs')).GetQueueAttributesCommand({
            QueueUrl: sim.runtime.env.outboxQueueUrl,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        const waiting =
          Number(depth.Attributes?.ApproximateNumberOfMessages ?? '1') +
          Number(depth.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '1');
        return fresh && waiting === 0 ? true : undefined;
      },
      { what: 'caught up after the faults', timeoutMs: 60_000, intervalMs: 500 },
    );
    await sleep(2 * INTERVAL_MS);

    // Sample by sample, per target instance.
    const figures = { expected: 0, delivered: 0, duplicated: 0, counted: 0, outOfOrder: 0 };
    const uncounted: string[] = [];
    const countedSlots = new Set<string>();
    for (const o of outcomes) {
      if (o.kind === 'late') countedSlots.add(`${o.targetId}@${o.slotMs}`);
      if (o.kind === 'scraped' && o.delivery.parkFailed > 0) {
        countedSlots.add(`${o.targetId}@${o.slotMs}`);
      }
    }
    for (const r of redelivered) countedSlots.add(`${r.target}@${r.slotMs}`);
    const targetsById = await sim.runtime.targets.list();
    for (const t of targetsById) {
      const instance = t.publicLabels.find((l) => l.name === 'instance')?.value ?? '';
      const stamps = receiver.accepted.get(instance) ?? [];
      for (let i = 1; i < stamps.length; i++) {
        if (stamps[i]! < stamps[i - 1]!) figures.outOfOrder++;
      }
      const unique = new Set(stamps);
      figures.delivered += unique.size;
      figures.duplicated += stamps.length - unique.size;
      const first = Math.min(...unique);
      const last = Math.max(...unique);
      for (let slot = first; slot <= last; slot += t.intervalMs) {
        figures.expected++;
        if (unique.has(slot)) continue;
        if (countedSlots.has(`${t.id}@${slot}`)) figures.counted++;
        else uncounted.push(`${instance}@${slot}`);
      }
    }
    console.log(
      `faults: ${JSON.stringify(injected)}; samples of a: ${JSON.stringify(figures)}; ` +
        `outbox: ${JSON.stringify(sim.runtime.replayer.counters)}`,
    );
    expect(injected.dynamodb).toBeGreaterThan(0);
    expect(injected.sqs).toBeGreaterThan(0);
    expect(uncounted, 'slots neither delivered nor counted').toEqual([]);
    expect(figures.delivered + figures.counted).toBe(figures.expected);
    // The outage itself lost nothing: most slots of the faulty period were delivered.
    expect(figures.delivered).toBeGreaterThan(figures.expected * 0.6);
  }, 150_000);
});
