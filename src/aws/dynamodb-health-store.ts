/**
 * {@link TargetHealthStore} and {@link DroppedTargetsStore} on DynamoDB, in the "scrape state"
 * table (partition key `pk` (S), sort key `sk` (S)), beside the state heads (`pk` = a 16-hex
 * stream key), the window claims (`w#…`), the change log (`x#…`) and the backlog bins: no table
 * of their own, so the scraper needs no new permission for them.
 *
 * Health items: `pk = "hl#<first hex digit of the target id>"`, `sk` = target id: sixteen
 * partitions, so `lambdascrape status` reads every record with sixteen paginated Queries instead
 * of a Scan over every state chunk, and a mass outage's writes spread over sixteen keys.
 * Attributes: `f` (N) format = 1, `h` (S) `up`/`down`, `s` (N) since (ms), `t` (N) slot of the
 * write (ms), `e` (S) error ('' when up), `du` (N) duration (s), `l` (N) lateness (ms).
 * A put is conditional on `NOT (t >= :slot)`: a record of the same or a later slot stays (a
 * duplicate delivery, an overtaken one), and a record whose `t` is no number is replaced.
 *
 * Dropped summaries: `pk = "dr"`, `sk` = job name; `n` (N) count, `l` (S) JSON array of label
 * sets, each an array of `[name, value]` pairs. One partition: the discovery function writes
 * them, at most one per job and only on change.
 *
 * Items are read as untrusted: a health item that does not decode is left out of `getMany`
 * (its target's next scrape writes a new record over it) and shown as `corrupt` by
 * {@link readAllHealth}; a dropped summary that does not decode is left out of `list` (the next
 * discovery run writes it anew).
 *
 * Capacity: every request asks for `ReturnConsumedCapacity: 'TOTAL'`; `consumedCapacity()`
 * returns the units DynamoDB reported so far (a lost conditional put reports none, though
 * DynamoDB bills one write unit for it). Not part of the ports.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Label, Labels } from '../model/labels.js';
import { DROPPED_PK, MAX_DROPPED_LABEL_SETS } from '../pipeline/dropped-targets.js';
import type {
  DroppedTargetsStore,
  DroppedTargetsSummary,
  TargetHealth,
  TargetHealthStore,
} from '../ports.js';
import {
  batchGetAll,
  batchWriteAll,
  ConsumedCapacityCounter,
  type ConsumedCapacityTotals,
  type Item,
  isConditionFailed,
} from './dynamodb-batch.js';

export const HEALTH_FORMAT = 1;
/** Partition key prefix of the health records. */
export const HEALTH_PK_PREFIX = 'hl#';
/** The sixteen health partitions: one per first hex digit of a target id. */
export const HEALTH_PARTITIONS: readonly string[] = [...'0123456789abcdef'].map(
  (d) => `${HEALTH_PK_PREFIX}${d}`,
);

export const HEALTH_STORE_ERROR_CODES = {
  /** A DynamoDB request failed; see `cause`. */
  request: 'HEALTH_STORE_REQUEST',
} as const;

export class HealthStoreError extends Error {
  override readonly name = 'HealthStoreError';
  readonly code = HEALTH_STORE_ERROR_CODES.request;
}

/** The partition of a target's health record. */
export function healthPartition(targetId: string): string {
  const d = targetId.charAt(0).toLowerCase();
  return /^[0-9a-f]$/.test(d) ? `${HEALTH_PK_PREFIX}${d}` : `${HEALTH_PK_PREFIX}?`;
}

function healthKey(targetId: string): Item {
  return { pk: { S: healthPartition(targetId) }, sk: { S: targetId } };
}

/** The item of a health record. Exported for tests. */
export function healthToItem(targetId: string, h: TargetHealth): Item {
  return {
    ...healthKey(targetId),
    f: { N: String(HEALTH_FORMAT) },
    h: { S: h.up ? 'up' : 'down' },
    s: { N: String(h.sinceMs) },
    t: { N: String(h.slotMs) },
    e: { S: h.error },
    du: { N: String(h.durationSeconds) },
    l: { N: String(h.latenessMs) },
  };
}

/** Inverse of {@link healthToItem}; undefined for an item that is not a valid record. */
export function healthFromItem(item: Item): TargetHealth | undefined {
  if (item.f?.N !== String(HEALTH_FORMAT)) return undefined;
  const h = item.h?.S;
  const e = item.e?.S;
  const num = (name: string): number => Number(item[name]?.N ?? Number.NaN);
  const [s, t, du, l] = [num('s'), num('t'), num('du'), num('l')];
  if ((h !== 'up' && h !== 'down') || e === undefined) return undefined;
  if (![s, t, du, l].every(Number.isFinite)) return undefined;
  return { up: h === 'up', sinceMs: s, slotMs: t, error: e, durationSeconds: du, latenessMs: l };
}

function requestError(what: string, cause: unknown): HealthStoreError {
  return new HealthStoreError(`${what} failed: ${(cause as Error).message}`, { cause });
}

