import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANGE_BIN_MS,
  CHANGE_LOG_SK,
  changeBinKey,
  DynamoDbStateChangeLog,
  StateChangeLogError,
} from '../../src/aws/dynamodb-state-change-log.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';

let db: Dynalite;
let client: DynamoDBClient;

beforeAll(async () => {
  db = await startDynalite();
  client = db.client();
});
afterAll(async () => {
  await db?.stop();
});

async function newLog(maxStreamsPerBin?: number): Promise<[DynamoDbStateChangeLog, string]> {
  const table = `t-${randomUUID()}`;
  await createTable(client, table, KEY_SCHEMAS.state);
  const opts = maxStreamsPerBin === undefined ? {} : { maxStreamsPerBin };
  return [new DynamoDbStateChangeLog(client, table, opts), table];
}

const T = 1_700_000_000_000; // a bin boundary

describe('DynamoDbStateChangeLog', () => {
  it('returns the streams recorded for next slots in the range, by whole bins', async () => {
    const [log] = await newLog();
    await log.record('aaaaaaaaaaaaaaaa', T + 3_000);
    await log.record('bbbbbbbbbbbbbbbb', T + 9_999);
    await log.record('aaaaaaaaaaaaaaaa', T + 4_000); // twice: listed once
    await log.record('cccccccccccccccc', T + CHANGE_BIN_MS + 500);
    await log.record('dddddddddddddddd', T - 1);
    expect(await log.changed(T + 3_000, T + 3_999)).toEqual(
      new Set(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']),
    );
    // A task's second may straddle two bins: both are read, in one request.
    expect(await log.changed(T + 9_500, T + 10_499, { consistent: false })).toEqual(
      new Set(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'cccccccccccccccc']),
    );
    expect(await log.changed(T + 2 * CHANGE_BIN_MS, T + 2 * CHANGE_BIN_MS + 999)).toEqual(
      new Set(),
    );
  });

  it('keeps each bin an hour past its end for TTL', async () => {
    const [log, table] = await newLog();
    await log.record('aaaaaaaaaaaaaaaa', T + 1);
    const item = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: changeBinKey(T) }, sk: { S: CHANGE_LOG_SK } },
      }),
    );
    expect(item.Item?.expiresAt?.N).toBe(String((T + CHANGE_BIN_MS) / 1000 + 3600));
  });

  it('a full bin overflows: every stream of it counts as changed', async () => {
    const [log] = await newLog(3);
    for (const s of ['a', 'b', 'c']) await log.record(s.repeat(16), T + 1);
    expect(await log.changed(T, T + 999)).toEqual(
      new Set(['a', 'b', 'c'].map((s) => s.repeat(16))),
    );
    await log.record('dddddddddddddddd', T + 2);
    expect(await log.changed(T, T + 999)).toBe('all');
    // Other bins are unaffected.
    await log.record('eeeeeeeeeeeeeeee', T + CHANGE_BIN_MS);
    expect(await log.changed(T + CHANGE_BIN_MS, T + CHANGE_BIN_MS)).toEqual(
      new Set(['eeeeeeeeeeeeeeee']),
    );
  });

  it('costs one write unit a record and one read for a task, and reports them', async () => {
    const [log] = await newLog();
    await log.record('aaaaaaaaaaaaaaaa', T + 1);
    expect(log.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 1 });
    await log.changed(T, T + 999, { consistent: false });
    expect(log.consumedCapacity()).toEqual({ readUnits: 0.5, writeUnits: 1 });
  });

  it('throws StateChangeLogError when the table cannot be reached', async () => {
    const log = new DynamoDbStateChangeLog(client, `missing-${randomUUID()}`);
    await expect(log.record('aaaaaaaaaaaaaaaa', T)).rejects.toBeInstanceOf(StateChangeLogError);
    await expect(log.changed(T, T)).rejects.toBeInstanceOf(StateChangeLogError);
  });
});
