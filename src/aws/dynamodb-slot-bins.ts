/**
 * Small sets of strings keyed by a slot time, in the "scrape state" table: the layout the state
 * change log (decision 12) and the delivery backlog (decision 13) share. One item per
 * {@link SLOT_BIN_MS} of slots and per kind: `pk = "<kind>#<bin start ms>"`, `sk = "<kind>"`,
 * `s` (SS) the members, `o` (BOOL) set once the bin overflowed, `expiresAt` (N, epoch s) an hour
 * after the bin ends. State heads are keyed by 16-hex stream keys and window claims by `w#…`,
 * so a one-letter kind never clashes.
 *
 * Contracts:
 * - {@link SlotBins.add} is one UpdateItem (`ADD s`), conditional on the set holding fewer than
 *   `maxMembers`; past that the bin is marked overflowed and readers must treat it as unknown —
 *   so an item stays far below DynamoDB's 400 KB and a read below ~50 units. Throws
 *   {@link SlotBinsError} when neither could be written.
 * - {@link SlotBins.remove} is one UpdateItem (`DELETE s`), idempotent, unconditional.
 * - {@link SlotBins.read} reads every bin the slots fall in with one BatchGetItem (retried by
 *   `batchGetAll`): the members per bin, or `'overflowed'` when any bin is. A bin item is
 *   untrusted ({@link binMembers}): one whose `s` is no string set or whose `o` is no boolean
 *   is `SLOT_BINS_CORRUPT` — never read as "no members", which would say "nothing changed" /
 *   "nothing held" — and the callers treat it as they treat a failed read: every stream
 *   counts as changed (change log) or queued (backlog).
 * - Every request asks for `ReturnConsumedCapacity: 'TOTAL'`, added to the given counter.
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  batchGetAll,
  type ConsumedCapacityCounter,
  type Item,
  isConditionFailed,
} from './dynamodb-batch.js';

/** Width of one bin's range of slots. */
export const SLOT_BIN_MS = 10_000;
/** Members one bin lists before it overflows (about 40 bytes each: some 300 KB of 400). */
export const DEFAULT_MAX_MEMBERS_PER_BIN = 8_000;
/** How long a bin's item is kept after the bin ends. */
export const SLOT_BIN_TTL_SECONDS = 3_600;

