/**
 * The scrape worker end to end: real DynamoDbScrapeStateStore on dynalite, real SqsOutbox on
 * fauxqs, real RemoteWriter to a local decoding receiver, local node:http targets. The clock is
 * the real one shifted to a fixed virtual time, so waits are real and short.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryBacklog } from '../../src/aws/dynamodb-delivery-backlog.js';
import { DynamoDbStateChangeLog } from '../../src/aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../../src/aws/dynamodb-state-store.js';
import { decodeParkedWrite, SqsOutbox } from '../../src/aws/sqs-outbox.js';
import type { Config } from '../../src/config/types.js';
import { seriesStreamKey } from '../../src/engine/series-stream.js';
import {
  ScraperError,
  ScrapeWorker,
  type ScrapeWorkerOptions,
} from '../../src/pipeline/scraper.js';
import type {
  DeliveryBacklog,
  Outbox,
  ParkedWrite,
  ScrapeStateStore,
  ScrapeTask,
  StateChangeLog,
} from '../../src/ports.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { buildTargets } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/types.js';
import {
  type DecodedWriteRequest,
  decodeWriteRequest,
  reply,
  startReceiver,
  type TestReceiver,
} from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, receiveAll, startLocalSqs } from '../support/fauxqs.js';
import { ShiftedClock } from '../support/shifted-clock.js';
import { appConfig } from './app-config.js';

/** A slot bucket start (a multiple of the 10 s interval). */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const INTERVAL = 10_000;
const STALE_NAN_HEX = '020000000000f07f';
const REPORT = [
  'scrape_duration_seconds',
  'scrape_samples_post_metric_relabeling',
  'scrape_samples_scraped',
  'scrape_series_added',
  'up',
];

interface Exporter {
  readonly address: string;
  body: string;
  status: number;
  requests: number;
  close(): Promise<void>;
}

