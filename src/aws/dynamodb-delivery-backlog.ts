/**
 * {@link DeliveryBacklog} on DynamoDB: slot bins of kind `q` in the "scrape state" table
 * (`dynamodb-slot-bins.ts` has the layout, the overflow rule and the capacity accounting).
 * A member is `<stream>@<next slot ms>#<remote_write name>`; stream keys are 16 hex digits, so
 * the first `#` after the slot ends it and the rest is the name, whatever it holds.
 *
 * Writes happen only around an outage (a park holds, a replay releases): in normal operation the
 * bins do not exist and a task's read of them costs half a read unit. An overflowed bin answers
 * `'all'`: every stream queues behind every remote_write, which keeps order and loses nothing.
 * A malformed bin item throws `DELIVERY_BACKLOG_CORRUPT`, which the scrape worker treats as an
 * unreadable backlog: the same `'all'`.
 * Holds are group-committed: those asked for while a bin's request is in flight go together in
 * the next one (one UpdateItem for the streams of a task instead of one per stream), and each
 * `hold` resolves or rejects with the request that carried it.
 *
 * Reads are strongly consistent unless asked otherwise (the worker reads eventually consistent
 * where every interval is at least 10 s, as it does the change log).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeliveryBacklog } from '../ports.js';
import { ConsumedCapacityCounter, type ConsumedCapacityTotals } from './dynamodb-batch.js';
import { SlotBins, SlotBinsError, type SlotBinsOptions, slotBinOf } from './dynamodb-slot-bins.js';

/** The item kind (and sort key) of backlog bins. */
export const BACKLOG_KIND = 'q';

export class DeliveryBacklogError extends Error {
  override readonly name = 'DeliveryBacklogError';
  /** `DELIVERY_BACKLOG_CORRUPT` when a bin item is malformed, else a request failed. */
  readonly code: 'DELIVERY_BACKLOG_REQUEST' | 'DELIVERY_BACKLOG_CORRUPT';
  constructor(message: string, options: { cause: SlotBinsError }) {
    super(message, options);
    this.code =
      options.cause.code === 'SLOT_BINS_CORRUPT'
        ? 'DELIVERY_BACKLOG_CORRUPT'
        : 'DELIVERY_BACKLOG_REQUEST';
  }
}

export class DynamoDbDeliveryBacklog implements DeliveryBacklog {
  private readonly capacity = new ConsumedCapacityCounter();
  private readonly bins: SlotBins;
  /** Holds waiting for their bin's next request, by bin. */
  private readonly holding = new Map<number, HoldGroup>();

  constructor(client: DynamoDBClient, tableName: string, options: SlotBinsOptions = {}) {
    this.bins = new SlotBins(client, tableName, BACKLOG_KIND, this.capacity, options);
  }

  /** Read and write units DynamoDB reported for this backlog's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  hold(stream: string, nextSlotMs: number, remoteWrite: string): Promise<void> {
    const m = member(stream, nextSlotMs, remoteWrite);
    const bin = slotBinOf(nextSlotMs);
    let group = this.holding.get(bin);
    if (group === undefined) {
      group = { slotMs: nextSlotMs, members: [], waiters: [], inFlight: false };
      this.holding.set(bin, group);
    }
    group.members.push(m);
    const done = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    if (!group.inFlight) this.flush(bin, group);
    return done;
  }

  /** Sends what `group` gathered; what arrives meanwhile goes in the next request. */
  private flush(bin: number, group: HoldGroup): void {
    group.inFlight = true;
    // Let the holds of this turn of the event loop join.
    setImmediate(() => {
      const members = group.members.splice(0);
      const waiters = group.waiters.splice(0);
      wrap(() => this.bins.add(group.slotMs, ...members))
        .then(
          () => {
            for (const w of waiters) w.resolve();
          },
          (err: unknown) => {
            for (const w of waiters) w.reject(err);
          },
        )
        .finally(() => {
          group.inFlight = false;
          if (group.members.length > 0) this.flush(bin, group);
          else this.holding.delete(bin);
        });
    });
  }

  release(stream: string, nextSlotMs: number, remoteWrite: string): Promise<void> {
    return wrap(() => this.bins.remove(nextSlotMs, member(stream, nextSlotMs, remoteWrite)));
  }

  async held(
    wanted: ReadonlyMap<string, number>,
    options: { readonly consistent?: boolean } = {},
  ): Promise<ReadonlyMap<string, ReadonlySet<string>> | 'all'> {
    const members = await wrap(() => this.bins.read(wanted.values(), options.consistent ?? true));
    if (members === 'overflowed') return 'all';
    return heldByStream(members, wanted);
  }
}

/**
 * The remote_writes each stream of `wanted` (→ its next slot) queues behind, from `members` (a
 * bin's members as read). Members are untrusted: one that is no `<stream>@<slot>#<name>` or is
 * for another slot holds nothing; never an error.
 */
export function heldByStream(
  members: Iterable<string>,
  wanted: ReadonlyMap<string, number>,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of members) {
    const at = m.indexOf('@');
    const hash = m.indexOf('#', at);
    if (at < 0 || hash < 0) continue;
    const stream = m.slice(0, at);
    if (wanted.get(stream) !== Number(m.slice(at + 1, hash))) continue;
    const writers = out.get(stream);
    const name = m.slice(hash + 1);
    if (writers === undefined) out.set(stream, new Set([name]));
    else writers.add(name);
  }
  return out;
}

interface HoldGroup {
  /** A slot of the bin (any: the bin is what the request is for). */
  readonly slotMs: number;
  readonly members: string[];
  readonly waiters: { resolve(): void; reject(err: unknown): void }[];
  inFlight: boolean;
}

function member(stream: string, nextSlotMs: number, remoteWrite: string): string {
  if (stream.includes('@') || stream.includes('#') || stream.length === 0) {
    throw new RangeError(`bad stream key ${JSON.stringify(stream)}`);
  }
  return `${stream}@${nextSlotMs}#${remoteWrite}`;
}

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SlotBinsError) throw new DeliveryBacklogError(err.message, { cause: err });
    throw err;
  }
}
