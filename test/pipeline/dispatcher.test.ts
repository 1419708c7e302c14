import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../../src/aws/dynamodb-window-ledger.js';
import { SqsTaskQueue } from '../../src/aws/sqs-task-queue.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { DISPATCH_ERROR_CODES, dispatchWindow } from '../../src/pipeline/dispatcher.js';
import { DEFAULT_LEAD_MS, taskTargetSlot, windowFor } from '../../src/pipeline/plan.js';
import type { ScrapeTask, TaskQueue } from '../../src/ports.js';
import type { Target } from '../../src/targets/types.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';

let db: Dynalite;
let client: DynamoDBClient;
let sqs: LocalSqs;

beforeAll(async () => {
  [db, sqs] = await Promise.all([startDynalite(), startLocalSqs()]);
  client = db.client();
});
afterAll(async () => {
  await Promise.all([db?.stop(), sqs?.stop()]);
});

/**
 * The real SQS adapter, recording what it was asked to send: the delays are 8–70 s, so the
 * test checks the sent tasks and the adapter's count of accepted messages instead of waiting.
 */
class RecordingQueue implements TaskQueue {
  readonly sent: { task: ScrapeTask; delaySeconds: number }[] = [];
  constructor(readonly inner: SqsTaskQueue) {}
  async send(tasks: readonly { task: ScrapeTask; delaySeconds: number }[]): Promise<void> {
    await this.inner.send(tasks);
    this.sent.push(...tasks);
  }
}

const INTERVALS = [15_000, 60_000, 45_000];

function target(i: number): Target {
  const host = `10.0.0.${i}:9100`;
  const intervalMs = INTERVALS[i % INTERVALS.length]!;
  const labels = labelsFromRecord({ __address__: host, instance: host, job: 'node' });
  return {
    id: (0x1000 + i * 7919).toString(16).padStart(16, '0'),
    job: 'node',
    url: `http://${host}/metrics`,
    labels,
    publicLabels: labelsFromRecord({ instance: host, job: 'node' }),
    discoveredLabels: labels,
    intervalMs,
    timeoutMs: 10_000,
    offsetMs: (i * 4_999) % intervalMs,
  };
}

async function setup(count: number) {
  const targetsTable = `t-${randomUUID()}`;
  const stateTable = `s-${randomUUID()}`;
  await Promise.all([
    createTable(client, targetsTable, KEY_SCHEMAS.targets),
    createTable(client, stateTable, KEY_SCHEMAS.state),
  ]);
  const store = new DynamoDbTargetStore(client, targetsTable);
  const all = Array.from({ length: count }, (_, i) => target(i));
  await store.apply({ put: all, remove: [] });
  const q = await createQueue(sqs.client);
  return {
    all,
    store,
    ledger: new DynamoDbWindowLedger(client, stateTable, { ttlSeconds: 3600 }),
    queue: new RecordingQueue(new SqsTaskQueue(sqs.client, q.url)),
  };
}

/** Every slot T of `t` with start ≤ T < end (§9). */
function expectedSlots(t: Target, start: number, end: number): number[] {
  const out: number[] = [];
  let slot = start + ((((t.offsetMs - start) % t.intervalMs) + t.intervalMs) % t.intervalMs);
  for (; slot < end; slot += t.intervalMs) out.push(slot);
  return out;
}

