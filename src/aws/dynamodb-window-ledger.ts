/**
 * {@link WindowLedger} on DynamoDB: one conditional PutItem per planned window, so a duplicated
 * or late schedule invocation never plans the same window twice.
 *
 * Table: the "scrape state" table (docs/design.md "Architecture" allows two tables, and the claims
 * are tiny and short-lived), partition key `pk` (S), sort key `sk` (S). A claim is the item
 * `pk = "w#<shard>#<windowStartMs>"`, `sk = "w"` (target ids are 16 hex digits, so no clash
 * with state items), with `expiresAt` (N, epoch seconds) = windowStart + ttlSeconds. The CDK
 * stack enables TTL on `expiresAt` (state items have none and never expire). TTL deletion is
 * lazy (up to days), which does not matter: an expired claim is for a window long past.
 *
 * Contract: `claim` returns true exactly once per (windowStartMs, shard) while the item lives;
 * a ConditionalCheckFailedException means another caller holds it → false. Other failures
 * throw {@link WindowLedgerError} (the caller must not plan the window then).
 *
 * Capacity: the PutItem asks for `ReturnConsumedCapacity: 'TOTAL'`;
 * {@link DynamoDbWindowLedger.consumedCapacity} returns the units reported so far. A lost claim
 * (condition failed) reports none, though DynamoDB bills it. Not part of the port.
 */
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { WindowLedger } from '../ports.js';
import {
  ConsumedCapacityCounter,
  type ConsumedCapacityTotals,
  isConditionFailed,
} from './dynamodb-batch.js';

export const LEDGER_SK = 'w';

export const WINDOW_LEDGER_ERROR_CODES = {
  /** The claim could not be written or checked; see `cause`. Recoverable. */
  request: 'WINDOW_LEDGER_REQUEST',
} as const;
export type WindowLedgerErrorCode =
  (typeof WINDOW_LEDGER_ERROR_CODES)[keyof typeof WINDOW_LEDGER_ERROR_CODES];

export class WindowLedgerError extends Error {
  override readonly name = 'WindowLedgerError';
  readonly code: WindowLedgerErrorCode;
  constructor(code: WindowLedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface DynamoDbWindowLedgerOptions {
  /** How long a claim is kept after its window starts (seconds); ≥ the longest window. */
  readonly ttlSeconds: number;
}

/** The partition key of a claim. */
export function windowClaimKey(windowStartMs: number, shard: number): string {
  return `w#${shard}#${windowStartMs}`;
}

export class DynamoDbWindowLedger implements WindowLedger {
  private readonly ttlSeconds: number;
  private readonly capacity = new ConsumedCapacityCounter();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbWindowLedgerOptions,
  ) {
    if (!(Number.isSafeInteger(options.ttlSeconds) && options.ttlSeconds > 0)) {
      throw new RangeError(`ttlSeconds must be a positive integer, got ${options.ttlSeconds}`);
    }
    this.ttlSeconds = options.ttlSeconds;
  }

  /** Write units DynamoDB reported for this ledger's claims so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async claim(windowStartMs: number, shard: number): Promise<boolean> {
    if (!Number.isSafeInteger(windowStartMs) || !Number.isSafeInteger(shard) || shard < 0) {
      throw new RangeError(`bad window claim (${windowStartMs}, ${shard})`);
    }
    const expiresAt = Math.floor(windowStartMs / 1000) + this.ttlSeconds;
    try {
      const res = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: windowClaimKey(windowStartMs, shard) },
            sk: { S: LEDGER_SK },
            expiresAt: { N: String(expiresAt) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.capacity.add(res.ConsumedCapacity, 'write');
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw new WindowLedgerError(
        WINDOW_LEDGER_ERROR_CODES.request,
        `claiming window ${windowStartMs} of shard ${shard} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
