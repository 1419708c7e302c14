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

import { utf8Length } from './protobuf.js';

/** Ids held before the first look at how many are still in use. */
const FIRST_CHECK = 1 << 16;

export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private strings: string[] = [''];
  /** UTF-8 byte length of each id's string. */
  private lengths = new Int32Array(1024);
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
      this.lengths[id] = utf8Length(s);
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
    this.lengths = lengths;
    this.stamps = stamps;
    this.refs = refs;
  }
}
