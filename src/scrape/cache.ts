import type { MetricType } from '../exposition/types.js';
import { compactSeriesEntry, type Exemplar, type SeriesEntry } from './batch.js';

/** A cached outcome for one series text: the final series, or `null` when relabeling dropped it. */
interface CacheSlot {
  readonly text: string;
  entry: SeriesEntry | null;
  /** The scrape iteration that last saw this text. */
  iter: number;
}

export interface FamilyMetadata {
  type: MetricType;
  help: string;
  unit: string;
  iter: number;
}

/** Placeholder position for a text that had no slot when it was looked up. */
const NO_SLOT: CacheSlot = { text: '\u0000<none>', entry: null, iter: -1 };

/** Metadata entries outlive their family by this many scrapes (§5.4). */
const METADATA_KEEP_SCRAPES = 10;

/**
 * The per-target scrape cache of §6.4: series text as scraped → its result after honor_labels
 * and metric_relabel_configs. A warm process reuses it across scrapes; losing it only costs
 * time. It is valid for one (target labels, job config) pair: build a new one when either
 * changes.
 *
 * Size bound: after a good scrape, texts not seen in it are evicted, so it holds at most one
 * scrape's distinct texts; after failures it is flushed once it exceeds 2×(last good size)+1000.
 */
export class ScrapeCache {
  private readonly slots = new Map<string, CacheSlot>();
  /**
   * The slots in the order the last scrape met them, and the order being recorded now.
   * Exporters write their series in the same order every time, so the slot at the same
   * position is almost always the one: comparing two strings is much cheaper than hashing
   * the text for a map lookup.
   */
  private lastOrder: CacheSlot[] = [];
  private order: CacheSlot[] = [];
  /**
   * Slots recorded in `order` so far this scrape. The two arrays are reused (swapped) from
   * scrape to scrape: a new one grown by push every scrape was ≈ 5 MB of garbage per 100,000
   * series (bench/profile-run.mjs --heap). `order` may hold stale slots past this count.
   */
  private orderLen = 0;
  readonly metadata = new Map<string, FamilyMetadata>();
  /**
   * The last exemplar added for a series (by its entry), so an exemplar the target repeats
   * scrape after scrape is sent once, as Prometheus's storage keeps one per series.
   */
  readonly lastExemplars = new WeakMap<SeriesEntry, Exemplar>();
  private iter = 0;
  private lastGoodSize = 0;
  /** Entries added since the last {@link compactNew}: they still hold their label arrays. */
  private fresh: SeriesEntry[] = [];

  get size(): number {
    return this.slots.size;
  }

  /** Starts a scrape; returns its iteration number. Compacts the last scrape's new entries. */
  beginScrape(): number {
    this.compactNew();
    this.orderLen = 0;
    return ++this.iter;
  }

  /**
   * Drops the label arrays of the entries added since the last call, keeping their keys
   * (`compactSeriesEntry`), now or — with `consumed` — once it settles (pass the promise of the
   * scrape's delivery: its consumers read the labels of new series once, to encode them). A
   * consumer that reads `labels` later still gets them, rebuilt from the key.
   */
  compactNew(consumed?: Promise<unknown>): void {
    const fresh = this.fresh;
    if (fresh.length === 0) return;
    this.fresh = [];
    const compact = () => {
      for (const entry of fresh) compactSeriesEntry(entry);
    };
    if (consumed === undefined) compact();
    else consumed.then(compact, compact);
  }

  /** Number of series texts the last scrape met (a size hint for the next one). */
  get lastScrapeTexts(): number {
    return this.lastOrder.length;
  }

  /** The cached slot for a text; undefined if unknown. Call once per sample, in body order. */
  lookup(text: string): CacheSlot | undefined {
    const at = this.orderLen++;
    const guess = this.lastOrder[at];
    const slot =
      guess !== undefined && guess !== NO_SLOT && guess.text === text
        ? guess
        : this.slots.get(text);
    // Unknown texts take a position too, so later series keep their alignment.
    this.order[at] = slot ?? NO_SLOT;
    return slot;
  }

  /** True when this text was already seen in the current iteration (a duplicate, §6.1 5). */
  seenThisScrape(slot: CacheSlot): boolean {
    return slot.iter === this.iter;
  }

  markSeen(slot: CacheSlot): void {
    slot.iter = this.iter;
  }

  addSeries(text: string, entry: SeriesEntry): void {
    this.add({ text: this.keepable(text), entry, iter: this.iter });
    this.fresh.push(entry);
  }

  addDropped(text: string): void {
    this.add({ text: this.keepable(text), entry: null, iter: this.iter });
  }

  /**
   * The text to keep for a new series. A parser's series text is a slice of the window it read
   * (64 KiB of the body, or all of it), and keeps that window alive. On a target's first good
   * scrape nearly every text is new, so the windows are what the texts need anyway — kept as
   * they are, in body order, which the next scrape's positional comparisons read faster than
   * copies scattered over the heap (≈ 10 % of a warm scrape, `npm run bench`). Later, new series
   * are few: a slice would keep a whole window alive for one series, so they are copied.
   */
  private keepable(text: string): string {
    return this.lastGoodSize === 0 ? text : flatCopy(text);
  }

  private add(slot: CacheSlot): void {
    this.slots.set(slot.text, slot);
    // The text was looked up just before (and took NO_SLOT at the last position).
    const last = this.orderLen - 1;
    if (last >= 0 && this.order[last] === NO_SLOT) this.order[last] = slot;
  }

  setMetadata(family: string, update: Partial<Omit<FamilyMetadata, 'iter'>>): void {
    const m = this.metadata.get(family);
    if (m === undefined) {
      this.metadata.set(family, {
        type: 'unknown',
        help: '',
        unit: '',
        ...update,
        iter: this.iter,
      });
    } else {
      Object.assign(m, update);
      m.iter = this.iter;
    }
  }

  /** Ends a scrape (§6.4): evict unseen texts after a good non-empty scrape. */
  endScrape(success: boolean, empty: boolean): void {
    if (success) {
      // The order just recorded becomes the guide (exactly its length: a shorter scrape must
      // not leave stale slots to guess from); the old guide is written over next time.
      const order = this.order;
      if (order.length > this.orderLen) order.length = this.orderLen;
      this.order = this.lastOrder;
      this.lastOrder = order;
    }
    this.orderLen = 0;
    if (success && !empty) {
      // forEach, not for-of over entries: that allocated a [text, slot] pair per series every
      // scrape (≈ 7 MB per 100,000 series, bench/profile-run.mjs --heap). Deleting the entry
      // being visited is allowed.
      const iter = this.iter;
      const slots = this.slots;
      slots.forEach((slot, text) => {
        if (slot.iter !== iter) slots.delete(text);
      });
      this.lastGoodSize = slots.size;
    } else if (this.slots.size > 2 * this.lastGoodSize + 1000) {
      this.slots.clear();
    }
    for (const [family, m] of this.metadata) {
      if (this.iter - m.iter > METADATA_KEEP_SCRAPES) this.metadata.delete(family);
    }
  }
}

/** The text as a string of its own: slicing a concatenation makes V8 copy it (≈ 75 ns). */
function flatCopy(text: string): string {
  return ` ${text}`.slice(1);
}
