/**
 * The string table of remote write 2.0 (§11.4): every label name and value, help text and unit
 * of a request is sent once, in `Request.symbols`, and referred to by its index there. Index 0
 * is always the empty string.
 *
 * Two levels, so that the hot path does no string hashing:
 * - an *id* per distinct string, kept by the writer across requests (`intern`: one Map lookup,
 *   done once per series when its labels are first seen, then cached with the series);
 * - a *ref* per id and request (`ref`: two typed-array reads), handed out in first-use order
 *   while a request is being sized, so the symbols of a request are exactly the strings it uses.
 *
 * Ids live as long as the table does. A writer whose series churn (pod names, …) would make the
 * table grow without end; {@link SymbolTable.shouldReset} tells when most ids have not been used
 * for a while, and `reset` then drops them all and bumps `epoch`: ids cached with an older epoch
 * must be computed again (the writer checks the epoch on every cached series).
 */

import { utf8Length, writeUtf8 } from './protobuf.js';

/** Ids held before the first look at how many are still in use. */
const FIRST_CHECK = 1 << 16;

export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private strings: string[] = [''];
  /** UTF-8 byte length of each id's string. */
  private lengths = new Int32Array(1024);
  /**
   * Each id's UTF-8 bytes, encoded once when interned, at `offsets[id]` of one growing arena:
   * a request copies bytes instead of encoding its strings again (label values are often
   * slices of the scraped body, slow to read character by character).
   */
  private arena = new Uint8Array(64 * 1024);
  private arenaUsed = 0;
  private offsets = new Int32Array(1024);
  /** The request generation that last used each id (0: none yet). */
  private stamps = new Uint32Array(1024);
  /** Each id's ref in the request of generation `stamps[id]`. */
  private refs = new Uint32Array(1024);
  /** Ids of the current request in ref order (order[0] = 0, the empty string). */
  private order = new Uint32Array(1024);
  private used = 0;
  private gen = 0;
  /** Generation at the last size check: ids stamped after it count as in use. */
  private windowStart = 0;
  private checkAt = FIRST_CHECK;
  /** Bumped by `reset`; ids from another epoch are meaningless. */
  epoch = 0;

  /** Distinct strings held. */
  get size(): number {
    return this.strings.length;
  }

  /** The id of `s`, assigned on first sight. The empty string is id 0. */
  intern(s: string): number {
    if (s === '') return 0;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
      if (id >= this.lengths.length) this.grow(id + 1);
      const n = utf8Length(s);
      if (this.arenaUsed + n > this.arena.length) {
        let cap = this.arena.length * 2;
        while (cap < this.arenaUsed + n) cap *= 2;
        const arena = new Uint8Array(cap);
        arena.set(this.arena.subarray(0, this.arenaUsed));
        this.arena = arena;
      }
      this.offsets[id] = this.arenaUsed;
      this.arenaUsed = writeUtf8(this.arena, this.arenaUsed, s, n);
      this.lengths[id] = n;
      this.stamps[id] = 0;
    }
    return id;
  }

  /** The string of an id of the current epoch. */
  text(id: number): string {
    return this.strings[id]!;
  }

  /** Starts a request: refs are handed out from 1 on; ref 0 is the empty string. */
  begin(): void {
    this.gen++;
    if (this.gen === 0xffffffff) {
      // A stamp must never equal an old generation by wrapping: start the stamps afresh.
      this.stamps.fill(0);
      this.gen = 1;
      this.windowStart = 0;
    }
    this.stamps[0] = this.gen;
    this.refs[0] = 0;
    this.order[0] = 0;
    this.used = 1;
  }

  /** The ref of `id` in the current request, giving it the next one on first use. */
  ref(id: number): number {
    if (this.stamps[id] === this.gen) return this.refs[id]!;
    const ref = this.used++;
    if (ref >= this.order.length) {
      const order = new Uint32Array(this.order.length * 2);
      order.set(this.order);
      this.order = order;
    }
    this.stamps[id] = this.gen;
    this.refs[id] = ref;
    this.order[ref] = id;
    return ref;
  }

  /**
   * The refs of `ids[from…]` written to `out[at…]` (`out` has the room), handed out as `ref`
   * does; returns the bytes they take as packed varints. One call per series: the hot loop.
   */
  refsInto(ids: Uint32Array, from: number, out: Uint32Array, at: number): number {
    const stamps = this.stamps;
    const refs = this.refs;
    const gen = this.gen;
    let bytes = 0;
    for (let i = from; i < ids.length; i++) {
      const id = ids[i]!;
      let ref: number;
      if (stamps[id] === gen) {
        ref = refs[id]!;
      } else {
        ref = this.ref(id);
      }
      out[at++] = ref;
      bytes += ref < 0x80 ? 1 : ref < 0x4000 ? 2 : ref < 0x200000 ? 3 : ref < 0x10000000 ? 4 : 5;
    }
    return bytes;
  }

  /**
   * Starts a request whose symbols are `ids` (in ref order), as a copied template has them:
   * they count as used, as if handed out by `ref`.
   */
  markUsed(ids: Uint32Array): void {
    this.begin();
    if (this.order.length < ids.length) this.order = new Uint32Array(ids.length * 2);
    const { stamps, refs, order } = this;
    const gen = this.gen;
    for (let ref = 0; ref < ids.length; ref++) {
      const id = ids[ref]!;
      stamps[id] = gen;
      refs[id] = ref;
      order[ref] = id;
    }
    this.used = ids.length;
  }

  /** Symbols in the current request so far. */
  get count(): number {
    return this.used;
  }

  /** The id at `ref` of the current request. */
  idAt(ref: number): number {
    return this.order[ref]!;
  }

  /** UTF-8 byte length of an id's string. */
  byteLength(id: number): number {
    return this.lengths[id]!;
  }

  /** Writes an id's UTF-8 bytes at `pos` of `buf` (sized by the caller); returns the new position. */
  writeBytes(buf: Uint8Array, pos: number, id: number): number {
    const arena = this.arena;
    const from = this.offsets[id]!;
    const n = this.lengths[id]!;
    if (n > 64) {
      buf.set(arena.subarray(from, from + n), pos);
      return pos + n;
    }
    for (let i = 0; i < n; i++) buf[pos + i] = arena[from + i]!;
    return pos + n;
  }

  /**
   * True when the table has grown past its next check and fewer than half of its ids were used
   * since the previous check: the caller should `reset` (between requests). Costs a scan of the
   * stamps at each check only; checks come at doubling sizes while most ids are in use.
   */
  shouldReset(): boolean {
    const n = this.strings.length;
    if (n < this.checkAt) return false;
    let inUse = 0;
    const stamps = this.stamps;
    const since = this.windowStart;
    for (let id = 1; id < n; id++) if (stamps[id]! > since) inUse++;
    this.windowStart = this.gen;
    if (inUse * 2 < n) return true;
    this.checkAt = n * 2;
    return false;
  }

  /** Forgets every id (between requests) and starts a new epoch. */
  reset(): void {
    this.ids.clear();
    this.strings = [''];
    this.arenaUsed = 0;
    this.stamps.fill(0);
    this.epoch++;
  }

  private grow(min: number): void {
    let cap = this.lengths.length * 2;
    while (cap < min) cap *= 2;
    const lengths = new Int32Array(cap);
    lengths.set(this.lengths);
    const stamps = new Uint32Array(cap);
    stamps.set(this.stamps);
    const refs = new Uint32Array(cap);
    refs.set(this.refs);
    const offsets = new Int32Array(cap);
    offsets.set(this.offsets);
    this.offsets = offsets;
    this.lengths = lengths;
    this.stamps = stamps;
    this.refs = refs;
  }
}
