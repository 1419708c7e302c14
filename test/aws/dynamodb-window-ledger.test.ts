import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbWindowLedger,
  LEDGER_SK,
  WindowLedgerError,
  windowClaimKey,
} from '../../src/aws/dynamodb-window-ledger.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

describe('DynamoDbWindowLedger', () => {
  it('claims a window once per shard, with an expiry for TTL', async () => {
    const table = await dynamo.newTable();
    const ledger = new DynamoDbWindowLedger(dynamo.client, table, { ttlSeconds: 3600 });
    const start = 1_700_000_040_000;
    const results = await Promise.all([
      ledger.claim(start, 0),
      ledger.claim(start, 0),
      ledger.claim(start, 0),
    ]);
    expect(results.filter(Boolean).length).toBe(1);
    expect(await ledger.claim(start, 0)).toBe(false);
    expect(await ledger.claim(start, 1)).toBe(true);
    expect(await ledger.claim(start + 60_000, 0)).toBe(true);
    const item = await dynamo.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: windowClaimKey(start, 0) }, sk: { S: LEDGER_SK } },
      }),
    );
    expect(item.Item?.expiresAt?.N).toBe(String(1_700_000_040 + 3600));
  });

  it('reports the write units of its claims; a lost claim reports none', async () => {
    const table = await dynamo.newTable();
    const ledger = new DynamoDbWindowLedger(dynamo.client, table, { ttlSeconds: 3600 });
    expect(ledger.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 0 });
    expect(await ledger.claim(1_700_000_040_000, 0)).toBe(true);
    expect(ledger.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 1 });
    expect(await ledger.claim(1_700_000_040_000, 0)).toBe(false);
    expect(ledger.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 1 });
  });

  it('throws WindowLedgerError on other failures', async () => {
    const ledger = new DynamoDbWindowLedger(dynamo.client, `t-${randomUUID()}`, { ttlSeconds: 60 });
    await expect(ledger.claim(0, 0)).rejects.toBeInstanceOf(WindowLedgerError);
    expect(() => new DynamoDbWindowLedger(dynamo.client, 'abc', { ttlSeconds: 0 })).toThrow(
      RangeError,
    );
  });
});
