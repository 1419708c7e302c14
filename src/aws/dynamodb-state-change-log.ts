/**
 * {@link StateChangeLog} on DynamoDB: slot bins of kind `x` in the "scrape state" table
 * (`dynamodb-slot-bins.ts` has the layout, the overflow rule and the capacity accounting).
 * A member is `<stream>@<next slot ms>:<version>`: the slot is kept so a record concerns one
 * scrape only, also where several slots of a stream share a bin (intervals under 10 s); the
 * version so the writer's own record does not send it back to the store. An overflowed bin
 * answers `'all'`: every stream of it counts as changed. A malformed bin item throws
 * `STATE_CHANGE_LOG_CORRUPT`, which the scrape worker treats as an unreadable log: every stream
 * is read from the store.
 *
 * A task reads the bins its slots fall in (one, two where its second straddles a boundary)
 * with one BatchGetItem: at 1% churn a bin holds a few dozen records, i.e. half a read unit
 * (eventually consistent) for the whole task instead of one per target.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StateChangeLog } from '../ports.js';
import { ConsumedCapacityCounter, type ConsumedCapacityTotals } from './dynamodb-batch.js';
import { SlotBins, SlotBinsError } from './dynamodb-slot-bins.js';

export {
  DEFAULT_MAX_MEMBERS_PER_BIN as DEFAULT_MAX_STREAMS_PER_BIN,
  SLOT_BIN_MS as CHANGE_BIN_MS,
} from './dynamodb-slot-bins.js';
/** The item kind (and sort key) of change-log bins. */
export const CHANGE_LOG_SK = 'x';

export class StateChangeLogError extends Error {
  override readonly name = 'StateChangeLogError';
  /** `STATE_CHANGE_LOG_CORRUPT` when a bin item is malformed, else a request failed. */
  readonly code: 'STATE_CHANGE_LOG_REQUEST' | 'STATE_CHANGE_LOG_CORRUPT';
  constructor(message: string, options: { cause: SlotBinsError }) {
    super(message, options);
    this.code =
      options.cause.code === 'SLOT_BINS_CORRUPT'
        ? 'STATE_CHANGE_LOG_CORRUPT'
        : 'STATE_CHANGE_LOG_REQUEST';
  }
}

export interface DynamoDbStateChangeLogOptions {
  /** @default DEFAULT_MAX_STREAMS_PER_BIN */
  readonly maxStreamsPerBin?: number;
}

export class DynamoDbStateChangeLog implements StateChangeLog {
  private readonly capacity = new ConsumedCapacityCounter();
  private readonly bins: SlotBins;

  constructor(
    client: DynamoDBClient,
    tableName: string,
    options: DynamoDbStateChangeLogOptions = {},
  ) {
    this.bins = new SlotBins(client, tableName, CHANGE_LOG_SK, this.capacity, {
      ...(options.maxStreamsPerBin === undefined ? {} : { maxMembers: options.maxStreamsPerBin }),
    });
  }

  /** Read and write units DynamoDB reported for this log's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  /** The partition key of the bin starting at `binStartMs`. */
  binKey(binStartMs: number): string {
    return this.bins.binKey(binStartMs);
  }

  async record(stream: string, nextSlotMs: number, version: number): Promise<void> {
    if (!Number.isSafeInteger(version)) throw new RangeError(`bad version ${version}`);
    await wrap(() => this.bins.add(nextSlotMs, `${slotKey(stream, nextSlotMs)}:${version}`));
  }

  async changed(
    wanted: ReadonlyMap<string, { readonly slotMs: number; readonly version: number }>,
    options: { readonly consistent?: boolean } = {},
  ): Promise<ReadonlySet<string> | 'all'> {
    const slots = [...wanted.values()].map((w) => w.slotMs);
    const members = await wrap(() => this.bins.read(slots, options.consistent ?? true));
    if (members === 'overflowed') return 'all';
    return changedStreams(members, wanted);
  }
}

/**
 * The streams of `wanted` whose slot has a record of another version among `members` (a bin's
 * members as read). Members are untrusted: one that is no `<stream>@<slot>:<version>` matches
 * no wanted stream, or marks one changed (read from the store: the safe side); never an error.
 */
export function changedStreams(
  members: Iterable<string>,
  wanted: ReadonlyMap<string, { readonly slotMs: number; readonly version: number }>,
): Set<string> {
  // Versions recorded per stream and slot.
  const recorded = new Map<string, string[]>();
  for (const r of members) {
    const cut = r.lastIndexOf(':');
    const key = r.slice(0, cut);
    const versions = recorded.get(key);
    if (versions === undefined) recorded.set(key, [r.slice(cut + 1)]);
    else versions.push(r.slice(cut + 1));
  }
  const out = new Set<string>();
  for (const [stream, { slotMs, version }] of wanted) {
    const versions = recorded.get(slotKey(stream, slotMs));
    if (versions?.some((v) => v !== String(version))) out.add(stream);
  }
  return out;
}

/** Turns the bins' request failures into this log's error (argument errors pass through). */
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SlotBinsError) throw new StateChangeLogError(err.message, { cause: err });
    throw err;
  }
}

function slotKey(stream: string, slotMs: number): string {
  return `${stream}@${slotMs}`;
}
