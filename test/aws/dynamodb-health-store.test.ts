import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConsumedCapacityCounter } from '../../src/aws/dynamodb-batch.js';
import {
  DynamoDbDroppedTargetsStore,
  DynamoDbTargetHealthStore,
  HEALTH_PARTITIONS,
  healthPartition,
  healthToItem,
  readAllHealth,
} from '../../src/aws/dynamodb-health-store.js';
import type { TargetHealth } from '../../src/ports.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

const UP: TargetHealth = {
  up: true,
  sinceMs: 1_000,
  slotMs: 1_000,
  error: '',
  durationSeconds: 0.25,
  latenessMs: 3,
};

const id = (i: number) => i.toString(16).padStart(16, '0').split('').reverse().join('');

describe('DynamoDbTargetHealthStore', () => {
  it('records land in sixteen partitions by the id’s first hex digit; all of them read back', async () => {
    const t = await dynamo.newTable();
    const s = new DynamoDbTargetHealthStore(dynamo.client, t);
    const ids = Array.from({ length: 40 }, (_, i) => id(i));
    for (const i of ids) await s.put(i, { ...UP, error: i });
    expect(new Set(ids.map(healthPartition))).toEqual(new Set(HEALTH_PARTITIONS));
    expect(healthPartition('Zoo')).toBe('hl#?');
    const capacity = new ConsumedCapacityCounter();
    const all = await readAllHealth(dynamo.client, t, capacity);
    expect(all.size).toBe(40);
    expect(all.get(ids[7]!)).toEqual({ ...UP, error: ids[7] });
    // Sixteen eventually consistent Queries of small items: 0.5 RCU each.
    expect(capacity.totals().readUnits).toBe(8);
    // A put costs one write unit; getMany finds them all, ignoring unknown ids.
    expect(s.consumedCapacity().writeUnits).toBe(40);
    expect((await s.getMany([...ids, 'ffffffffffffffff'])).size).toBe(40);
  });

  it('items are untrusted: a corrupt record is left out of getMany, shown as corrupt, and replaced by the next put', async () => {
    const t = await dynamo.newTable();
    const s = new DynamoDbTargetHealthStore(dynamo.client, t);
    const bad = 'abababababababab';
    const item = healthToItem(bad, UP);
    await dynamo.client.send(
      new PutItemCommand({ TableName: t, Item: { ...item, h: { S: 'sideways' }, t: { S: 'x' } } }),
    );
    expect((await s.getMany([bad])).size).toBe(0);
    expect((await readAllHealth(dynamo.client, t)).get(bad)).toBe('corrupt');
    // `t` is not a number: the slot condition lets the new record in.
    expect(await s.put(bad, { ...UP, slotMs: 5 })).toBe(true);
    expect((await s.getMany([bad])).get(bad)).toMatchObject({ up: true, slotMs: 5 });
  });
});

describe('DynamoDbDroppedTargetsStore', () => {
  it('round trip, removal, and a summary that does not decode is left out', async () => {
    const t = await dynamo.newTable();
    const s = new DynamoDbDroppedTargetsStore(dynamo.client, t);
    const labels = [
      { name: '__address__', value: 'a:1' },
      { name: '__meta_x', value: 'ü "quoted"' },
    ];
    await s.apply({ put: [{ job: 'a', count: 3, discoveredLabels: [labels] }], remove: [] });
    await s.apply({ put: [{ job: 'b', count: 1, discoveredLabels: [] }], remove: [] });
    expect(await s.list()).toEqual([
      { job: 'a', count: 3, discoveredLabels: [labels] },
      { job: 'b', count: 1, discoveredLabels: [] },
    ]);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: t,
        Item: { pk: { S: 'dr' }, sk: { S: 'c' }, n: { N: '1' }, l: { S: '[["not pairs"]]' } },
      }),
    );
    await s.apply({ put: [], remove: ['b'] });
    expect((await s.list()).map((x) => x.job)).toEqual(['a']);
  });
});
