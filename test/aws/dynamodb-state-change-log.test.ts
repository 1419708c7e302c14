import { randomUUID } from 'node:crypto';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  CHANGE_BIN_MS,
  CHANGE_LOG_SK,
  DynamoDbStateChangeLog,
  StateChangeLogError,
} from '../../src/aws/dynamodb-state-change-log.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

async function newLog(maxStreamsPerBin?: number): Promise<[DynamoDbStateChangeLog, string]> {
  const table = await dynamo.newTable();
  const opts = maxStreamsPerBin === undefined ? {} : { maxStreamsPerBin };
  return [new DynamoDbStateChangeLog(dynamo.client, table, opts), table];
}

const T = 1_700_000_000_000; // a bin boundary

const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';
const C = 'cccccccccccccccc';
const D = 'dddddddddddddddd';

/** What a reader holds: the slot it is about to scrape and the version it knows. */
const at = (slotMs: number, version = 1) => ({ slotMs, version });

describe('DynamoDbStateChangeLog', () => {
  it('names the streams another writer recorded for exactly the slot each is about to be scraped at', async () => {
    const [log] = await newLog();
    await log.record(A, T + 3_000, 2);
    await log.record(B, T + 9_999, 2);
    await log.record(A, T + 3_000, 2); // twice: once
    await log.record(C, T + CHANGE_BIN_MS + 500, 2);
    await log.record(D, T + 4_000, 2);
    const wanted = new Map([
      [A, at(T + 3_000)],
      [B, at(T + 9_999)],
      [C, at(T + CHANGE_BIN_MS + 500)], // the task's second straddles two bins: one request
      [D, at(T + 8_000)], // recorded for another slot of the same bin: not this scrape's
    ]);
    expect(await log.changed(wanted)).toEqual(new Set([A, B, C]));
    expect(await log.changed(wanted, { consistent: false })).toEqual(new Set([A, B, C]));
    expect(await log.changed(new Map([[A, at(T + 3_000 + 4 * CHANGE_BIN_MS)]]))).toEqual(new Set());
  });

  it("the holder's own write is no change to it; any other version is", async () => {
    const [log] = await newLog();
    await log.record(A, T + 1_000, 7); // the holder wrote version 7 and knows it
    expect(await log.changed(new Map([[A, at(T + 1_000, 7)]]))).toEqual(new Set());
    // A duplicate that lost with the same expected version records 7 too: still no change.
    await log.record(A, T + 1_000, 7);
    expect(await log.changed(new Map([[A, at(T + 1_000, 7)]]))).toEqual(new Set());
    // A writer of version 8 (it read 7 after the holder wrote): the holder is behind.
    await log.record(A, T + 1_000, 8);
    expect(await log.changed(new Map([[A, at(T + 1_000, 7)]]))).toEqual(new Set([A]));
  });

  it('keeps each bin an hour past its end for TTL', async () => {
    const [log, table] = await newLog();
    await log.record(A, T + 1, 1);
    const item = await dynamo.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: log.binKey(T) }, sk: { S: CHANGE_LOG_SK } },
      }),
    );
    expect(item.Item?.expiresAt?.N).toBe(String((T + CHANGE_BIN_MS) / 1000 + 3600));
  });

  it('a full bin overflows: every stream of it counts as changed', async () => {
    const [log] = await newLog(3);
    for (const s of [A, B, C]) await log.record(s, T + 1, 2);
    const wanted = new Map([
      [A, at(T + 1)],
      [D, at(T + 2)],
    ]);
    expect(await log.changed(wanted)).toEqual(new Set([A]));
    await log.record(D, T + 2, 2);
    expect(await log.changed(wanted)).toBe('all');
    // Other bins are unaffected.
    await log.record(D, T + CHANGE_BIN_MS, 2);
    expect(await log.changed(new Map([[D, at(T + CHANGE_BIN_MS)]]))).toEqual(new Set([D]));
  });

  it('costs one write unit a record and half a read for a task, and reports them', async () => {
    const [log] = await newLog();
    await log.record(A, T + 1, 1);
    expect(log.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 1 });
    await log.changed(new Map([[A, at(T + 1)]]), { consistent: false });
    expect(log.consumedCapacity()).toEqual({ readUnits: 0.5, writeUnits: 1 });
  });

  // Found by test/aws/dynamodb-slot-bins.fuzz.test.ts: a bin whose set was of another type
  // read as "no records", i.e. nothing changed, and the worker kept a state from memory that
  // another container had replaced; an `o` of another type hid an overflow the same way.
  it.each<[string, Record<string, AttributeValue>]>([
    ['s is a list', { s: { L: [{ S: `${A}@${T + 1}:2` }] } }],
    ['s is a string', { s: { S: `${A}@${T + 1}:2` } }],
    ['o is a string', { o: { S: 'true' } }],
  ])('a bin item whose %s is STATE_CHANGE_LOG_CORRUPT, not "nothing changed"', async (_n, bad) => {
    const [log, table] = await newLog();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: log.binKey(T) }, sk: { S: CHANGE_LOG_SK }, ...bad },
      }),
    );
    await expect(log.changed(new Map([[A, at(T + 1)]]))).rejects.toThrow(
      expect.objectContaining({ name: 'StateChangeLogError', code: 'STATE_CHANGE_LOG_CORRUPT' }),
    );
  });

  it('throws StateChangeLogError when the table cannot be reached', async () => {
    const log = new DynamoDbStateChangeLog(dynamo.client, `missing-${randomUUID()}`);
    await expect(log.record(A, T, 1)).rejects.toBeInstanceOf(StateChangeLogError);
    await expect(log.changed(new Map([[A, at(T)]]))).rejects.toBeInstanceOf(StateChangeLogError);
  });
});
