/**
 * {@link TargetStore} on DynamoDB: the discovered, relabeled targets of every job, table
 * "targets" (docs/design.md "Architecture": two tables, targets and scrape state).
 *
 * Table (CDK): partition key `pk` (S) = target id, no sort key, on-demand. One item per target:
 * `f` (N) format = 1, `job` (S), `url` (S), `labels` / `publicLabels` / `discoveredLabels` (S:
 * JSON array of `[name, value]` pairs, in stored order — exact round trip, and cheaper than a
 * DynamoDB map, whose attribute names would count towards the item size twice), `intervalMs`,
 * `timeoutMs`, `offsetMs` (N).
 *
 * Items are read as untrusted ({@link targetFromItem}): one that is not a target the scrape
 * queue can carry — an attribute missing or of another type, labels that are not a sorted
 * `[name, value]` list, times out of range, an id that is not 16 hex digits — is
 * `TARGET_STORE_CORRUPT` naming the target, never another error, and `list` fails with it.
 * Its callers then keep what they had: the discovery run fails (`DISCOVERY_RUN_LIST`: nothing
 * is applied or retired, the stored targets stay) and the dispatcher fails the window after
 * its claim (`DISPATCH_FAILED_AFTER_CLAIM`: the window is not planned, the next one is tried anew).
 *
 * Contracts: `list` is a paginated Scan (strongly consistent, so it reflects every finished
 * `apply`). `apply` writes puts and deletes with BatchWriteItem (25 per call, unprocessed
 * items retried with backoff); it is not atomic: on failure some of the diff may be applied,
 * and applying the same diff again is harmless. An id may appear once in a diff.
 *
 * Capacity: every request asks for `ReturnConsumedCapacity: 'TOTAL'`;
 * {@link DynamoDbTargetStore.consumedCapacity} returns the units reported so far (Scan = read,
 * BatchWriteItem = write). Not part of the `TargetStore` port.
 */
import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Label, Labels } from '../model/labels.js';
import type { TargetStore } from '../ports.js';
import type { Target } from '../targets/types.js';
import {
  batchWriteAll,
  ConsumedCapacityCounter,
  type ConsumedCapacityTotals,
  type Item,
} from './dynamodb-batch.js';
import { queueTargetProblem } from './task-codec.js';

export const TARGET_FORMAT = 1;

export const TARGET_STORE_ERROR_CODES = {
  /** A stored item cannot be decoded. */
  corrupt: 'TARGET_STORE_CORRUPT',
  /** The diff names an id twice (put twice, or put and removed). */
  invalidDiff: 'TARGET_STORE_INVALID_DIFF',
  /** A DynamoDB request failed; see `cause`. */
  request: 'TARGET_STORE_REQUEST',
} as const;
export type TargetStoreErrorCode =
  (typeof TARGET_STORE_ERROR_CODES)[keyof typeof TARGET_STORE_ERROR_CODES];

export class TargetStoreError extends Error {
  override readonly name = 'TargetStoreError';
  readonly code: TargetStoreErrorCode;
  constructor(code: TargetStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

function labelsToJson(labels: Labels): string {
  return JSON.stringify(labels.map((l) => [l.name, l.value]));
}

function labelsFromJson(id: string, json: string | undefined): Labels {
  let value: unknown;
  try {
    value = json === undefined ? undefined : JSON.parse(json);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) throw corrupt(id, 'labels are not a JSON array');
  return value.map((pair: unknown): Label => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw corrupt(id, 'a label is not a [name, value] pair');
    }
    return { name: pair[0], value: pair[1] };
  });
}

function corrupt(id: string, what: string): TargetStoreError {
  // The id comes from the item too: bounded in the message.
  const shown = id.length > 32 ? `${id.slice(0, 32)}…` : id;
  return new TargetStoreError(TARGET_STORE_ERROR_CODES.corrupt, `target ${shown}: ${what}`);
}

