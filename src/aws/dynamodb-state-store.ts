/**
 * {@link ScrapeStateStore} on DynamoDB: the previous-series state of each target between
 * Lambda invocations (§8), in the "scrape state" table (docs/design.md decision 4: state that costs
 * nothing when nothing changes).
 *
 * Table (CDK): partition key `pk` (S), sort key `sk` (S), on-demand. Shared with
 * `DynamoDbWindowLedger` (its `pk` values start with `w#`; target ids are 16 hex digits).
 * Items of one target (pk = target id):
 * - head, `sk = "h"`: `f` (N) format = 1, `v` (N) version, `d` (S) digest of the whole set,
 *   `n` (N) series count, `t` (N) lastScrapeTimeMs (absent when undefined), and either
 *   - `b` (B): the whole compressed set inline (compressed size ≤ `inlineBytes`), or
 *   - a base + delta: `g` (S) base generation id, `c` (N) its chunk count, `z` (N) its
 *     compressed size, and `a` (B, optional) the delta: the keys added to and removed from the
 *     base (cumulative since the base was written), compressed like a set of `+key`/`-key`.
 * - base chunks, `sk = "c#<g>#<i>"`: `b` (B), i = 0..c-1, concatenated in order. Immutable:
 *   a generation is written once and deleted when no head refers to it any more.
 *
 * Serialised set: keys sorted (UTF-16 order), front-coded (each key is
 * `<shared prefix length>:<suffix length>:<suffix>` against the previous key, lengths in base
 * 36, UTF-16 units), the string UTF-8 encoded and compressed with brotli quality 5. Measured on
 * realistic keys (bench/state-store.bench.ts): 200,000 histogram series (~170 B per key,
 * 34 MB of keys) → 515 KB; 1,000 → 3.4 KB. Without front coding brotli-5 gave ~450 KB for a
 * smaller 200k set that front-coded to 69 KB; deflateRaw was 3–7x larger than brotli after
 * front coding at similar speed. Keys must be well-formed Unicode (no lone surrogates).
 *
 * Digest: SHA-256 of the canonical (sorted, front-coded) bytes, hex. Order-independent because
 * the keys are sorted first, and collision resistant, unlike an XOR of per-key hashes (which a
 * target choosing its series names could forge, and which measured no faster: hashing 200k
 * keys one by one costs about what the sort does, and the sort is needed to serialise anyway).
 *
 * Writes (no transactions: dynalite lacks them and they would double the write cost); the head
 * is the only commit point, readers follow it:
 * 1. digest equal to `expected.digest` → `unchanged`, no request at all (docs/design.md decision 4);
 *    the digest is the state's `seriesDigest` when it carries one (a scrape that tracked the
 *    same series as the state it was compared against), else computed and recorded on it;
 * 2. delta: if this store knows the base of `expected` (it returned that StoredScrapeState
 *    from getMany, or wrote that ScrapeState object with put) and the new cumulative delta
 *    against the base is ≤ `compactRatio` × base size (and ≤ half a chunk), only the head is
 *    put: one PutItem whose size is the delta's, so a change costs in proportion to the change
 *    since the last compaction, bounded by `compactRatio` of the base;
 * 3. otherwise the whole set: inline in the head if small, else a new base under a fresh
 *    random generation id (two writers with the same expected never share chunk keys), chunks
 *    first, then the head;
 * 4. the head's condition is `v = expected.version` (plus `g = base generation` for a delta,
 *    so a delta never lands on a different base after remove + re-create), or
 *    `attribute_not_exists(pk)` without expected. Failing it → `conflict`, and the writer
 *    deletes its own new chunks;
 * 5. the replaced head (ReturnValues ALL_OLD) names the old generation; when the new head has
 *    another one its chunks are deleted, best effort (a failure goes to `onCleanupError`; the
 *    orphans are unreachable and {@link DynamoDbScrapeStateStore.remove} removes them).
 *
 * Head reads are strongly consistent unless the caller allows otherwise (`getMany`'s
 * `consistent: false`: half the read units; a stale version only makes the next write conflict).
 * Chunk reads are always strongly consistent. A reader that finds a chunk missing (the head moved on between its two reads) reads that
 * target's head again, up to {@link READ_ATTEMPTS} times.
 *
 * Stored `lastScrapeTimeMs` is that of the last write: an unchanged set writes nothing.
 *
 * Items are read as untrusted (docs/design.md decision 9): a head or chunk that is missing an
 * attribute, has one of another type or out of range, claims more than {@link MAX_STATE_CHUNKS}
 * chunks, or whose data does not decode within {@link MAX_SERIES_SET_BYTES} is
 * `SCRAPE_STATE_CORRUPT` ({@link decodeStateHead}, {@link decodeStoredSeries}), never another
 * error, and nothing is allocated by what an item claims. `getMany` then fails as a whole; the
 * scrape worker fails the task as retryable (its state read failed) and leaves the stored state
 * as it is. A set over those limits is never written (`SCRAPE_STATE_TOO_LARGE` from `put`).
 *
 * Capacity: every request asks for `ReturnConsumedCapacity: 'TOTAL'`;
 * {@link DynamoDbScrapeStateStore.consumedCapacity} returns the read and write units DynamoDB
 * reported since the store was created (cleanup and `remove` included; a lost conditional write
 * reports none). Not part of the `ScrapeStateStore` port: callers that want it hold the adapter.
 */
