import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  BACKLOG_KIND,
  DeliveryBacklogError,
  DynamoDbDeliveryBacklog,
} from '../../src/aws/dynamodb-delivery-backlog.js';
import { SLOT_BIN_MS, slotBinOf } from '../../src/aws/dynamodb-slot-bins.js';
import { DynamoDbStateChangeLog } from '../../src/aws/dynamodb-state-change-log.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

const T = 1_700_000_000_000; // a bin boundary
const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';

describe('DynamoDbDeliveryBacklog', () => {
  it('names the remote_writes a stream must queue behind at exactly the slot held', async () => {
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, await dynamo.newTable());
    await backlog.hold(A, T + 3_000, 'amp');
    await backlog.hold(A, T + 3_000, 'name#with@odd:chars');
    await backlog.hold(B, T + SLOT_BIN_MS + 1, 'amp');
    const held = await backlog.held(
      new Map([
        [A, T + 3_000],
        [B, T + SLOT_BIN_MS + 1],
      ]),
    );
    expect(held).toEqual(
      new Map([
        [A, new Set(['amp', 'name#with@odd:chars'])],
        [B, new Set(['amp'])],
      ]),
    );
    // Another slot of the same stream in the same bin is not held back by it.
    expect(await backlog.held(new Map([[A, T + 8_000]]))).toEqual(new Map());
  });

  it('release clears one record, is idempotent, and leaves the others', async () => {
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, await dynamo.newTable());
    await backlog.hold(A, T + 3_000, 'amp');
    await backlog.hold(A, T + 3_000, 'mimir');
    await backlog.release(A, T + 3_000, 'amp');
    await backlog.release(A, T + 3_000, 'amp');
    await backlog.release(B, T + 3_000, 'never-held');
    expect(await backlog.held(new Map([[A, T + 3_000]]))).toEqual(
      new Map([[A, new Set(['mimir'])]]),
    );
    await backlog.release(A, T + 3_000, 'mimir');
    expect(await backlog.held(new Map([[A, T + 3_000]]))).toEqual(new Map());
  });

  it('holds asked for together are written in one request per bin, each resolved', async () => {
    const table = await dynamo.newTable();
    const counting = dynamo.db.client();
    let updates = 0;
    counting.middlewareStack.add(
      (next, context) => async (a) => {
        if (context.commandName === 'UpdateItemCommand') updates++;
        return next(a);
      },
      { step: 'initialize', name: 'count' },
    );
    const backlog = new DynamoDbDeliveryBacklog(counting, table);
    const streams = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(16, '0'));
    await Promise.all(streams.map((s) => backlog.hold(s, T + 3_000, 'amp')));
    expect(updates).toBe(1);
    const held = await backlog.held(new Map(streams.map((s) => [s, T + 3_000])));
    expect(held === 'all' ? 'all' : held.size).toBe(50);
    // Another bin is another request; a failing request rejects each of its holds.
    await backlog.hold(A, T + SLOT_BIN_MS, 'amp');
    expect(updates).toBe(2);
    const gone = new DynamoDbDeliveryBacklog(counting, `missing-${randomUUID()}`);
    const results = await Promise.allSettled([gone.hold(A, T, 'amp'), gone.hold(B, T, 'amp')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    counting.destroy();
  });

  it('an overflowed bin answers all: every stream queues', async () => {
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, await dynamo.newTable(), {
      maxMembers: 2,
    });
    await backlog.hold(A, T, 'r1');
    await backlog.hold(A, T, 'r2');
    await backlog.hold(A, T, 'r3'); // does not fit: the bin overflows
    expect(await backlog.held(new Map([[B, T + 1]]))).toBe('all');
    expect(await backlog.held(new Map([[B, T + SLOT_BIN_MS]]))).toEqual(new Map());
  });

  it('lives beside the change log in the same table without touching it', async () => {
    const table = await dynamo.newTable();
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, table);
    const log = new DynamoDbStateChangeLog(dynamo.client, table);
    await backlog.hold(A, T, 'amp');
    await log.record(A, T, 2);
    expect(await log.changed(new Map([[A, { slotMs: T, version: 1 }]]))).toEqual(new Set([A]));
    expect(await backlog.held(new Map([[A, T]]))).toEqual(new Map([[A, new Set(['amp'])]]));
    const item = await dynamo.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: `${BACKLOG_KIND}#${T}` }, sk: { S: BACKLOG_KIND } },
      }),
    );
    expect(item.Item?.s?.SS).toEqual([`${A}@${T}#amp`]);
    expect(backlog.consumedCapacity().writeUnits).toBeGreaterThan(0);
  });

  // Found by test/aws/dynamodb-slot-bins.fuzz.test.ts: a bin whose set was of another type
  // read as "nothing held", so a stream could send directly past a parked unit.
  it('a bin item whose set is of another type is DELIVERY_BACKLOG_CORRUPT, not "nothing held"', async () => {
    const table = await dynamo.newTable();
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, table);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `${BACKLOG_KIND}#${slotBinOf(T)}` },
          sk: { S: BACKLOG_KIND },
          s: { L: [{ S: `${A}@${T + 1}#amp` }] },
        },
      }),
    );
    await expect(backlog.held(new Map([[A, T + 1]]))).rejects.toThrow(
      expect.objectContaining({ name: 'DeliveryBacklogError', code: 'DELIVERY_BACKLOG_CORRUPT' }),
    );
  });

  it('throws DeliveryBacklogError when the table cannot be reached', async () => {
    const backlog = new DynamoDbDeliveryBacklog(dynamo.client, `missing-${randomUUID()}`);
    await expect(backlog.hold(A, T, 'amp')).rejects.toBeInstanceOf(DeliveryBacklogError);
    await expect(backlog.release(A, T, 'amp')).rejects.toBeInstanceOf(DeliveryBacklogError);
    await expect(backlog.held(new Map([[A, T]]))).rejects.toBeInstanceOf(DeliveryBacklogError);
  });
});
