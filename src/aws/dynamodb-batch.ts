/**
 * BatchGetItem / BatchWriteItem over any number of keys, as the DynamoDB adapters need them
 * (DESIGN.md "Layers": `aws/` adapters of the ports).
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
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
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
          }),
        );
      } catch (cause) {
        throw new DynamoDbBatchError(
          DYNAMODB_BATCH_ERROR_CODES.request,
          `BatchGetItem on ${tableName} failed: ${(cause as Error).message}`,
          { cause },
        );
      }
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
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
    let pending: WriteRequest[] = requests.slice(i, i + BATCH_WRITE_MAX);
    let idle = 0;
    while (pending.length > 0) {
      let left: WriteRequest[];
      try {
        const res = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }),
        );
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
