/**
 * The scraper's health records (src/pipeline/target-health.ts) end to end: real DynamoDB
 * adapters on dynalite, a real RemoteWriter to a local receiver, local node:http targets, the
 * real clock shifted to a fixed virtual time. What a record costs is measured with the adapters'
 * ConsumedCapacity counters: a steady healthy workload must add no write unit per scrape.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryBacklog } from '../../src/aws/dynamodb-delivery-backlog.js';
import { DynamoDbTargetHealthStore } from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbStateChangeLog } from '../../src/aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../../src/aws/dynamodb-state-store.js';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { ScrapeWorker } from '../../src/pipeline/scraper.js';
import {
  errorShape,
  healthError,
  MAX_HEALTH_ERROR_LENGTH,
  TargetHealthRecorder,
} from '../../src/pipeline/target-health.js';
import type { ScrapeTask, TargetHealth, TargetHealthStore } from '../../src/ports.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { buildTargets } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/types.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { ShiftedClock } from '../support/shifted-clock.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const INTERVAL = 10_000;

interface Exporter {
  readonly address: string;
  status: number;
  body: string;
}

let db: Dynalite;
let dynamo: DynamoDBClient;
let receiver: TestReceiver;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await startDynalite();
  dynamo = db.client();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await db?.stop();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  receiver.requests.length = 0;
});

async function exporter(): Promise<Exporter> {
  const e = { address: '', status: 200, body: 'a 1\nb 2\n' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(e.status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(e.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  e.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return e;
}

function configFor(addresses: readonly string[]): Config {
  return loadConfig(
    `
remote_write:
  - url: ${receiver.url}
    name: rw
scrape_configs:
  - job_name: app
    scrape_interval: 10s
    scrape_timeout: 2s
    static_configs:
      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]
`,
    { env: {} },
  );
}

/** The job's targets, phases spread over the first 900 ms of the interval. */
function targetsOf(config: Config): Target[] {
  const job = config.scrapeConfigs[0]!;
  const groups = job.staticConfigs.map((g, i) => ({
    source: `static/${i}`,
    targets: g.targets.map((t) => ({ __address__: t })),
    labels: g.labels,
  }));
  return buildTargets(job, groups, { offsetSeed: 0n }).active.map((t, i, all) => ({
    ...t,
    offsetMs: Math.floor((i * 900) / all.length),
  }));
}

/** A deployment's worth of adapters on one fresh state table, and workers built on them. */
async function deployment(addresses: readonly string[]) {
  const config = configFor(addresses);
  const table = `t-${randomUUID()}`;
  await createTable(dynamo, table, KEY_SCHEMAS.state);
  const clock = new ShiftedClock(T0 - 300);
  const adapters = {
    states: new DynamoDbScrapeStateStore(dynamo, table),
    changes: new DynamoDbStateChangeLog(dynamo, table),
    backlog: new DynamoDbDeliveryBacklog(dynamo, table),
    health: new DynamoDbTargetHealthStore(dynamo, table),
  };
  /** Write and read units of every adapter so far. */
  const units = () => {
    const all = Object.values(adapters).map((a) => a.consumedCapacity());
    return {
      write: all.reduce((s, c) => s + c.writeUnits, 0),
      read: all.reduce((s, c) => s + c.readUnits, 0),
      healthWrite: adapters.health.consumedCapacity().writeUnits,
    };
  };
  const worker = (health: TargetHealthStore = adapters.health) => {
    const writer = new RemoteWriter(config.remoteWrite[0]!, {
      externalLabels: config.global.externalLabels,
    });
    const w = new ScrapeWorker({
      config,
      states: adapters.states,
      changes: adapters.changes,
      backlog: adapters.backlog,
      health,
      outbox: { park: async () => {} },
      writers: [writer],
      clock,
    });
    cleanup.push(async () => {
      await w.close();
      await writer.close();
    });
    return w;
  };
  const targets = targetsOf(config);
  /** Runs the task of slot `n` (slots T0 + n·INTERVAL) on `w`. */
  const slot = async (w: ScrapeWorker, n: number) => {
    const slotMs = T0 + n * INTERVAL;
    clock.set(slotMs - 300);
    const task: ScrapeTask = { kind: 'scrape', slotMs, targets };
    return w.handleTask(task, { deadlineMs: clock.now() + 8_000 });
  };
  return { adapters, units, worker, targets, slot, table, clock };
}