/** Each target's slots as the sent tasks carry them (taskTargetSlot). */
function sentSlots(sent: readonly { task: ScrapeTask }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { task } of sent) {
    if (task.kind !== 'scrape') throw new Error('unexpected retire');
    for (const t of task.targets) {
      const list = out.get(t.id) ?? [];
      list.push(taskTargetSlot(t, task.slotMs));
      out.set(t.id, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

describe('dispatchWindow', () => {
  it('enqueues exactly the window’s slots once; a second call for the window is skipped', async () => {
    const s = await setup(9);
    const t0 = Date.now();
    const now = () => t0;
    const window = windowFor(t0, 60_000);

    const result = await dispatchWindow({ ...s, targets: s.store, now });
    expect(result.skipped).toBeUndefined();
    if (result.skipped !== undefined) return;
    expect(result.window).toEqual(window);
    expect(result.targets).toBe(9);
    expect(result.tasks).toBe(s.queue.sent.length);
    expect(s.queue.inner.counters.messagesSent).toBe(result.tasks);

    const got = sentSlots(s.queue.sent);
    let scrapes = 0;
    for (const t of s.all) {
      const want = expectedSlots(t, window.startMs, window.endMs);
      scrapes += want.length;
      expect(got.get(t.id) ?? [], `target ${t.id} every ${t.intervalMs} ms`).toEqual(want);
    }
    expect(result.scrapes).toBe(scrapes);
    for (const { task, delaySeconds } of s.queue.sent) {
      if (task.kind !== 'scrape') continue;
      // The job's active target count rides along for the scraper's target_limit (§2.6).
      expect(task.jobTargets).toEqual({ node: 9 });
      // Visible DEFAULT_LEAD_MS before the end of the task's bucket: every target is read
      // from 700 ms before its slot to 300 ms after it (plan.ts DEFAULT_LEAD_MS).
      const visibleMs = t0 + delaySeconds * 1000;
      for (const t of task.targets) {
        const slot = taskTargetSlot(t, task.slotMs);
        expect(slot - visibleMs).toBeLessThanOrEqual(DEFAULT_LEAD_MS);
        expect(visibleMs - slot).toBeLessThanOrEqual(1_000 - DEFAULT_LEAD_MS);
      }
    }

    const again = await dispatchWindow({ ...s, targets: s.store, now });
    expect(again).toEqual({ skipped: 'already planned', window, shard: 0 });
    expect(s.queue.inner.counters.messagesSent).toBe(result.tasks);
  });

  it('a longer lead makes tasks visible earlier before their slots', async () => {
    const s = await setup(9);
    const t0 = Date.now();
    const result = await dispatchWindow({ ...s, targets: s.store, now: () => t0, leadMs: 2_000 });
    expect(result.skipped).toBeUndefined();
    for (const { task, delaySeconds } of s.queue.sent) {
      if (task.kind !== 'scrape') continue;
      const visibleMs = t0 + delaySeconds * 1000;
      for (const t of task.targets) {
        const slot = taskTargetSlot(t, task.slotMs);
        expect(slot - visibleMs).toBeGreaterThanOrEqual(1_000);
        expect(slot - visibleMs).toBeLessThanOrEqual(2_000);
      }
    }
  });

  it('two shards plan disjoint sets that cover every target', async () => {
    const s = await setup(40);
    const t0 = Date.now();
    const results = [];
    const slots: Map<string, number[]>[] = [];
    for (const shard of [0, 1]) {
      const before = s.queue.sent.length;
      results.push(
        await dispatchWindow({ ...s, targets: s.store, now: () => t0, shard, shards: 2 }),
      );
      slots.push(sentSlots(s.queue.sent.slice(before)));
    }
    const [a, b] = slots as [Map<string, number[]>, Map<string, number[]>];
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);
    for (const id of a.keys()) expect(b.has(id)).toBe(false);
    expect(new Set([...a.keys(), ...b.keys()])).toEqual(new Set(s.all.map((t) => t.id)));
    const counts = results.map((r) => (r.skipped === undefined ? r.targets : -1));
    expect(counts).toEqual([a.size, b.size]);
    const window = windowFor(t0, 60_000);
    for (const t of s.all) {
      expect((a.get(t.id) ?? b.get(t.id))!).toEqual(expectedSlots(t, window.startMs, window.endMs));
    }
  });

  it('a failure after the claim throws and the window stays claimed', async () => {
    const s = await setup(3);
    const t0 = Date.now();
    const failing: TaskQueue = {
      send: async () => {
        throw new Error('queue down');
      },
    };
    await expect(
      dispatchWindow({ ...s, targets: s.store, queue: failing, now: () => t0 }),
    ).rejects.toMatchObject({ code: DISPATCH_ERROR_CODES.afterClaim });
    expect(await dispatchWindow({ ...s, targets: s.store, now: () => t0 })).toMatchObject({
      skipped: 'already planned',
    });
    expect(s.queue.sent).toEqual([]);
  });

  it('invalid options are refused before claiming', async () => {
    const s = await setup(1);
    const t0 = Date.now();
    await expect(
      dispatchWindow({ ...s, targets: s.store, now: () => t0, shard: 2, shards: 2 }),
    ).rejects.toMatchObject({ code: DISPATCH_ERROR_CODES.invalidOptions });
    await expect(
      dispatchWindow({ ...s, targets: s.store, now: () => t0, maxTargetsPerTask: 0 }),
    ).rejects.toMatchObject({ code: DISPATCH_ERROR_CODES.invalidOptions });
    const ok = await dispatchWindow({ ...s, targets: s.store, now: () => t0 });
    expect(ok.skipped).toBeUndefined();
  });
});