import { createHash, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { ScrapeStateStore, StateWriteResult, StoredScrapeState } from '../ports.js';
import { ScrapeState } from '../scrape/state.js';
import {
  batchGetAll,
  batchWriteAll,
  ConsumedCapacityCounter,
  type ConsumedCapacityTotals,
  type Item,
  isConditionFailed,
} from './dynamodb-batch.js';

/** Default bytes of compressed data per item: well below the 400 KB item limit. */
export const DEFAULT_CHUNK_BYTES = 350_000;
export const HEAD_SK = 'h';
export const STATE_FORMAT = 1;
export const READ_ATTEMPTS = 3;
/** Default largest compressed set kept inline in the head (rewritten whole on change). */
export const DEFAULT_INLINE_BYTES = 16_384;
/** Default: compact (write a new base) when the delta exceeds this share of the base. */
export const DEFAULT_COMPACT_RATIO = 0.125;

/**
 * Largest series set the store writes and reads, measured twice: its serialised (front-coded,
 * uncompressed) bytes, and its keys' total length in UTF-16 units. Brotli gets it as
 * `maxOutputLength`, so a corrupt item of a few hundred bytes cannot decompress to gigabytes
 * (256 MiB of one byte compresses to 405 bytes), and front coding cannot expand a small text
 * into huge keys (a 17 KB item held 200 million characters of keys). 64 MiB is some 380,000
 * series of the 170-byte keys measured above (200,000 are 34 MB); a larger set is not written
 * (`SCRAPE_STATE_TOO_LARGE`: the write fails, the previous state stays). Prometheus keeps no such
 * state, so has no equivalent; its `sample_limit` is the per-target bound an operator would set.
 */
export const MAX_SERIES_SET_BYTES = 64 * 1024 * 1024;

/**
 * Most chunks a base may have (the head's `c`): a reader makes one key per chunk before it reads
 * any, so the count is checked first. At the default chunk size that is 350 MB, more than a set
 * within {@link MAX_SERIES_SET_BYTES} compresses to; a store with much smaller chunks refuses a
 * base that would need more (`SCRAPE_STATE_TOO_LARGE`).
 */
export const MAX_STATE_CHUNKS = 1024;

export const SCRAPE_STATE_STORE_ERROR_CODES = {
  /** A stored item cannot be decoded (unknown format, missing attribute, corrupt data). */
  corrupt: 'SCRAPE_STATE_CORRUPT',
  /** Chunks kept disappearing under the reader (the head moved on each time). Recoverable. */
  chunkMissing: 'SCRAPE_STATE_CHUNK_MISSING',
  /** A series key is not well-formed Unicode. */
  invalidKey: 'SCRAPE_STATE_INVALID_KEY',
  /** The set to write exceeds {@link MAX_SERIES_SET_BYTES} or {@link MAX_STATE_CHUNKS}. */
  tooLarge: 'SCRAPE_STATE_TOO_LARGE',
  /** A DynamoDB request failed; see `cause`. */
  request: 'SCRAPE_STATE_REQUEST',
} as const;
export type ScrapeStateStoreErrorCode =
  (typeof SCRAPE_STATE_STORE_ERROR_CODES)[keyof typeof SCRAPE_STATE_STORE_ERROR_CODES];

export class ScrapeStateStoreError extends Error {
  override readonly name = 'ScrapeStateStoreError';
  readonly code: ScrapeStateStoreErrorCode;
  constructor(code: ScrapeStateStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface DynamoDbScrapeStateStoreOptions {
  /** Compressed bytes per item (default {@link DEFAULT_CHUNK_BYTES}); at most 390,000. */
  readonly chunkBytes?: number;
  /** Largest compressed set stored inline in the head (default {@link DEFAULT_INLINE_BYTES}). */
  readonly inlineBytes?: number;
  /** Delta/base size ratio above which a write compacts (default {@link DEFAULT_COMPACT_RATIO}). */
  readonly compactRatio?: number;
  /** Told about a failed best-effort cleanup of superseded or losing chunks. */
  readonly onCleanupError?: (error: unknown) => void;
}

/** Matches a lone surrogate (paired ones form one code point under the u flag). */
const LONE_SURROGATE = /\p{Cs}/u;

/** A series set serialised: canonical bytes' digest and the compressed form. */
export interface EncodedSeriesSet {
  readonly digest: string;
  readonly compressed: Buffer;
  /** Size of the front-coded bytes before compression. */
  readonly rawBytes: number;
}

/** The canonical bytes of a series set (sorted, front-coded, UTF-8) and their digest. */
export interface CanonicalSeriesSet {
  readonly digest: string;
  readonly raw: Buffer;
}

/**
 * Sorts and front-codes a series set, and digests it (no compression yet). Throws
 * `SCRAPE_STATE_TOO_LARGE` past {@link MAX_SERIES_SET_BYTES} (what a reader would refuse).
 */
export function canonicalSeriesSet(series: Iterable<string>): CanonicalSeriesSet {
  const keys = [...series];
  let chars = 0;
  for (const key of keys) chars += key.length;
  if (chars > MAX_SERIES_SET_BYTES)
    throw tooLarge(`its ${keys.length} keys hold ${chars} characters`);
  keys.sort();
  const parts: string[] = [];
  let prev = '';
  for (const key of keys) {
    if (LONE_SURROGATE.test(key)) {
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.invalidKey,
        'series key is not well-formed Unicode',
      );
    }
    const max = Math.min(prev.length, key.length);
    let p = 0;
    while (p < max && prev.charCodeAt(p) === key.charCodeAt(p)) p++;
    // Never cut a surrogate pair: the suffix must be well-formed on its own.
    if (p > 0 && p < key.length) {
      const c = key.charCodeAt(p - 1);
      if (c >= 0xd800 && c <= 0xdbff) p--;
    }
    const suffix = p === 0 ? key : key.slice(p);
    parts.push(`${p.toString(36)}:${suffix.length.toString(36)}:${suffix}`);
    prev = key;
  }
  const raw = Buffer.from(parts.join(''), 'utf8');
  if (raw.length > MAX_SERIES_SET_BYTES) throw tooLarge(`it serialises to ${raw.length} bytes`);
  return { digest: createHash('sha256').update(raw).digest('hex'), raw };
}

function tooLarge(what: string): ScrapeStateStoreError {
  return new ScrapeStateStoreError(
    SCRAPE_STATE_STORE_ERROR_CODES.tooLarge,
    `series set not stored: ${what}, more than the limit of ${MAX_SERIES_SET_BYTES} (MAX_SERIES_SET_BYTES)`,
  );
}

function compress(raw: Buffer): Buffer {
  return brotliCompressSync(raw, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
}

/** Serialises a series set (sorted, front-coded, brotli). Pure; exported for the bench. */
export function encodeSeriesSet(series: Iterable<string>): EncodedSeriesSet {
  const { digest, raw } = canonicalSeriesSet(series);
  return { digest, compressed: compress(raw), rawBytes: raw.length };
}

/**
 * Inverse of {@link encodeSeriesSet}'s compressed form. Untrusted (the item may be corrupt):
 * throws `SCRAPE_STATE_CORRUPT` only, and never builds more than {@link MAX_SERIES_SET_BYTES}
 * of text or of keys.
 */
export function decodeSeriesSet(compressed: Uint8Array): Set<string> {
  let text: string;
  try {
    text = brotliDecompressSync(compressed, { maxOutputLength: MAX_SERIES_SET_BYTES }).toString(
      'utf8',
    );
  } catch (cause) {
    const bomb = (cause as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
    throw new ScrapeStateStoreError(
      SCRAPE_STATE_STORE_ERROR_CODES.corrupt,
      bomb
        ? `series set decompresses to more than ${MAX_SERIES_SET_BYTES} bytes (MAX_SERIES_SET_BYTES)`
        : 'series set does not decompress',
      { cause },
    );
  }
  const out = new Set<string>();
  let prev = '';
  let i = 0;
  let chars = 0;
  while (i < text.length) {
    const c1 = text.indexOf(':', i);
    const c2 = c1 < 0 ? -1 : text.indexOf(':', c1 + 1);
    const p = Number.parseInt(text.slice(i, c1), 36);
    const n = Number.parseInt(text.slice(c1 + 1, c2), 36);
    if (c2 < 0 || !(p >= 0) || !(n >= 0) || p > prev.length || c2 + 1 + n > text.length) {
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.corrupt,
        `series set is malformed at offset ${i}`,
      );
    }
    // Front coding lets a few bytes stand for a long key: bound what the keys add up to.
    chars += p + n;
    if (chars > MAX_SERIES_SET_BYTES) {
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.corrupt,
        `series set keys exceed ${MAX_SERIES_SET_BYTES} characters (MAX_SERIES_SET_BYTES) at offset ${i}`,
      );
    }
    const key = prev.slice(0, p) + text.slice(c2 + 1, c2 + 1 + n);
    out.add(key);
    prev = key;
    i = c2 + 1 + n;
  }
  return out;
}

/** A head item, decoded ({@link decodeStateHead}). */
export interface StateHead {
  readonly version: number;
  readonly digest: string;
  readonly lastScrapeTimeMs: number | undefined;
  readonly inline: Uint8Array | undefined;
  readonly generation: string | undefined;
  readonly chunks: number;
  /** Compressed size of the base (chunked heads). */
  readonly baseBytes: number;
  /** Compressed delta against the base (chunked heads; absent = none). */
  readonly delta: Uint8Array | undefined;
}

/**
 * What a delta write needs to know about a stored version, kept for the StoredScrapeState
 * objects this store returned and the ScrapeState objects it wrote (never persisted).
 */
interface BaseInfo {
  readonly version: number;
  readonly generation: string;
  readonly chunks: number;
  readonly baseBytes: number;
  /** Keys in the stored set but not in the base, and in the base but not in the set. */
  readonly added: ReadonlySet<string>;
  readonly removed: ReadonlySet<string>;
}

function chunkSk(generation: string, i: number): string {
  return `c#${generation}#${i}`;
}

function corrupt(targetId: string, what: string): ScrapeStateStoreError {
  return new ScrapeStateStoreError(
    SCRAPE_STATE_STORE_ERROR_CODES.corrupt,
    `state of target ${targetId}: ${what}`,
  );
}

/**
 * Decodes a head item (layout in the file comment). The item is untrusted: any attribute
 * missing, of another type or out of range is `SCRAPE_STATE_CORRUPT`, never another error, and
 * the chunk count is at most {@link MAX_STATE_CHUNKS} (a reader makes one key per chunk).
 */
export function decodeStateHead(targetId: string, item: Item): StateHead {
  const f = item.f?.N;
  if (f !== String(STATE_FORMAT)) throw corrupt(targetId, `unknown format ${shown(f)}`);
  const version = Number(item.v?.N);
  const digest = item.d?.S;
  if (!Number.isSafeInteger(version) || digest === undefined) {
    throw corrupt(targetId, 'head lacks version or digest');
  }
  const t = item.t === undefined ? undefined : Number(item.t.N);
  if (t !== undefined && !Number.isFinite(t)) throw corrupt(targetId, 'head time is no number');
  const inline = item.b?.B;
  const delta = item.a?.B;
  if (
    (item.b !== undefined && inline === undefined) ||
    (item.a !== undefined && delta === undefined)
  ) {
    throw corrupt(targetId, 'head data is not binary');
  }
  if (inline !== undefined) {
    const head = { version, digest, lastScrapeTimeMs: t, inline, delta };
    return { ...head, generation: undefined, chunks: 0, baseBytes: 0 };
  }
  const generation = item.g?.S;
  const chunks = Number(item.c?.N);
  const baseBytes = Number(item.z?.N);
  if (generation === undefined || item.c === undefined) {
    throw corrupt(targetId, 'head has neither inline data nor chunks');
  }
  if (!Number.isSafeInteger(chunks) || chunks < 1 || chunks > MAX_STATE_CHUNKS) {
    throw corrupt(
      targetId,
      `chunk count ${shown(item.c.N)} is not in [1, ${MAX_STATE_CHUNKS}] (MAX_STATE_CHUNKS)`,
    );
  }
  // Each chunk holds a byte at least; no base the store writes exceeds the limit.
  if (!Number.isSafeInteger(baseBytes) || baseBytes < chunks || baseBytes > MAX_SERIES_SET_BYTES) {
    throw corrupt(
      targetId,
      `base size ${shown(item.z?.N)} is not in [${chunks}, ${MAX_SERIES_SET_BYTES}] (MAX_SERIES_SET_BYTES)`,
    );
  }
  return { version, digest, lastScrapeTimeMs: t, inline, generation, chunks, baseBytes, delta };
}

/**
 * The series of a stored state: its base (the inline data, or the chunks concatenated) with
 * the head's delta applied. Throws `SCRAPE_STATE_CORRUPT` only (see {@link decodeSeriesSet}).
 */
export function decodeStoredSeries(
  targetId: string,
  head: StateHead,
  base: Uint8Array,
): {
  series: Set<string>;
  added: ReadonlySet<string>;
  removed: ReadonlySet<string>;
} {
  const series = decodeSeriesSet(base);
  if (head.delta === undefined) return { series, added: NO_KEYS, removed: NO_KEYS };
  const { added, removed } = decodeDelta(targetId, head.delta);
  for (const k of removed) series.delete(k);
  for (const k of added) series.add(k);
  return { series, added, removed };
}

/** An attribute's text for an error message: bounded. */
function shown(value: string | undefined): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
}

/**
 * A delta is stored as a series set of `+key` (added) and `-key` (removed); undefined when that
 * set would exceed {@link MAX_SERIES_SET_BYTES} (the caller writes the whole set instead).
 */
function encodeDelta(added: ReadonlySet<string>, removed: ReadonlySet<string>): Buffer | undefined {
  const marked: string[] = [];
  for (const k of added) marked.push(`+${k}`);
  for (const k of removed) marked.push(`-${k}`);
  try {
    return encodeSeriesSet(marked).compressed;
  } catch (err) {
    if ((err as ScrapeStateStoreError).code === SCRAPE_STATE_STORE_ERROR_CODES.tooLarge) {
      return undefined;
    }
    throw err;
  }
}

function decodeDelta(
  targetId: string,
  data: Uint8Array,
): { added: Set<string>; removed: Set<string> } {
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const k of decodeSeriesSet(data)) {
    if (k.startsWith('+')) added.add(k.slice(1));
    else if (k.startsWith('-')) removed.add(k.slice(1));
    else throw corrupt(targetId, 'delta entry without +/- mark');
  }
  return { added, removed };
}

