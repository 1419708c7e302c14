import { randomUUID } from 'node:crypto';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbTargetStore,
  TargetStoreError,
  targetFromItem,
  targetToItem,
} from '../../src/aws/dynamodb-target-store.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import type { Target } from '../../src/targets/types.js';
import { KEY_SCHEMAS } from '../support/dynalite.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

async function newStore(): Promise<DynamoDbTargetStore> {
  return new DynamoDbTargetStore(dynamo.client, await newTable());
}

function newTable(): Promise<string> {
  return dynamo.newTable(KEY_SCHEMAS.targets);
}

function target(i: number, extra = ''): Target {
  const host = `host-${i}.example.com:9100`;
  return {
    id: i.toString(16).padStart(16, '0'),
    job: 'node',
    url: `http://${host}/metrics?x=${extra}`,
    labels: labelsFromRecord({
      __address__: host,
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      instance: host,
      job: 'node',
      team: `t${i % 5}${extra}`,
    }),
    publicLabels: labelsFromRecord({ instance: host, job: 'node', team: `t${i % 5}${extra}` }),
    discoveredLabels: labelsFromRecord({
      __address__: host,
      __meta_ec2_tag_Name: `name "${i}" ✓ ${extra}`,
      __meta_note: 'a\nb\\c\u0000d',
    }),
    intervalMs: 15_000,
    timeoutMs: 10_000,
    offsetMs: (i * 7919) % 15_000,
  };
}

const byId = (a: Target, b: Target) => (a.id < b.id ? -1 : 1);

describe('DynamoDbTargetStore', () => {
  it('applies puts, changes and removals; round trip is exact', async () => {
    const store = await newStore();
    expect(await store.list()).toEqual([]);
    const first = Array.from({ length: 60 }, (_, i) => target(i));
    await store.apply({ put: first, remove: [] });
    expect((await store.list()).sort(byId)).toEqual(first);

    const changed = [target(3, 'changed'), target(100)];
    await store.apply({ put: changed, remove: [first[0]!.id, first[1]!.id, 'unknown'] });
    const want = [...first.slice(2).filter((t) => t.id !== changed[0]!.id), ...changed].sort(byId);
    expect((await store.list()).sort(byId)).toEqual(want);
    await store.apply({ put: [], remove: [] });
  });

  it('keeps empty label sets, zero offsets and unusual values', async () => {
    const store = await newStore();
    const t: Target = {
      ...target(1),
      labels: [],
      publicLabels: [],
      discoveredLabels: [{ name: 'x', value: '😀\u2028' }],
      offsetMs: 0,
    };
    await store.apply({ put: [t], remove: [] });
    expect(await store.list()).toEqual([t]);
  });

  it('lists past 1 MB of items (paginated Scan)', async () => {
    const store = await newStore();
    const pad = 'p'.repeat(4000);
    const many = Array.from({ length: 400 }, (_, i) => target(i, pad));
    await store.apply({ put: many, remove: [] });
    const before = dynamo.sent.length;
    const got = await store.list();
    expect(dynamo.sent.slice(before).filter((c) => c === 'ScanCommand').length).toBeGreaterThan(1);
    expect(got.sort(byId)).toEqual(many);
  }, 60_000);

  it('reports consumed capacity: writes for apply, reads for list', async () => {
    const store = await newStore();
    expect(store.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 0 });
    await store.apply({ put: Array.from({ length: 30 }, (_, i) => target(i)), remove: [] });
    const afterApply = store.consumedCapacity();
    // Each item is under 1 KB: one write unit per put.
    expect(afterApply).toEqual({ readUnits: 0, writeUnits: 30 });
    await store.list();
    const afterList = store.consumedCapacity();
    expect(afterList.readUnits).toBeGreaterThan(0);
    expect(afterList.writeUnits).toBe(30);
    await store.apply({ put: [], remove: [target(0).id, target(1).id] });
    expect(store.consumedCapacity().writeUnits).toBe(32);
  });

  it('refuses a diff naming an id twice', async () => {
    const store = await newStore();
    await expect(store.apply({ put: [target(1)], remove: [target(1).id] })).rejects.toMatchObject({
      code: 'TARGET_STORE_INVALID_DIFF',
    });
    await expect(store.apply({ put: [target(1), target(1)], remove: [] })).rejects.toBeInstanceOf(
      TargetStoreError,
    );
  });

  it('wraps request failures with a stable code and cause', async () => {
    const store = new DynamoDbTargetStore(dynamo.client, `t-${randomUUID()}`);
    const err = await store.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetStoreError);
    expect(err).toMatchObject({ code: 'TARGET_STORE_REQUEST' });
    expect((err as Error).cause).toBeDefined();
  });
});

// Found by test/aws/dynamodb-target-store.fuzz.test.ts: these items listed as targets, and
// failed later in the dispatcher (a ScheduleError or TASK_INVALID for the whole window, not
// naming the store) — or not at all, for labels out of order.
describe('corrupt target items', () => {
  const good = targetToItem(target(7));
  it.each<[string, Record<string, AttributeValue>, string]>([
    ['interval 0', { intervalMs: { N: '0' } }, 'intervalMs must be a positive integer, got 0'],
    ['a fractional timeout', { timeoutMs: { N: '0.5' } }, 'timeoutMs must be a positive integer'],
    ['an offset past the interval', { offsetMs: { N: '15000' } }, 'offsetMs must be an integer in'],
    ['an id that is no id', { pk: { S: 'node-1' } }, 'is not 16 lowercase hex digits'],
    ['a URL that is no http(s) URL', { url: { S: 'file:///etc/passwd' } }, 'is not an http(s) URL'],
    ['labels out of order', { labels: { S: '[["b","1"],["a","1"]]' } }, 'not sorted by name at a'],
    ['a label twice', { labels: { S: '[["a","1"],["a","2"]]' } }, 'duplicate label a'],
    ['an empty label value', { discoveredLabels: { S: '[["a",""]]' } }, 'a has an empty value'],
    [
      'deeply nested labels',
      { labels: { S: `${'['.repeat(50_000)}${']'.repeat(50_000)}` } },
      'a label is not a [name, value] pair',
    ],
  ])('an item with %s is TARGET_STORE_CORRUPT', async (_name, patch, message) => {
    const item = { ...good, ...patch };
    expect(() => targetFromItem(item)).toThrow(
      expect.objectContaining({
        code: 'TARGET_STORE_CORRUPT',
        message: expect.stringContaining(message),
      }),
    );
  });

  it('list fails with it, naming the target', async () => {
    const table = await newTable();
    const store = new DynamoDbTargetStore(dynamo.client, table);
    await store.apply({ put: [target(1)], remove: [] });
    await dynamo.client.send(
      new PutItemCommand({ TableName: table, Item: { ...good, intervalMs: { N: '0' } } }),
    );
    await expect(store.list()).rejects.toThrow(
      expect.objectContaining({
        code: 'TARGET_STORE_CORRUPT',
        message: `target ${target(7).id}: intervalMs must be a positive integer, got 0`,
      }),
    );
  });
});