async function exporter(body: string): Promise<Exporter> {
  let server: Server | undefined;
  const e: Exporter = {
    address: '',
    body,
    status: 200,
    requests: 0,
    close: () =>
      new Promise<void>((r) => {
        server?.closeAllConnections();
        server?.close(() => r());
      }),
  };
  server = createServer((_req, res) => {
    e.requests++;
    res.writeHead(e.status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(e.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(e, { address: `127.0.0.1:${(server.address() as { port: number }).port}` });
  cleanup.push(() => e.close());
  return e;
}

let db: Dynalite;
let dynamo: DynamoDBClient;
let sqs: LocalSqs;
let receiver: TestReceiver;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await startDynalite();
  dynamo = db.client();
  sqs = await startLocalSqs();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await sqs?.stop();
  await db?.stop();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  receiver.requests.length = 0;
});

/** The job's targets, their phases set by the test (offsets within the interval). */
function targetsOf(config: Config, offsets: readonly number[]): Target[] {
  const job = config.scrapeConfigs[0]!;
  const groups = job.staticConfigs.map((g, i) => ({
    source: `static/${i}`,
    targets: g.targets.map((t) => ({ __address__: t })),
    labels: g.labels,
  }));
  const built = buildTargets(job, groups, { offsetSeed: 0n }).active;
  return built.map((t, i) => ({ ...t, offsetMs: offsets[i]! }));
}

interface Env {
  readonly config: Config;
  readonly table: string;
  readonly queueUrl: string;
  readonly clock: ShiftedClock;
  /** Every parked write, in the order parked. */
  readonly parked: ParkedWrite[];
  /** A worker as the runtime builds it: the change log on the state table unless replaced. */
  worker(options?: ScrapeWorkerOptions, deps?: WorkerDeps): ScrapeWorker;
  store(): DynamoDbScrapeStateStore;
  changes(): DynamoDbStateChangeLog;
  backlog(): DynamoDbDeliveryBacklog;
}

interface WorkerDeps {
  readonly states?: ScrapeStateStore;
  readonly changes?: StateChangeLog;
  readonly backlog?: DeliveryBacklog;
}

async function env(
  addresses: readonly string[],
  startMs: number,
  rwUrl = receiver.url,
): Promise<Env> {
  const config = appConfig(addresses, rwUrl);
  const table = `t-${randomUUID()}`;
  await createTable(dynamo, table, KEY_SCHEMAS.state);
  const queue = await createQueue(sqs.client, undefined, { fifo: true });
  const clock = new ShiftedClock(startMs);
  const parked: ParkedWrite[] = [];
  const e: Env = {
    config,
    table,
    queueUrl: queue.url,
    clock,
    parked,
    store: () => new DynamoDbScrapeStateStore(dynamo, table),
    changes: () => new DynamoDbStateChangeLog(dynamo, table),
    backlog: () => new DynamoDbDeliveryBacklog(dynamo, table),
    worker(options = {}, deps = {}) {
      const real = new SqsOutbox(sqs.client, queue.url);
      // Records the writes, delegates to the real SQS outbox.
      const outbox: Outbox = {
        park: (writes) => {
          parked.push(...writes);
          return real.park(writes);
        },
      };
      const writer = new RemoteWriter(config.remoteWrite[0]!, {
        externalLabels: config.global.externalLabels,
      });
      const worker = new ScrapeWorker({
        config,
        states: deps.states ?? e.store(),
        changes: deps.changes ?? e.changes(),
        backlog: deps.backlog ?? e.backlog(),
        outbox,
        writers: [writer],
        clock,
        options,
      });
      cleanup.push(async () => {
        await worker.close();
        await writer.close();
      });
      return worker;
    },
  };
  return e;
}

interface Sample {
  readonly series: string;
  readonly value: number;
  readonly stale: boolean;
  readonly timestamp: number;
}

function samplesOf(requests: readonly (DecodedWriteRequest | undefined)[]): Sample[] {
  const out: Sample[] = [];
  for (const req of requests) {
    for (const ts of req?.timeseries ?? []) {
      const name = ts.labels.find((l) => l.name === '__name__')?.value ?? '';
      const rest = ts.labels
        .filter((l) => l.name !== '__name__')
        .map((l) => `${l.name}="${l.value}"`)
        .join(',');
      for (const s of ts.samples) {
        out.push({
          series: `${name}{${rest}}`,
          value: s.value,
          stale: s.valueHex === STALE_NAN_HEX,
          timestamp: s.timestamp,
        });
      }
    }
  }
  return out;
}

function received(): Sample[] {
  return samplesOf(receiver.requests.map((r) => r.decoded));
}

const scrapeTask = (slotMs: number, targets: readonly Target[]): ScrapeTask => ({
  kind: 'scrape',
  slotMs,
  targets,
});

describe('ScrapeWorker', () => {
  it('with a short start tolerance, waits for each target’s slot, stamps the slot, writes changed state only', async () => {
    const exps = await Promise.all([exporter('a 1\n'), exporter('a 2\n'), exporter('a 3\n')]);
    // Arrives 20 ms before the bucket: every target waits for its own slot.
    const e = await env(
      exps.map((x) => x.address),
      T0 - 20,
    );
    const targets = targetsOf(e.config, [100, 250, 400]);
    const worker = e.worker({ startToleranceMs: 50 });
    const first = await worker.handleTask(scrapeTask(T0, targets), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(first.counters).toMatchObject({
      scrapes: 3,
      up: 3,
      failed: 0,
      lateDropped: 0,
      stateWrites: 3,
      stateUnchanged: 0,
      stateConflicts: 0,
      parked: 0,
      samplesSent: 3 * (1 + REPORT.length),
    });
    expect(first.counters.waitedMs).toBeGreaterThanOrEqual(300);
    for (const o of first.targets) {
      expect(o.kind).toBe('scraped');
      if (o.kind !== 'scraped') continue;
      expect(o.latenessMs).toBeGreaterThanOrEqual(-50);
      expect(o.latenessMs).toBeLessThan(200);
    }
    const samples = received();
    for (const [i, t] of targets.entries()) {
      const inst = `instance="${exps[i]!.address}",job="app"`;
      const slot = T0 + [100, 250, 400][i]!;
      expect(samples).toContainEqual({
        series: `a{${inst}}`,
        value: i + 1,
        stale: false,
        timestamp: slot,
      });
      for (const name of REPORT) {
        const s = samples.find((x) => x.series === `${name}{${inst}}`);
        expect(s?.timestamp, name).toBe(slot);
      }
      expect(samples.find((x) => x.series === `up{${inst}}`)?.value).toBe(1);
      const stored = (await e.store().getMany([seriesStreamKey(t)])).get(seriesStreamKey(t));
      expect([...(stored?.state.series ?? [])]).toHaveLength(1);
    }

    // The next slot, same series: nothing to write (decision 4).
    e.clock.set(T0 + INTERVAL - 10);
    const second = await worker.handleTask(scrapeTask(T0 + INTERVAL, targets), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(second.counters).toMatchObject({ scrapes: 3, stateWrites: 0, stateUnchanged: 3 });
  });

  it('by default scrapes every target of a task on arrival, stamped with its own slot, waiting for none', async () => {
    const exps = await Promise.all([exporter('a 1\n'), exporter('a 2\n'), exporter('a 3\n')]);
    // Visible 700 ms before the bucket's end (plan.ts DEFAULT_LEAD_MS): slots 0–700 ms ahead.
    const e = await env(
      exps.map((x) => x.address),
      T0 + 300,
    );
    const offsets = [300, 650, 999];
    const targets = targetsOf(e.config, offsets);
    const out = await e.worker().handleTask(scrapeTask(T0, targets), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(out.counters).toMatchObject({ scrapes: 3, up: 3, lateDropped: 0 });
    expect(out.counters.waitedMs).toBeLessThan(50);
    for (const [i, o] of out.targets.entries()) {
      expect(o.kind).toBe('scraped');
      if (o.kind !== 'scraped') continue;
      // Read up to 700 ms before the slot, never after it here.
      expect(o.latenessMs).toBeGreaterThanOrEqual(-700);
      expect(o.latenessMs).toBeLessThanOrEqual(offsets[i]! - 300 === 0 ? 100 : 0);
      const inst = `instance="${exps[i]!.address}",job="app"`;
      expect(received()).toContainEqual({
        series: `a{${inst}}`,
        value: i + 1,
        stale: false,
        timestamp: T0 + offsets[i]!,
      });
    }
  });

  it('a cold worker sends stale markers for vanished series from the stored state', async () => {
    const x = await exporter('a 1\nb{k="v"} 2\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    await e.worker().handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    receiver.requests.length = 0;

    x.body = 'a 5\n';
    e.clock.set(T0 + INTERVAL);
    const cold = e.worker();
    const out = await cold.handleTask(scrapeTask(T0 + INTERVAL, [t!]), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(out.counters).toMatchObject({ scrapes: 1, up: 1, stateWrites: 1 });
    const inst = `instance="${x.address}",job="app"`;
    expect(received()).toContainEqual({
      series: `b{${inst},k="v"}`,
      value: Number.NaN,
      stale: true,
      timestamp: T0 + INTERVAL,
    });
    expect(received()).toContainEqual({
      series: `a{${inst}}`,
      value: 5,
      stale: false,
      timestamp: T0 + INTERVAL,
    });
  });

  it('a failing target writes up=0 and stale markers for its previous series', async () => {
    const x = await exporter('a 1\nb 2\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const worker = e.worker();
    await worker.handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    receiver.requests.length = 0;

    x.status = 500;
    e.clock.set(T0 + INTERVAL);
    const out = await worker.handleTask(scrapeTask(T0 + INTERVAL, [t!]), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(out.counters).toMatchObject({ scrapes: 1, up: 0, failed: 1, stateWrites: 1 });
    const o = out.targets[0]!;
    expect(o.kind === 'scraped' && o.error).toMatch(/500/);
    const inst = `instance="${x.address}",job="app"`;
    const samples = received();
    expect(samples.find((s) => s.series === `up{${inst}}`)?.value).toBe(0);
    for (const name of ['a', 'b']) {
      expect(samples.find((s) => s.series === `${name}{${inst}}`)).toMatchObject({
        stale: true,
        timestamp: T0 + INTERVAL,
      });
    }
    // The stored set is now empty: the markers are not repeated next time.
    const stored = (await e.store().getMany([seriesStreamKey(t!)])).get(seriesStreamKey(t!));
    expect(stored?.state.series.size).toBe(0);
  });

  it('drops a late task’s targets without scraping or reading state', async () => {
    const x = await exporter('a 1\n');
    // 6 s after the slot: past min(10 s / 2, 10 s).
    const e = await env([x.address], T0 + 6_000);
    const [t] = targetsOf(e.config, [0]);
    const out = await e
      .worker()
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(out.counters).toMatchObject({ scrapes: 0, lateDropped: 1 });
    expect(out.targets).toEqual([
      { kind: 'late', targetId: t!.id, job: 'app', slotMs: T0, latenessMs: expect.any(Number) },
    ]);
    expect(x.requests).toBe(0);
    expect(receiver.requests).toHaveLength(0);
    expect((await e.store().getMany([seriesStreamKey(t!)])).size).toBe(0);
  });

  it('parks what the receiver did not take in time, byte-equal, behind a hold for the next scrape', async () => {
    const x = await exporter('a 1\nb 2\n');
    // A receiver of its own: its queue of 500s must not leak into other tests.
    const down = await startReceiver();
    cleanup.push(() => down.close());
    down.respond(...Array.from({ length: 200 }, () => reply(500, 'down')));
    const e = await env([x.address], T0, down.url);
    const [t] = targetsOf(e.config, [0]);
    const stream = seriesStreamKey(t!);
    const worker = e.worker({ directSendMs: 300 });
    const before = Date.now();
    const out = await worker.handleTask(scrapeTask(T0, [t!]), {
      deadlineMs: e.clock.now() + 10_000,
    });
    // Retried for directSendMs, not for the 10 s budget.
    expect(Date.now() - before).toBeLessThan(3_000);
    expect(out.counters).toMatchObject({
      scrapes: 1,
      up: 1,
      samplesSent: 0,
      parked: 1,
      samplesParked: 2 + REPORT.length,
      parkFailed: 0,
      stateWrites: 1,
    });
    expect(down.requests.length).toBeGreaterThan(1);
    const attempted = down.requests[0]!.body;
    for (const r of down.requests)
      expect(Buffer.from(r.body).equals(Buffer.from(attempted))).toBe(true);

    const [msg] = await receiveAll(sqs.client, e.queueUrl, 1);
    const parked = decodeParkedWrite(msg!.message.Body!);
    expect(parked).toMatchObject({
      remoteWrite: 'rw',
      samples: 2 + REPORT.length,
      stream,
      slotMs: T0,
      part: 0,
      nextSlotMs: T0 + INTERVAL,
    });
    expect(Buffer.from(parked.body).equals(Buffer.from(attempted))).toBe(true);
    // The next scrape of the stream must queue behind it.
    expect(await e.backlog().held(new Map([[stream, T0 + INTERVAL]]))).toEqual(
      new Map([[stream, new Set(['rw'])]]),
    );
    // Replayed once the backend is back, it delivers every sample.
    const replayer = new RemoteWriter({ ...e.config.remoteWrite[0]!, url: receiver.url }, {});
    cleanup.push(() => replayer.close());
    const replay = await replayer.replay({ ...parked, exemplars: 0, metadata: 0 });
    expect(replay.delivered).toBe(2 + REPORT.length);
    const decoded = decodeWriteRequest(snappyDecompress(parked.body));
    const inst = `instance="${x.address}",job="app"`;
    expect(
      samplesOf([decoded])
        .map((s) => s.series)
        .sort(),
    ).toEqual([`a{${inst}}`, `b{${inst}}`, ...REPORT.map((n) => `${n}{${inst}}`)].sort());
  });

  it('a stream held for its remote_write queues: parked without a request, and holds the next', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const stream = seriesStreamKey(t!);
    await e.backlog().hold(stream, T0, 'rw');
    const out = await e
      .worker()
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(out.counters).toMatchObject({ scrapes: 1, samplesSent: 0, parked: 1 });
    expect(receiver.requests).toHaveLength(0);
    expect(e.parked.map((w) => [w.stream, w.slotMs, w.nextSlotMs])).toEqual([
      [stream, T0, T0 + INTERVAL],
    ]);
    expect(await e.backlog().held(new Map([[stream, T0 + INTERVAL]]))).toEqual(
      new Map([[stream, new Set(['rw'])]]),
    );

    // Released (the outbox delivered it): the next scrape goes directly again.
    await e.backlog().release(stream, T0 + INTERVAL, 'rw');
    e.clock.set(T0 + INTERVAL);
    const next = await e
      .worker()
      .handleTask(scrapeTask(T0 + INTERVAL, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(next.counters).toMatchObject({ scrapes: 1, parked: 0, samplesSent: 1 + REPORT.length });
    expect(e.parked).toHaveLength(1);
  });

  it('a hold that cannot be written: the unit is parked anyway, nothing is held', async () => {
    const x = await exporter('a 1\n');
    const down = await startReceiver();
    cleanup.push(() => down.close());
    down.respond(...Array.from({ length: 200 }, () => reply(503, 'down')));
    const e = await env([x.address], T0, down.url);
    const [t] = targetsOf(e.config, [0]);
    const real = e.backlog();
    const noHolds: DeliveryBacklog = {
      hold: () => Promise.reject(new Error('throttled')),
      release: (...a) => real.release(...a),
      held: (...a) => real.held(...a),
    };
    const out = await e
      .worker({ directSendMs: 100 }, { backlog: noHolds })
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(out.counters).toMatchObject({ scrapes: 1, parked: 1, parkFailed: 0 });
    expect(e.parked).toHaveLength(1);
    // Nothing held: the next scrape would send directly (and may overtake the parked unit).
    expect(await real.held(new Map([[seriesStreamKey(t!), T0 + INTERVAL]]))).toEqual(new Map());
  });

  it('a backlog that cannot be read queues every stream: order kept, nothing lost', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const unreadable: DeliveryBacklog = {
      hold: () => Promise.resolve(),
      release: () => Promise.resolve(),
      held: () => Promise.reject(new Error('throttled')),
    };
    const out = await e
      .worker({}, { backlog: unreadable })
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(out.counters).toMatchObject({ scrapes: 1, samplesSent: 0, parked: 1, parkFailed: 0 });
    expect(receiver.requests).toHaveLength(0);
  });

  it('retire: markers for every series and the report series, then the state goes', async () => {
    const x = await exporter('a 1\nb 2\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const worker = e.worker();
    await worker.handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    receiver.requests.length = 0;

    const staleTimeMs = T0 + INTERVAL;
    const out = await worker.handleTask(
      { kind: 'retire', target: t!, staleTimeMs },
      { deadlineMs: e.clock.now() + 10_000 },
    );
    expect(out.counters).toMatchObject({ markers: 2 + REPORT.length, samplesSent: 7 });
    const inst = `instance="${x.address}",job="app"`;
    const samples = received();
    expect(samples.map((s) => s.series).sort()).toEqual(
      [`a{${inst}}`, `b{${inst}}`, ...REPORT.map((n) => `${n}{${inst}}`)].sort(),
    );
    for (const s of samples) expect(s).toMatchObject({ stale: true, timestamp: staleTimeMs });
    expect((await e.store().getMany([seriesStreamKey(t!)])).size).toBe(0);

    // Again (SQS redelivery): no state, no markers, still fine.
    const again = await worker.handleTask(
      { kind: 'retire', target: t!, staleTimeMs },
      { deadlineMs: e.clock.now() + 10_000 },
    );
    expect(again.counters.markers).toBe(0);
  });

  it('two workers scraping one target with the same expected state: one conflict', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0 - 300);
    const [t] = targetsOf(e.config, [0]);
    const [a, b] = [e.worker(), e.worker()];
    // Both wait for the slot, read the (absent) state at once and write.
    const outs = await Promise.all(
      [a, b].map((w) => w.handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 })),
    );
    const writes = outs.reduce((n, o) => n + o.counters.stateWrites, 0);
    const conflicts = outs.reduce((n, o) => n + o.counters.stateConflicts, 0);
    expect({ writes, conflicts }).toEqual({ writes: 1, conflicts: 1 });
    const stored = (await e.store().getMany([seriesStreamKey(t!)])).get(seriesStreamKey(t!));
    expect(stored?.version).toBe(1);
    expect([...(stored?.state.series ?? [])]).toEqual([
      expect.stringContaining(`instance\xfe${x.address}`),
    ]);

    // The loser's next scrape starts from the stored state: unchanged, no conflict.
    e.clock.set(T0 + INTERVAL);
    const next = await b.handleTask(scrapeTask(T0 + INTERVAL, [t!]), {
      deadlineMs: e.clock.now() + 10_000,
    });
    expect(next.counters).toMatchObject({ stateUnchanged: 1, stateConflicts: 0 });
  });

  it('a later slot of a target still being scraped waits for it; the same slot twice is skipped', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0 - 20);
    // A 1 s interval: the next slot's task arrives while this one still waits for its slot.
    const t = { ...targetsOf(e.config, [0])[0]!, intervalMs: 1_000, timeoutMs: 1_000 };
    const worker = e.worker();
    const budget = { deadlineMs: e.clock.now() + 10_000 };
    const [first, second, repeat] = await Promise.all([
      worker.handleTask(scrapeTask(T0, [t]), budget),
      worker.handleTask(scrapeTask(T0 + 1_000, [t]), budget),
      worker.handleTask(scrapeTask(T0, [t]), budget),
    ]);
    expect(first.counters).toMatchObject({ scrapes: 1, stateWrites: 1 });
    // Read after the first slot's write: the same series, nothing to write, no conflict.
    expect(second.counters).toMatchObject({ scrapes: 1, stateUnchanged: 1, stateConflicts: 0 });
    expect(repeat.targets).toEqual([
      { kind: 'skipped', targetId: t.id, job: 'app', reason: 'duplicate' },
    ]);
    const stamps = received()
      .filter((r) => r.series === `a{instance="${x.address}",job="app"}`)
      .map((r) => r.timestamp);
    expect(stamps).toEqual([T0, T0 + 1_000]);
  });

  it('reads the state after waiting for the slot, so the previous slot’s write elsewhere is seen', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0 - 20);
    const t = { ...targetsOf(e.config, [0])[0]!, intervalMs: 1_000, timeoutMs: 1_000 };
    // Two containers: the second gets the next slot's task before the first has scraped.
    const [a, b] = [e.worker(), e.worker()];
    const budget = { deadlineMs: e.clock.now() + 10_000 };
    const [first, second] = await Promise.all([
      a.handleTask(scrapeTask(T0, [t]), budget),
      b.handleTask(scrapeTask(T0 + 1_000, [t]), budget),
    ]);
    expect(first.counters).toMatchObject({ stateWrites: 1, stateConflicts: 0 });
    expect(second.counters).toMatchObject({ stateUnchanged: 1, stateConflicts: 0 });
  });

  it('a warm worker reads no state of a stream it scraped last, not even after its own write', async () => {
    const x = await exporter('a 1\nb 2\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const read: string[][] = [];
    const real = e.store();
    const states: ScrapeStateStore = {
      getMany: (keys, o) => {
        read.push([...keys]);
        return real.getMany(keys, o);
      },
      put: (k, st, ex) => real.put(k, st, ex),
      remove: (k) => real.remove(k),
    };
    const changes = e.changes();
    const w = e.worker({}, { states, changes });
    const at = async (slot: number) => {
      e.clock.set(slot);
      return w.handleTask(scrapeTask(slot, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    };
    const stream = seriesStreamKey(t!);
    expect((await at(T0)).counters).toMatchObject({ stateWrites: 1 });
    expect(read).toEqual([[stream]]);
    expect((await at(T0 + INTERVAL)).counters).toMatchObject({ stateUnchanged: 1 });
    // Its own write of T0 is in the log for T0 + INTERVAL, as the version it holds: trusted.
    expect(read).toEqual([[stream]]);
    receiver.requests.length = 0;
    x.body = 'a 1\n';
    const changed = await at(T0 + 2 * INTERVAL);
    expect(read.length).toBe(1);
    expect(changed.counters).toMatchObject({ stateWrites: 1, stateConflicts: 0 });
    expect(
      received()
        .filter((r) => r.stale)
        .map((r) => r.series),
    ).toEqual([`b{instance="${x.address}",job="app"}`]);
    // Recorded for the next slot as version 2: news to a holder of version 1 only.
    const next = T0 + 3 * INTERVAL;
    expect(await changes.changed(new Map([[stream, { slotMs: next, version: 1 }]]))).toEqual(
      new Set([stream]),
    );
    expect(await changes.changed(new Map([[stream, { slotMs: next, version: 2 }]]))).toEqual(
      new Set(),
    );
    const stored = (await real.getMany([stream])).get(stream)!;
    expect(stored.version).toBe(2);
    expect(stored.state.series.size).toBe(1);
  });

  it('a duplicate of the last slot written in another container: the warm worker reads the head', async () => {
    const x = await exporter('a 1\nb 2\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const [a, b] = [e.worker(), e.worker()];
    const budget = () => ({ deadlineMs: e.clock.now() + 10_000 });
    await a.handleTask(scrapeTask(T0, [t!]), budget());
    e.clock.set(T0 + INTERVAL);
    await a.handleTask(scrapeTask(T0 + INTERVAL, [t!]), budget());
    // SQS delivers the slot's task again, to another container, after the series changed.
    x.body = 'a 1\nc 3\n';
    const dup = await b.handleTask(scrapeTask(T0 + INTERVAL, [t!]), budget());
    expect(dup.counters).toMatchObject({ stateWrites: 1 });
    receiver.requests.length = 0;
    x.body = 'a 1\n';
    e.clock.set(T0 + 2 * INTERVAL);
    const next = await a.handleTask(scrapeTask(T0 + 2 * INTERVAL, [t!]), budget());
    // Against what the store holds (a, c), not what `a` remembers (a, b).
    expect(next.counters).toMatchObject({ stateWrites: 1, stateConflicts: 0 });
    expect(
      received()
        .filter((r) => r.stale)
        .map((r) => r.series),
    ).toEqual([`c{instance="${x.address}",job="app"}`]);
  });

  it('a change that cannot be recorded is not written', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const broken: StateChangeLog = {
      record: () => Promise.reject(new Error('throttled')),
      changed: () => Promise.resolve(new Set()),
    };
    const out = await e
      .worker({}, { changes: broken })
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 });
    expect(out.counters).toMatchObject({ scrapes: 1, stateWrites: 0, stateErrors: 1 });
    expect((await e.store().getMany([seriesStreamKey(t!)])).size).toBe(0);
  });

  it('a job over its target_limit fails each scrape without a request (§2.6)', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0);
    const limited = {
      ...e.config,
      scrapeConfigs: [{ ...e.config.scrapeConfigs[0]!, targetLimit: 2 }],
    };
    const [t] = targetsOf(e.config, [0]);
    const worker = new ScrapeWorker({
      config: limited,
      states: e.store(),
      outbox: { park: async () => {} },
      writers: [new RemoteWriter(e.config.remoteWrite[0]!)],
      clock: e.clock,
    });
    cleanup.push(() => worker.close());
    const budget = { deadlineMs: e.clock.now() + 10_000 };
    const over = await worker.handleTask(
      { kind: 'scrape', slotMs: T0, targets: [t!], jobTargets: { app: 3 } },
      budget,
    );
    expect(over.targets[0]).toMatchObject({
      kind: 'scraped',
      up: false,
      error: 'target_limit exceeded (number of targets: 3, limit: 2)',
    });
    expect(x.requests).toBe(0);
    expect(
      received().find((r) => r.series === `up{instance="${x.address}",job="app"}`)?.value,
    ).toBe(0);

    e.clock.set(T0 + INTERVAL);
    const within = await worker.handleTask(
      { kind: 'scrape', slotMs: T0 + INTERVAL, targets: [t!], jobTargets: { app: 2 } },
      { deadlineMs: e.clock.now() + 10_000 },
    );
    expect(within.targets[0]).toMatchObject({ kind: 'scraped', up: true });
    expect(x.requests).toBe(1);
  });

  it('throws a retryable error when the state store cannot be read', async () => {
    const x = await exporter('a 1\n');
    const e = await env([x.address], T0);
    const [t] = targetsOf(e.config, [0]);
    const worker = new ScrapeWorker({
      config: e.config,
      states: new DynamoDbScrapeStateStore(dynamo, `missing-${randomUUID()}`),
      outbox: new SqsOutbox(sqs.client, e.queueUrl),
      writers: [],
      clock: e.clock,
    });
    cleanup.push(() => worker.close());
    const err = await worker
      .handleTask(scrapeTask(T0, [t!]), { deadlineMs: e.clock.now() + 10_000 })
      .catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ScraperError);
    expect(err).toMatchObject({ code: 'SCRAPER_STATE_READ', retryable: true });
    expect(x.requests).toBe(0);
  });
});