const NO_KEYS: ReadonlySet<string> = new Set();

export class DynamoDbScrapeStateStore implements ScrapeStateStore {
  private readonly chunkBytes: number;
  private readonly inlineBytes: number;
  private readonly compactRatio: number;
  private readonly onCleanupError: (error: unknown) => void;
  /** Base info of the StoredScrapeState objects returned by getMany. */
  private readonly infoByStored = new WeakMap<StoredScrapeState, BaseInfo>();
  /** Base info of the states written by put (for callers that build `expected` themselves). */
  private readonly infoByState = new WeakMap<ScrapeState, BaseInfo>();
  private readonly capacity = new ConsumedCapacityCounter();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbScrapeStateStoreOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!(this.chunkBytes >= 1 && this.chunkBytes <= 390_000)) {
      throw new RangeError(`chunkBytes must be in [1, 390000], got ${this.chunkBytes}`);
    }
    this.inlineBytes = Math.min(options.inlineBytes ?? DEFAULT_INLINE_BYTES, this.chunkBytes);
    this.compactRatio = options.compactRatio ?? DEFAULT_COMPACT_RATIO;
    if (!(this.compactRatio >= 0 && this.compactRatio <= 1)) {
      throw new RangeError(`compactRatio must be in [0, 1], got ${this.compactRatio}`);
    }
    this.onCleanupError = options.onCleanupError ?? (() => {});
  }

  /** Read and write units DynamoDB reported for this store's requests so far (cumulative). */
  consumedCapacity(): ConsumedCapacityTotals {
    return this.capacity.totals();
  }

  async getMany(
    targetIds: readonly string[],
    options: { readonly consistent?: boolean } = {},
  ): Promise<Map<string, StoredScrapeState>> {
    const consistent = options.consistent ?? true;
    const out = new Map<string, StoredScrapeState>();
    let pending = [...new Set(targetIds)];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= READ_ATTEMPTS) {
        throw new ScrapeStateStoreError(
          SCRAPE_STATE_STORE_ERROR_CODES.chunkMissing,
          `chunks of ${pending.length} targets kept changing under the reader`,
        );
      }
      const heads = await this.wrap('read heads', () =>
        batchGetAll(
          this.client,
          this.tableName,
          pending.map((id) => ({ pk: { S: id }, sk: { S: HEAD_SK } })),
          // A retry after a missing chunk reads the head strongly: it moved on.
          consistent || attempt > 0,
          this.capacity,
        ),
      );
      const chunked: [string, StateHead][] = [];
      for (const item of heads) {
        const id = item.pk!.S!;
        const head = decodeStateHead(id, item);
        if (head.inline !== undefined) out.set(id, this.stored(id, head, head.inline));
        else chunked.push([id, head]);
      }
      const chunkKeys: Item[] = [];
      for (const [id, head] of chunked) {
        for (let i = 0; i < head.chunks; i++) {
          chunkKeys.push({ pk: { S: id }, sk: { S: chunkSk(head.generation!, i) } });
        }
      }
      const chunks = new Map<string, Uint8Array>();
      if (chunkKeys.length > 0) {
        const items = await this.wrap('read chunks', () =>
          batchGetAll(this.client, this.tableName, chunkKeys, true, this.capacity),
        );
        for (const item of items) {
          const b = item.b?.B;
          if (b === undefined) throw corrupt(item.pk!.S!, `chunk ${shown(item.sk?.S)} lacks data`);
          chunks.set(`${item.pk!.S}\n${item.sk!.S}`, b);
        }
      }
      const retry: string[] = [];
      for (const [id, head] of chunked) {
        const parts: Uint8Array[] = [];
        let bytes = 0;
        for (let i = 0; i < head.chunks; i++) {
          const part = chunks.get(`${id}\n${chunkSk(head.generation!, i)}`);
          if (part === undefined) break;
          parts.push(part);
          bytes += part.length;
        }
        if (parts.length < head.chunks) retry.push(id);
        else if (bytes !== head.baseBytes) {
          // Checked before the copy: the chunks are a base of the size the head states.
          throw corrupt(id, `chunks hold ${bytes} bytes, the head says ${head.baseBytes}`);
        } else out.set(id, this.stored(id, head, Buffer.concat(parts)));
      }
      pending = retry;
    }
    return out;
  }

  async put(
    targetId: string,
    state: ScrapeState,
    expected: StoredScrapeState | undefined,
  ): Promise<StateWriteResult> {
    // A digest carried from an identical previous set spares the sort and the hash.
    if (expected !== undefined && state.knownToHaveDigest(expected.digest)) {
      return this.unchanged(state, expected);
    }
    const series = state.series;
    const canonical = canonicalSeriesSet(series);
    state.seriesDigest = canonical.digest;
    if (expected !== undefined && expected.digest === canonical.digest) {
      return this.unchanged(state, expected);
    }
    const version = (expected?.version ?? 0) + 1;
    const head: Item = {
      pk: { S: targetId },
      sk: { S: HEAD_SK },
      f: { N: String(STATE_FORMAT) },
      v: { N: String(version) },
      d: { S: canonical.digest },
      n: { N: String(series.size) },
    };
    if (state.lastScrapeTimeMs !== undefined) head.t = { N: String(state.lastScrapeTimeMs) };

    // 1. A delta against the expected version's base, if we know that base and it stays small.
    const base = expected === undefined ? undefined : this.baseOf(expected);
    if (base !== undefined) {
      const added = new Set<string>();
      const removed = new Set<string>();
      const current = expected!.state.series;
      // base = (current − base.added) ∪ base.removed
      for (const k of series) {
        const inBase = (current.has(k) && !base.added.has(k)) || base.removed.has(k);
        if (!inBase) added.add(k);
      }
      for (const k of current) if (!base.added.has(k) && !series.has(k)) removed.add(k);
      for (const k of base.removed) if (!series.has(k)) removed.add(k);
      const delta = added.size + removed.size === 0 ? undefined : encodeDelta(added, removed);
      // A delta too large to store (undefined from encodeDelta) means a whole write.
      const deltaBytes =
        delta === undefined ? (added.size + removed.size === 0 ? 0 : Infinity) : delta.length;
      if (deltaBytes <= Math.min(base.baseBytes * this.compactRatio, this.chunkBytes / 2)) {
        head.g = { S: base.generation };
        head.c = { N: String(base.chunks) };
        head.z = { N: String(base.baseBytes) };
        if (delta !== undefined) head.a = { B: delta };
        const res = await this.commit(targetId, head, expected, base.generation, []);
        if (res.written) {
          this.infoByState.set(state, { ...base, version, added, removed });
        }
        return res;
      }
    }

    // 2. The whole set: inline in the head, or as a new base in chunks of a new generation.
    const data = compress(canonical.raw);
    if (data.length <= this.inlineBytes) {
      head.b = { B: data };
      return this.commit(targetId, head, expected, undefined, []);
    }
    // What a reader accepts (decodeStateHead): refused here, the previous state stays.
    const needed = Math.ceil(data.length / this.chunkBytes);
    if (data.length > MAX_SERIES_SET_BYTES || needed > MAX_STATE_CHUNKS) {
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.tooLarge,
        `state of target ${targetId} not stored: ${data.length} compressed bytes need ${needed} chunks of ${this.chunkBytes}, more than the limits of ${MAX_SERIES_SET_BYTES} bytes (MAX_SERIES_SET_BYTES) and ${MAX_STATE_CHUNKS} chunks (MAX_STATE_CHUNKS)`,
      );
    }
    const generation = randomBytes(8).toString('hex');
    const puts: WriteRequest[] = [];
    const ownChunks: WriteRequest[] = [];
    for (let i = 0, off = 0; off < data.length; i++, off += this.chunkBytes) {
      const sk = chunkSk(generation, i);
      puts.push({
        PutRequest: {
          Item: {
            pk: { S: targetId },
            sk: { S: sk },
            b: { B: data.subarray(off, off + this.chunkBytes) },
          },
        },
      });
      ownChunks.push({ DeleteRequest: { Key: { pk: { S: targetId }, sk: { S: sk } } } });
    }
    head.g = { S: generation };
    head.c = { N: String(puts.length) };
    head.z = { N: String(data.length) };
    try {
      await this.wrap('write chunks', () =>
        batchWriteAll(this.client, this.tableName, puts, this.capacity),
      );
    } catch (err) {
      await this.cleanup(ownChunks);
      throw err;
    }
    const res = await this.commit(targetId, head, expected, undefined, ownChunks);
    if (res.written) {
      this.infoByState.set(state, {
        version,
        generation,
        chunks: puts.length,
        baseBytes: data.length,
        added: NO_KEYS,
        removed: NO_KEYS,
      });
    }
    return res;
  }

  /**
   * The commit point: puts the head if the stored version is still `expected`'s (and, for a
   * delta, its base generation is still `sameGeneration`). On conflict deletes `ownChunks`; on
   * success deletes the chunks of a replaced generation. Both best effort.
   */
  private async commit(
    targetId: string,
    head: Item,
    expected: StoredScrapeState | undefined,
    sameGeneration: string | undefined,
    ownChunks: WriteRequest[],
  ): Promise<StateWriteResult> {
    let old: Item | undefined;
    try {
      const res = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: head,
          ReturnValues: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression:
                  sameGeneration === undefined ? '#v = :v' : '#v = :v AND #g = :g',
                ExpressionAttributeNames:
                  sameGeneration === undefined ? { '#v': 'v' } : { '#v': 'v', '#g': 'g' },
                ExpressionAttributeValues: {
                  ':v': { N: String(expected.version) },
                  ...(sameGeneration === undefined ? {} : { ':g': { S: sameGeneration } }),
                },
              }),
        }),
      );
      this.capacity.add(res.ConsumedCapacity, 'write');
      old = res.Attributes;
    } catch (err) {
      await this.cleanup(ownChunks);
      if (isConditionFailed(err)) return { written: false, reason: 'conflict' };
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.request,
        `writing the state head of target ${targetId} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const oldGen = old?.g?.S;
    const oldChunks = Number(old?.c?.N ?? 0);
    if (oldGen !== undefined && oldGen !== head.g?.S && oldChunks > 0) {
      const deletes: WriteRequest[] = [];
      for (let i = 0; i < oldChunks; i++) {
        deletes.push({
          DeleteRequest: { Key: { pk: { S: targetId }, sk: { S: chunkSk(oldGen, i) } } },
        });
      }
      await this.cleanup(deletes);
    }
    return { written: true, version: Number(head.v!.N), digest: head.d!.S! };
  }

  /** `state` has `expected`'s set: nothing to write; its base (if known) is `state`'s too. */
  private unchanged(state: ScrapeState, expected: StoredScrapeState): StateWriteResult {
    const base = this.baseOf(expected);
    if (base !== undefined) this.infoByState.set(state, base);
    return { written: false, reason: 'unchanged' };
  }

  private baseOf(expected: StoredScrapeState): BaseInfo | undefined {
    const info = this.infoByStored.get(expected) ?? this.infoByState.get(expected.state);
    return info !== undefined && info.version === expected.version ? info : undefined;
  }

  /**
   * Deletes the head first (readers then see no state), then every other item of the target,
   * found by Query, including chunks orphaned by an interrupted cleanup.
   */
  async remove(targetId: string): Promise<void> {
    const deleted = await this.wrap('delete head', () =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: targetId }, sk: { S: HEAD_SK } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.capacity.add(deleted.ConsumedCapacity, 'write');
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.wrap('list chunks', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: targetId } },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: start,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      this.capacity.add(res.ConsumedCapacity, 'read');
      const deletes: WriteRequest[] = (res.Items ?? []).map((item) => ({
        DeleteRequest: { Key: { pk: item.pk!, sk: item.sk! } },
      }));
      await this.wrap('delete chunks', () =>
        batchWriteAll(this.client, this.tableName, deletes, this.capacity),
      );
      start = res.LastEvaluatedKey;
    } while (start !== undefined);
  }

  private stored(targetId: string, head: StateHead, data: Uint8Array): StoredScrapeState {
    const { series, added, removed } = decodeStoredSeries(targetId, head, data);
    const stored: StoredScrapeState = {
      state: new ScrapeState(head.lastScrapeTimeMs, series, undefined, head.digest),
      version: head.version,
      digest: head.digest,
    };
    if (head.generation !== undefined) {
      this.infoByStored.set(stored, {
        version: head.version,
        generation: head.generation,
        chunks: head.chunks,
        baseBytes: head.baseBytes,
        added,
        removed,
      });
    }
    return stored;
  }

  private async cleanup(deletes: WriteRequest[]): Promise<void> {
    if (deletes.length === 0) return;
    try {
      await batchWriteAll(this.client, this.tableName, deletes, this.capacity);
    } catch (err) {
      this.onCleanupError(err);
    }
  }

  private async wrap<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      if (cause instanceof ScrapeStateStoreError) throw cause;
      throw new ScrapeStateStoreError(
        SCRAPE_STATE_STORE_ERROR_CODES.request,
        `${what} in ${this.tableName} failed: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}