/** The item of a target. Exported for tests and the bench. */
export function targetToItem(t: Target): Item {
  return {
    pk: { S: t.id },
    f: { N: String(TARGET_FORMAT) },
    job: { S: t.job },
    url: { S: t.url },
    labels: { S: labelsToJson(t.labels) },
    publicLabels: { S: labelsToJson(t.publicLabels) },
    discoveredLabels: { S: labelsToJson(t.discoveredLabels) },
    intervalMs: { N: String(t.intervalMs) },
    timeoutMs: { N: String(t.timeoutMs) },
    offsetMs: { N: String(t.offsetMs) },
  };
}

/**
 * Inverse of {@link targetToItem}. Throws `TARGET_STORE_CORRUPT` only: for an item that is no
 * target, or a target the scrape queue could not carry ({@link queueTargetProblem}).
 */
export function targetFromItem(item: Record<string, AttributeValue>): Target {
  const id = item.pk?.S;
  if (id === undefined) throw corrupt('?', 'item has no pk');
  if (item.f?.N !== String(TARGET_FORMAT)) {
    throw corrupt(id, `unknown format ${JSON.stringify(item.f?.N?.slice(0, 32))}`);
  }
  const num = (name: string): number => {
    const n = Number(item[name]?.N);
    if (!Number.isFinite(n)) throw corrupt(id, `${name} is not a number`);
    return n;
  };
  const str = (name: string): string => {
    const s = item[name]?.S;
    if (s === undefined) throw corrupt(id, `${name} is missing`);
    return s;
  };
  const target: Target = {
    id,
    job: str('job'),
    url: str('url'),
    labels: labelsFromJson(id, item.labels?.S),
    publicLabels: labelsFromJson(id, item.publicLabels?.S),
    discoveredLabels: labelsFromJson(id, item.discoveredLabels?.S),
    intervalMs: num('intervalMs'),
    timeoutMs: num('timeoutMs'),
    offsetMs: num('offsetMs'),
  };
  // Checked here rather than failing later in the dispatcher's plan or encoder, which would
  // not name the store (a ScheduleError or TASK_INVALID for the whole window).
  const problem = queueTargetProblem(target);
  if (problem !== undefined) throw corrupt(id, problem);
  return target;
}

export class DynamoDbTargetStore implements TargetStore {
  private readonly capacity = new ConsumedCapacityCounter();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Read and write units DynamoDB reported for this store's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async list(): Promise<Target[]> {
    const out: Target[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      let res: Awaited<ReturnType<typeof this.scan>>;
      try {
        res = await this.scan(start);
      } catch (cause) {
        throw new TargetStoreError(
          TARGET_STORE_ERROR_CODES.request,
          `Scan of ${this.tableName} failed: ${(cause as Error).message}`,
          { cause },
        );
      }
      this.capacity.add(res.ConsumedCapacity, 'read');
      for (const item of res.Items ?? []) out.push(targetFromItem(item));
      start = res.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  async apply(diff: {
    readonly put: readonly Target[];
    readonly remove: readonly string[];
  }): Promise<void> {
    const seen = new Set<string>();
    const requests: WriteRequest[] = [];
    const once = (id: string): void => {
      if (seen.has(id)) {
        throw new TargetStoreError(
          TARGET_STORE_ERROR_CODES.invalidDiff,
          `target ${id} appears more than once in the diff`,
        );
      }
      seen.add(id);
    };
    for (const t of diff.put) {
      once(t.id);
      requests.push({ PutRequest: { Item: targetToItem(t) } });
    }
    for (const id of diff.remove) {
      once(id);
      requests.push({ DeleteRequest: { Key: { pk: { S: id } } } });
    }
    try {
      await batchWriteAll(this.client, this.tableName, requests, this.capacity);
    } catch (cause) {
      throw new TargetStoreError(
        TARGET_STORE_ERROR_CODES.request,
        `writing ${requests.length} target changes to ${this.tableName} failed: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  private scan(start: Record<string, AttributeValue> | undefined) {
    return this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }
}