export class DynamoDbTargetHealthStore implements TargetHealthStore {
  private readonly capacity = new ConsumedCapacityCounter();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Read and write units DynamoDB reported for this store's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async getMany(
    targetIds: readonly string[],
    options: { readonly consistent?: boolean } = {},
  ): Promise<Map<string, TargetHealth>> {
    const out = new Map<string, TargetHealth>();
    if (targetIds.length === 0) return out;
    let items: Item[];
    try {
      items = await batchGetAll(
        this.client,
        this.tableName,
        [...new Set(targetIds)].map(healthKey),
        options.consistent ?? true,
        this.capacity,
      );
    } catch (cause) {
      throw requestError(`reading ${targetIds.length} health records`, cause);
    }
    for (const item of items) {
      const id = item.sk?.S;
      const health = healthFromItem(item);
      if (id !== undefined && health !== undefined) out.set(id, health);
    }
    return out;
  }

  async put(targetId: string, health: TargetHealth): Promise<boolean> {
    try {
      const res = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: healthToItem(targetId, health),
          ConditionExpression: 'NOT (t >= :slot)',
          ExpressionAttributeValues: { ':slot': { N: String(health.slotMs) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.capacity.add(res.ConsumedCapacity, 'write');
      return true;
    } catch (cause) {
      if (isConditionFailed(cause)) return false;
      throw requestError(`writing the health record of target ${targetId}`, cause);
    }
  }

  async remove(targetIds: readonly string[]): Promise<void> {
    const requests: WriteRequest[] = [...new Set(targetIds)].map((id) => ({
      DeleteRequest: { Key: healthKey(id) },
    }));
    try {
      await batchWriteAll(this.client, this.tableName, requests, this.capacity);
    } catch (cause) {
      throw requestError(`removing ${targetIds.length} health records`, cause);
    }
  }
}

/** Every item of one partition (paginated Query), eventually consistent. */
async function queryPartition(
  client: DynamoDBClient,
  tableName: string,
  pk: string,
  capacity: ConsumedCapacityCounter,
): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    let res: QueryCommandOutput;
    try {
      res = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (cause) {
      throw requestError(`reading partition ${pk} of ${tableName}`, cause);
    }
    capacity.add(res.ConsumedCapacity, 'read');
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/** A stored health record as `lambdascrape status` sees it: `corrupt` when it did not decode. */
export type StoredHealth = TargetHealth | 'corrupt';

/** Every health record of the table, by target id (sixteen paginated Queries). */
export async function readAllHealth(
  client: DynamoDBClient,
  tableName: string,
  capacity: ConsumedCapacityCounter = new ConsumedCapacityCounter(),
): Promise<Map<string, StoredHealth>> {
  const parts = await Promise.all(
    HEALTH_PARTITIONS.map((pk) => queryPartition(client, tableName, pk, capacity)),
  );
  const out = new Map<string, StoredHealth>();
  for (const item of parts.flat()) {
    const id = item.sk?.S;
    if (id !== undefined) out.set(id, healthFromItem(item) ?? 'corrupt');
  }
  return out;
}

function labelsJson(labels: Labels): string {
  return JSON.stringify(labels.map((l) => [l.name, l.value]));
}

/** The item of a dropped summary. Exported for tests. */
export function droppedToItem(s: DroppedTargetsSummary): Item {
  return {
    pk: { S: DROPPED_PK },
    sk: { S: s.job },
    n: { N: String(s.count) },
    l: { S: `[${s.discoveredLabels.map(labelsJson).join(',')}]` },
  };
}

/** Inverse of {@link droppedToItem}; undefined for an item that does not decode. */
export function droppedFromItem(item: Item): DroppedTargetsSummary | undefined {
  const job = item.sk?.S;
  const count = Number(item.n?.N);
  if (job === undefined || !Number.isSafeInteger(count) || count < 0) return undefined;
  let sets: unknown;
  try {
    sets = JSON.parse(item.l?.S ?? '');
  } catch {
    return undefined;
  }
  if (!Array.isArray(sets) || sets.length > MAX_DROPPED_LABEL_SETS) return undefined;
  const discoveredLabels: Labels[] = [];
  for (const set of sets) {
    if (!Array.isArray(set)) return undefined;
    const labels: Label[] = [];
    for (const pair of set) {
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        typeof pair[0] !== 'string' ||
        typeof pair[1] !== 'string'
      ) {
        return undefined;
      }
      labels.push({ name: pair[0], value: pair[1] });
    }
    discoveredLabels.push(labels);
  }
  return { job, count, discoveredLabels };
}

export class DynamoDbDroppedTargetsStore implements DroppedTargetsStore {
  private readonly capacity = new ConsumedCapacityCounter();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Read and write units DynamoDB reported for this store's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async list(): Promise<DroppedTargetsSummary[]> {
    const items = await queryPartition(this.client, this.tableName, DROPPED_PK, this.capacity);
    return items.flatMap((item) => droppedFromItem(item) ?? []);
  }

  async apply(diff: {
    readonly put: readonly DroppedTargetsSummary[];
    readonly remove: readonly string[];
  }): Promise<void> {
    const requests: WriteRequest[] = [
      ...diff.put.map((s) => ({ PutRequest: { Item: droppedToItem(s) } })),
      ...diff.remove.map((job) => ({
        DeleteRequest: { Key: { pk: { S: DROPPED_PK }, sk: { S: job } } },
      })),
    ];
    try {
      await batchWriteAll(this.client, this.tableName, requests, this.capacity);
    } catch (cause) {
      throw requestError(`writing ${requests.length} dropped-target summaries`, cause);
    }
  }
}
