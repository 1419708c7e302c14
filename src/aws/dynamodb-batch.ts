/**
 * BatchGetItem / BatchWriteItem over any number of keys, as the DynamoDB adapters need them
 * (docs/design.md "Layers": `aws/` adapters of the ports).
 *
 * Contracts:
 * - Requests are split at DynamoDB's limits: 100 keys per BatchGetItem, 25 requests per
 *   BatchWriteItem. Batches of one call run one after the other (bounded memory, no burst).
 * - `UnprocessedKeys` / `UnprocessedItems` (throttling, or BatchGetItem's 16 MB response cap)
 *   are sent again with jittered exponential backoff. A round that made progress resets the
 *   backoff; after {@link MAX_ROUNDS_WITHOUT_PROGRESS} rounds without progress the call fails
 *   with `DYNAMODB_BATCH_UNPROCESSED`. SDK errors propagate unchanged as `cause` of
 *   `DYNAMODB_BATCH_REQUEST`.
 * - Keys given to one call must be distinct (DynamoDB rejects duplicates in a batch).
 * - Every request asks for `ReturnConsumedCapacity: 'TOTAL'`; given a
 *   {@link ConsumedCapacityCounter}, the units of every round (retries included) are added to it.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export const BATCH_GET_MAX = 100;
export const BATCH_WRITE_MAX = 25;
export const MAX_ROUNDS_WITHOUT_PROGRESS = 8;

export const DYNAMODB_BATCH_ERROR_CODES = {
  /** Items stayed unprocessed after the retries (sustained throttling). Recoverable. */
  unprocessed: 'DYNAMODB_BATCH_UNPROCESSED',
  /** The SDK call itself failed; see `cause`. */
  request: 'DYNAMODB_BATCH_REQUEST',
} as const;
export type DynamoDbBatchErrorCode =
  (typeof DYNAMODB_BATCH_ERROR_CODES)[keyof typeof DYNAMODB_BATCH_ERROR_CODES];

export class DynamoDbBatchError extends Error {
  override readonly name = 'DynamoDbBatchError';
  readonly code: DynamoDbBatchErrorCode;
  constructor(code: DynamoDbBatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * True when a conditional write failed its condition. By class, or by name for an error that
 * crossed a module boundary (another copy of the SDK's classes).
 */
export function isConditionFailed(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

/** Capacity units consumed so far, as DynamoDB reported them (cumulative, never reset). */
export interface ConsumedCapacityTotals {
  readonly readUnits: number;
  readonly writeUnits: number;
}

/**
 * Sums the `ConsumedCapacity` of responses to requests sent with
 * `ReturnConsumedCapacity: 'TOTAL'`, one counter per adapter.
 *
 * Contract: a response that splits its units (`ReadCapacityUnits` / `WriteCapacityUnits`) is
 * counted as split; otherwise its `CapacityUnits` are read or write units as the caller says
 * (`kind`: what the operation is). A request that fails (a lost conditional write included)
 * returns no ConsumedCapacity and adds nothing, although DynamoDB may bill it: the totals are
 * what DynamoDB reported, a lower bound of the bill.
 */
export class ConsumedCapacityCounter {
  private readUnits = 0;
  private writeUnits = 0;

  add(
    consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined,
    kind: 'read' | 'write',
  ): void {
    if (consumed === undefined) return;
    const list: readonly ConsumedCapacity[] = Array.isArray(consumed)
      ? consumed
      : [consumed as ConsumedCapacity];
    for (const c of list) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        this.readUnits += finite(c.ReadCapacityUnits);
        this.writeUnits += finite(c.WriteCapacityUnits);
      } else if (kind === 'read') this.readUnits += finite(c.CapacityUnits);
      else this.writeUnits += finite(c.CapacityUnits);
    }
  }

  totals(): ConsumedCapacityTotals {
    return { readUnits: this.readUnits, writeUnits: this.writeUnits };
  }
}

function finite(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : 0;
}

/** Backoff before the next round: 25 ms · 2^n, capped at 1 s, full jitter. */
function backoff(round: number): Promise<void> {
  const ms = Math.random() * Math.min(1000, 25 * 2 ** round);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads every key (absent items are simply missing from the result). */
export async function batchGetAll(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly Item[],
  consistentRead: boolean,
  capacity?: ConsumedCapacityCounter,
): Promise<Item[]> {
  const out: Item[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_MAX) {
    let pending: Item[] = keys.slice(i, i + BATCH_GET_MAX);
    let idle = 0;
    while (pending.length > 0) {
      let res: BatchGetItemCommandOutput;
      try {
        res = await client.send(
          new BatchGetItemCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: consistentRead } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
      } catch (cause) {
        throw new DynamoDbBatchError(
          DYNAMODB_BATCH_ERROR_CODES.request,
          `BatchGetItem on ${tableName} failed: ${(cause as Error).message}`,
          { cause },
        );
      }
      capacity?.add(res.ConsumedCapacity, 'read');
      const got = res.Responses?.[tableName] ?? [];
      out.push(...got);
      const left = res.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (left.length === 0) break;
      idle = left.length < pending.length ? 0 : idle + 1;
      if (idle >= MAX_ROUNDS_WITHOUT_PROGRESS) {
        throw new DynamoDbBatchError(
          DYNAMODB_BATCH_ERROR_CODES.unprocessed,
          `BatchGetItem on ${tableName}: ${left.length} keys unprocessed after retries`,
        );
      }
      await backoff(idle);
      pending = left;
    }
  }
  return out;
}

/** Applies every put/delete request. */
export async function batchWriteAll(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  capacity?: ConsumedCapacityCounter,
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    let pending: WriteRequest[] = requests.slice(i, i + BATCH_WRITE_MAX);
    let idle = 0;
    while (pending.length > 0) {
      let left: WriteRequest[];
      try {
        const res = await client.send(
          new BatchWriteItemCommand({
            RequestItems: { [tableName]: pending },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        capacity?.add(res.ConsumedCapacity, 'write');
        left = res.UnprocessedItems?.[tableName] ?? [];
      } catch (cause) {
        throw new DynamoDbBatchError(
          DYNAMODB_BATCH_ERROR_CODES.request,
          `BatchWriteItem on ${tableName} failed: ${(cause as Error).message}`,
          { cause },
        );
      }
      if (left.length === 0) break;
      idle = left.length < pending.length ? 0 : idle + 1;
      if (idle >= MAX_ROUNDS_WITHOUT_PROGRESS) {
        throw new DynamoDbBatchError(
          DYNAMODB_BATCH_ERROR_CODES.unprocessed,
          `BatchWriteItem on ${tableName}: ${left.length} requests unprocessed after retries`,
        );
      }
      await backoff(idle);
      pending = left;
    }
  }
}