describe('target health records', () => {
  it('a steady healthy workload writes nothing per scrape: 0 write units after the first slot', async () => {
    const exps = await Promise.all(Array.from({ length: 20 }, () => exporter()));
    const d = await deployment(exps.map((e) => e.address));
    const w = d.worker();
    const first = await d.slot(w, 0);
    expect(first.counters).toMatchObject({ scrapes: 20, up: 20 });
    const afterFirst = d.units();
    // One record per new target (1 WCU each), besides the first states.
    expect(afterFirst.healthWrite).toBe(20);
    const slots = 8;
    for (let n = 1; n <= slots; n++) {
      const out = await d.slot(w, n);
      expect(out.counters).toMatchObject({ scrapes: 20, up: 20, lateDropped: 0 });
    }
    const after = d.units();
    // 160 healthy scrapes: no write unit at all, health or state; no read of the records either.
    expect(after.write - afterFirst.write).toBe(0);
    expect(after.healthWrite - afterFirst.healthWrite).toBe(0);
    expect(d.adapters.health.consumedCapacity().readUnits).toBe(
      // The first slot read the (absent) records of the 20 new targets: 20 × 0.5 RCU.
      10,
    );
    const records = await d.adapters.health.getMany(d.targets.map((t) => t.id));
    for (const t of d.targets) {
      expect(records.get(t.id)).toMatchObject({ up: true, sinceMs: T0 + t.offsetMs, error: '' });
    }
  });

  it('writes on a change of health or of the error’s text, nothing while both stay', async () => {
    const exps = await Promise.all([exporter(), exporter()]);
    const d = await deployment(exps.map((e) => e.address));
    const w = d.worker();
    await d.slot(w, 0);
    const target = (i: number) => d.targets.find((t) => t.url.includes(exps[i]!.address))!;
    const id = (i: number) => target(i).id;
    const slotOf = (i: number, n: number) => T0 + n * INTERVAL + target(i).offsetMs;
    const record = async (i: number) => (await d.adapters.health.getMany([id(i)])).get(id(i));
    let before = d.units().healthWrite;
    const writes = () => {
      const now = d.units().healthWrite;
      const n = now - before;
      before = now;
      return n;
    };
    expect(writes()).toBe(0);

    exps[0]!.status = 500; // down
    await d.slot(w, 1);
    expect(writes()).toBe(1);
    const down = await record(0);
    expect(down).toMatchObject({ up: false, sinceMs: slotOf(0, 1) });
    expect(down?.error).toContain('500');
    expect(down?.durationSeconds).toBeGreaterThan(0);

    await d.slot(w, 2); // still down, same error: nothing
    expect(writes()).toBe(0);

    exps[0]!.status = 503; // another status, another text: a write, still down since slot 1
    await d.slot(w, 3);
    expect(writes()).toBe(1);
    expect(await record(0)).toMatchObject({ up: false, sinceMs: slotOf(0, 1) });

    exps[0]!.status = 200;
    exps[0]!.body = 'not a metric line {\n'; // another error: a write, still down since slot 1
    await d.slot(w, 4);
    expect(writes()).toBe(1);
    const parse = await record(0);
    expect(parse).toMatchObject({ up: false, sinceMs: slotOf(0, 1), slotMs: slotOf(0, 4) });
    expect(parse?.error).not.toBe(down?.error);

    exps[0]!.body = 'a 1\n'; // up again
    await d.slot(w, 5);
    expect(writes()).toBe(1);
    expect(await record(0)).toMatchObject({ up: true, sinceMs: slotOf(0, 5), error: '' });
    // The other target stayed up since its first scrape: its record was written once.
    expect(await record(1)).toMatchObject({ up: true, sinceMs: slotOf(1, 0) });
  });

  it('a new container reads the records once and writes only what changed', async () => {
    const exps = await Promise.all([exporter(), exporter(), exporter()]);
    const d = await deployment(exps.map((e) => e.address));
    await d.slot(d.worker(), 0);
    const before = d.units();
    exps[2]!.status = 500;
    const own = new DynamoDbTargetHealthStore(dynamo, d.table);
    const fresh = d.worker(own);
    await d.slot(fresh, 1);
    await d.slot(fresh, 2);
    // 3 records read once (eventually consistent, 0.5 RCU each), 1 written: the one that changed.
    expect(own.consumedCapacity()).toEqual({ readUnits: 1.5, writeUnits: 1 });
    expect(d.adapters.health.consumedCapacity().writeUnits).toBe(before.healthWrite);
  });

  it('a retired target’s record is removed with its state', async () => {
    const exps = await Promise.all([exporter()]);
    const d = await deployment(exps.map((e) => e.address));
    const w = d.worker();
    await d.slot(w, 0);
    const [t] = d.targets;
    expect((await d.adapters.health.getMany([t!.id])).size).toBe(1);
    await w.handleTask(
      { kind: 'retire', target: t!, staleTimeMs: T0 + INTERVAL + t!.offsetMs },
      { deadlineMs: d.clock.now() + 8_000 },
    );
    expect((await d.adapters.health.getMany([t!.id])).size).toBe(0);
  });

  it('a record is never replaced by one of an earlier or the same slot', async () => {
    const table = `t-${randomUUID()}`;
    await createTable(dynamo, table, KEY_SCHEMAS.state);
    const s = new DynamoDbTargetHealthStore(dynamo, table);
    const id = '0123456789abcdef';
    const h = { up: false, sinceMs: 20, slotMs: 20, error: 'x', durationSeconds: 1, latenessMs: 2 };
    expect(await s.put(id, h)).toBe(true);
    expect(await s.put(id, { ...h, up: true, slotMs: 20 })).toBe(false);
    expect(await s.put(id, { ...h, up: true, slotMs: 10 })).toBe(false);
    expect(await s.put(id, { ...h, up: true, slotMs: 30, sinceMs: 30 })).toBe(true);
    expect((await s.getMany([id])).get(id)).toMatchObject({ up: true, slotMs: 30 });
    await s.remove([id]);
    expect((await s.getMany([id])).size).toBe(0);
  });

  it('an error differing only in its numbers is the same health; errors are redacted and bounded', async () => {
    const puts: TargetHealth[] = [];
    const store: TargetHealthStore = {
      getMany: async () => new Map(),
      put: async (_id, h) => {
        puts.push(h);
        return true;
      },
      remove: async () => {},
    };
    const r = new TargetHealthRecorder(store, silentLogger, 10);
    const seen = (error: string) => ({ up: false, error, durationSeconds: 0.1, latenessMs: 3 });
    const prior = await r.prepare([{ targetId: 'a', slotMs: 10, intervalMs: 10 }], true);
    expect(prior.get('a')).toBe('none');
    const secret = 'Get "http://u:pw@h:9/m?token=abc": read 1234 bytes over the limit';
    expect(await r.observe('a', 10, 'none', seen(secret))).toBe('written');
    expect(puts[0]!.error).toBe('Get "http://h:9/m?token=xxxxx": read 1234 bytes over the limit');
    const next = (await r.prepare([{ targetId: 'a', slotMs: 20, intervalMs: 10 }], true)).get('a')!;
    expect(await r.observe('a', 20, next, seen(secret.replace('1234', '99')))).toBe('unchanged');
    expect(puts).toHaveLength(1);
    expect(healthError('x'.repeat(10_000))).toHaveLength(MAX_HEALTH_ERROR_LENGTH);
    expect(healthError(undefined)).toBe('scrape failed');
    expect(errorShape('status 500, 12 ms')).toBe(errorShape('status 503, 7 ms'));
  });

  it('a failing store costs the record, never the scrape', async () => {
    const exps = await Promise.all([exporter()]);
    const d = await deployment(exps.map((e) => e.address));
    const broken: TargetHealthStore = {
      getMany: async () => {
        throw new Error('throttled');
      },
      put: async () => {
        throw new Error('throttled');
      },
      remove: async () => {},
    };
    const out = await d.slot(d.worker(broken), 0);
    expect(out.counters).toMatchObject({ scrapes: 1, up: 1, failed: 0 });
  });
});