export class SlotBinsError extends Error {
  override readonly name = 'SlotBinsError';
  constructor(
    /** `SLOT_BINS_REQUEST`: a request failed; `SLOT_BINS_CORRUPT`: a bin item is malformed. */
    readonly code: 'SLOT_BINS_REQUEST' | 'SLOT_BINS_CORRUPT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Start of the bin holding `slotMs`. */
export function slotBinOf(slotMs: number): number {
  return Math.floor(slotMs / SLOT_BIN_MS) * SLOT_BIN_MS;
}

export interface SlotBinsOptions {
  /** @default DEFAULT_MAX_MEMBERS_PER_BIN */
  readonly maxMembers?: number;
}

export class SlotBins {
  private readonly maxMembers: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** One letter or word, no `#`: the item kind (`x` change log, `q` backlog). */
    private readonly kind: string,
    private readonly capacity: ConsumedCapacityCounter,
    options: SlotBinsOptions = {},
  ) {
    if (!/^[a-z]+$/.test(kind)) throw new RangeError(`bad slot bin kind ${JSON.stringify(kind)}`);
    this.maxMembers = options.maxMembers ?? DEFAULT_MAX_MEMBERS_PER_BIN;
    if (!(Number.isSafeInteger(this.maxMembers) && this.maxMembers >= 1)) {
      throw new RangeError('maxMembers must be a positive integer');
    }
  }

  /** The partition key of the bin starting at `binStartMs`. */
  binKey(binStartMs: number): string {
    return `${this.kind}#${binStartMs}`;
  }

  /**
   * Adds `members` (at least one) to the bin of `slotMs` in one request, or marks the bin
   * overflowed when it is full.
   */
  async add(slotMs: number, ...members: string[]): Promise<void> {
    const bin = checkedBin(slotMs);
    if (members.length === 0) throw new RangeError('nothing to add');
    try {
      await this.update({
        Key: this.key(bin),
        UpdateExpression: 'ADD s :s SET expiresAt = :e',
        ConditionExpression: 'attribute_not_exists(s) OR size(s) < :max',
        ExpressionAttributeValues: {
          ':s': { SS: [...new Set(members)] },
          ':e': expiresAt(bin),
          ':max': { N: String(this.maxMembers) },
        },
      });
    } catch (err) {
      if (!isConditionFailed(err)) throw failed(`adding to ${this.binKey(bin)}`, err);
      // Full: every member of this bin is unknown from now on.
      try {
        await this.update({
          Key: this.key(bin),
          UpdateExpression: 'SET o = :t, expiresAt = :e',
          ExpressionAttributeValues: { ':t': { BOOL: true }, ':e': expiresAt(bin) },
        });
      } catch (err2) {
        throw failed(`marking ${this.binKey(bin)} overflowed`, err2);
      }
    }
  }

  /** Removes `member` from the bin of `slotMs` (nothing when it is not there). */
  async remove(slotMs: number, member: string): Promise<void> {
    const bin = checkedBin(slotMs);
    try {
      await this.update({
        Key: this.key(bin),
        UpdateExpression: 'DELETE s :s',
        ExpressionAttributeValues: { ':s': { SS: [member] } },
      });
    } catch (err) {
      throw failed(`removing from ${this.binKey(bin)}`, err);
    }
  }

  /** The members of the bins of `slots`, or `'overflowed'` when any of them overflowed. */
  async read(
    slots: Iterable<number>,
    consistent: boolean,
  ): Promise<ReadonlySet<string> | 'overflowed'> {
    const bins = new Set<number>();
    for (const slotMs of slots) bins.add(checkedBin(slotMs));
    if (bins.size === 0) return new Set();
    let items: Item[];
    try {
      items = await batchGetAll(
        this.client,
        this.tableName,
        [...bins].map((bin) => this.key(bin)),
        consistent,
        this.capacity,
      );
    } catch (err) {
      throw failed(`reading ${bins.size} ${this.kind} bins`, err);
    }
    return binMembers(items);
  }

  private key(bin: number): Item {
    return { pk: { S: this.binKey(bin) }, sk: { S: this.kind } };
  }

  private async update(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>,
  ): Promise<void> {
    const res = await this.client.send(
      new UpdateItemCommand({
        ...input,
        TableName: this.tableName,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.capacity.add(res.ConsumedCapacity, 'write');
  }
}

/**
 * The members of bin items as {@link SlotBins.read} returns them: their union, or `'overflowed'`
 * when any bin is. Throws `SLOT_BINS_CORRUPT` for an item whose `s` is not a string set or whose
 * `o` is not a boolean (absent `s`: no members, as DynamoDB drops an emptied set).
 */
export function binMembers(items: readonly Item[]): ReadonlySet<string> | 'overflowed' {
  const members = new Set<string>();
  let overflowed = false;
  for (const item of items) {
    const { o, s } = item;
    if (o !== undefined && typeof o.BOOL !== 'boolean') throw corrupt(item, 'o is not a boolean');
    if (s !== undefined && !Array.isArray(s.SS)) throw corrupt(item, 's is not a string set');
    if (o?.BOOL === true) overflowed = true;
    else for (const m of s?.SS ?? []) members.add(m);
  }
  return overflowed ? 'overflowed' : members;
}

function corrupt(item: Item, what: string): SlotBinsError {
  const pk = item.pk?.S ?? '?';
  return new SlotBinsError(
    'SLOT_BINS_CORRUPT',
    `slot bin ${JSON.stringify(pk.length > 32 ? `${pk.slice(0, 32)}…` : pk)}: ${what}`,
  );
}

function checkedBin(slotMs: number): number {
  if (!Number.isSafeInteger(slotMs)) throw new RangeError(`bad slot ${slotMs}`);
  return slotBinOf(slotMs);
}

function expiresAt(bin: number): { N: string } {
  return { N: String(Math.floor((bin + SLOT_BIN_MS) / 1000) + SLOT_BIN_TTL_SECONDS) };
}

function failed(what: string, cause: unknown): SlotBinsError {
  return new SlotBinsError('SLOT_BINS_REQUEST', `${what} failed: ${(cause as Error).message}`, {
    cause,
  });
}
