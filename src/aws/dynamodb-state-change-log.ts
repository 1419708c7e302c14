/**
 * {@link StateChangeLog} on DynamoDB, in the "scrape state" table (partition key `pk`, sort key
 * `sk`, TTL on `expiresAt`; state heads are keyed by 16-hex stream keys and window claims by
 * `w#…`, so `x#…` never clashes).
 *
 * One item per {@link CHANGE_BIN_MS} of next slots: `pk = "x#<bin start ms>"`, `sk = "x"`,
 * `s` (SS) the records `<stream>@<next slot ms>:<version>`, `expiresAt` (N, epoch s) an hour
 * after the bin ends. The slot is kept so a record concerns one scrape only, also where several
 * slots of a stream share a bin (intervals under 10 s); the version so the writer's own record
 * does not send it back to the store. A record
 * is one UpdateItem (`ADD s`), conditional on the set holding fewer than `maxStreamsPerBin`
 * streams; past that the bin is marked overflowed (`o`, BOOL) and readers treat every stream of
 * it as changed — so an item stays far below DynamoDB's 400 KB and a read below ~50 units.
 *
 * A task reads the bins its slots fall in (one, two where its second straddles a boundary)
 * with one BatchGetItem: at 1% churn a bin holds a few dozen records, i.e. half a read unit
 * (eventually consistent) for the whole task instead of one per target.
 *
 * Capacity: every request asks for `ReturnConsumedCapacity: 'TOTAL'`;
 * {@link DynamoDbStateChangeLog.consumedCapacity} returns the units reported so far.
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { StateChangeLog } from '../ports.js';
import {
  batchGetAll,
  ConsumedCapacityCounter,
  type ConsumedCapacityTotals,
  type Item,
  isConditionFailed,
} from './dynamodb-batch.js';

/** Width of one change-log item's range of next slots. */
export const CHANGE_BIN_MS = 10_000;
export const CHANGE_LOG_SK = 'x';
/** Records one bin lists before it overflows (about 37 bytes each: some 300 KB of 400). */
export const DEFAULT_MAX_STREAMS_PER_BIN = 8_000;
/** How long a bin's item is kept after the bin ends. */
export const CHANGE_LOG_TTL_SECONDS = 3_600;

export class StateChangeLogError extends Error {
  override readonly name = 'StateChangeLogError';
  readonly code = 'STATE_CHANGE_LOG_REQUEST';
}

/** Start of the bin holding `slotMs`. */
export function changeBinOf(slotMs: number): number {
  return Math.floor(slotMs / CHANGE_BIN_MS) * CHANGE_BIN_MS;
}

/** The partition key of the bin starting at `binStartMs`. */
export function changeBinKey(binStartMs: number): string {
  return `x#${binStartMs}`;
}

export interface DynamoDbStateChangeLogOptions {
  /** @default DEFAULT_MAX_STREAMS_PER_BIN */
  readonly maxStreamsPerBin?: number;
}

export class DynamoDbStateChangeLog implements StateChangeLog {
  private readonly capacity = new ConsumedCapacityCounter();
  private readonly maxStreamsPerBin: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbStateChangeLogOptions = {},
  ) {
    this.maxStreamsPerBin = options.maxStreamsPerBin ?? DEFAULT_MAX_STREAMS_PER_BIN;
    if (!(Number.isSafeInteger(this.maxStreamsPerBin) && this.maxStreamsPerBin >= 1)) {
      throw new RangeError(`maxStreamsPerBin must be a positive integer`);
    }
  }

  /** Read and write units DynamoDB reported for this log's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async record(stream: string, nextSlotMs: number, version: number): Promise<void> {
    if (!Number.isSafeInteger(nextSlotMs)) throw new RangeError(`bad next slot ${nextSlotMs}`);
    if (!Number.isSafeInteger(version)) throw new RangeError(`bad version ${version}`);
    const bin = changeBinOf(nextSlotMs);
    const key = { pk: { S: changeBinKey(bin) }, sk: { S: CHANGE_LOG_SK } };
    const expiresAt = {
      N: String(Math.floor((bin + CHANGE_BIN_MS) / 1000) + CHANGE_LOG_TTL_SECONDS),
    };
    try {
      await this.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'ADD s :s SET expiresAt = :e',
        ConditionExpression: 'attribute_not_exists(s) OR size(s) < :max',
        ExpressionAttributeValues: {
          ':s': { SS: [`${slotKey(stream, nextSlotMs)}:${version}`] },
          ':e': expiresAt,
          ':max': { N: String(this.maxStreamsPerBin) },
        },
      });
    } catch (err) {
      if (!isConditionFailed(err)) throw this.failed(`recording stream ${stream}`, err);
      // Full: every stream of this bin counts as changed from now on.
      try {
        await this.update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET o = :t, expiresAt = :e',
          ExpressionAttributeValues: { ':t': { BOOL: true }, ':e': expiresAt },
        });
      } catch (err2) {
        throw this.failed(`marking bin ${bin} overflowed`, err2);
      }
    }
  }

  async changed(
    wanted: ReadonlyMap<string, { readonly slotMs: number; readonly version: number }>,
    options: { readonly consistent?: boolean } = {},
  ): Promise<ReadonlySet<string> | 'all'> {
    const bins = new Set<number>();
    for (const { slotMs } of wanted.values()) {
      if (!Number.isSafeInteger(slotMs)) throw new RangeError(`bad slot ${slotMs}`);
      bins.add(changeBinOf(slotMs));
    }
    const keys: Item[] = [...bins].map((bin) => ({
      pk: { S: changeBinKey(bin) },
      sk: { S: CHANGE_LOG_SK },
    }));
    let items: Item[];
    try {
      items = await batchGetAll(
        this.client,
        this.tableName,
        keys,
        options.consistent ?? true,
        this.capacity,
      );
    } catch (err) {
      throw this.failed(`reading the changes of ${bins.size} bins`, err);
    }
    // Versions recorded per stream and slot.
    const recorded = new Map<string, string[]>();
    for (const item of items) {
      if (item.o?.BOOL === true) return 'all';
      for (const r of item.s?.SS ?? []) {
        const cut = r.lastIndexOf(':');
        const key = r.slice(0, cut);
        const versions = recorded.get(key);
        if (versions === undefined) recorded.set(key, [r.slice(cut + 1)]);
        else versions.push(r.slice(cut + 1));
      }
    }
    const out = new Set<string>();
    for (const [stream, { slotMs, version }] of wanted) {
      const versions = recorded.get(slotKey(stream, slotMs));
      if (versions?.some((v) => v !== String(version))) out.add(stream);
    }
    return out;
  }

  private async update(input: ConstructorParameters<typeof UpdateItemCommand>[0]): Promise<void> {
    const res = await this.client.send(
      new UpdateItemCommand({ ...input, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.capacity.add(res.ConsumedCapacity, 'write');
  }

  private failed(what: string, cause: unknown): StateChangeLogError {
    return new StateChangeLogError(`${what} failed: ${(cause as Error).message}`, { cause });
  }
}

function slotKey(stream: string, slotMs: number): string {
  return `${stream}@${slotMs}`;
}
