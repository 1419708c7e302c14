import type { Label, Labels } from '../model/labels.js';

const NO_LABELS: Labels = [];

/**
 * The mutable label set relabel rules work on (§3): an immutable sorted `base` plus the changes
 * made so far. It keeps exactly the bookkeeping Prometheus's `labels.Builder` keeps, because the
 * `labelmap` action observes it through the visiting order (see {@link forEach}):
 *
 * - `added`: labels set by rules, in the order they were first set. Setting a label again keeps
 *   its place; deleting it removes it, so setting it after that puts it at the end. (A JS `Map`
 *   has exactly these ordering rules.)
 * - `deleted`: names deleted at some point. Setting a name later does not remove it from here;
 *   `added` is always consulted first.
 *
 * Setting a label to '' deletes it (empty value = absent, §3). Reusable: {@link reset} starts
 * over on a new base without allocating.
 */
export class RelabelBuilder {
  private base: Labels = NO_LABELS;
  private added = new Map<string, string>();
  private deleted = new Set<string>();

  constructor(base: Labels = NO_LABELS) {
    this.base = base;
  }

  /** Starts over with `base` (sorted, no empty values, per `Labels`). */
  reset(base: Labels): this {
    this.base = base;
    // Fresh collections rather than clear(): Map#clear is a call into C++ that allocates a new
    // table anyway, and the builder is reset for every new series a scrape relabels.
    if (this.added.size > 0) this.added = new Map();
    if (this.deleted.size > 0) this.deleted = new Set();
    return this;
  }

  /** The current value of `name`; '' when absent. */
  get(name: string): string {
    const v = this.added.get(name);
    if (v !== undefined) return v;
    if (this.deleted.size > 0 && this.deleted.has(name)) return '';
    return baseValue(this.base, name);
  }

  /** Sets `name` to `value`; an empty value deletes the label. */
  set(name: string, value: string): void {
    if (value === '') this.del(name);
    else this.added.set(name, value);
  }

  del(name: string): void {
    this.added.delete(name);
    this.deleted.add(name);
  }

  /**
   * Visits every current label in Prometheus's `Builder.Range` order: base labels that no rule
   * has set or deleted, in name order, then the labels set by rules in the order they were first
   * set (§3 labelmap). `fn` must not change the builder; collect changes and apply them after.
   */
  forEach(fn: (name: string, value: string) => void): void {
    const changed = this.added.size > 0 || this.deleted.size > 0;
    for (const l of this.base) {
      if (changed && (this.added.has(l.name) || this.deleted.has(l.name))) continue;
      fn(l.name, l.value);
    }
    for (const [name, value] of this.added) fn(name, value);
  }

  /**
   * Deletes every current label whose name satisfies `pred` (labeldrop / labelkeep, §3). Each
   * label is tested once, against its state before this call.
   */
  deleteWhere(pred: (name: string) => boolean): void {
    // Deleting as we go is safe: a deletion only touches the name just visited (the base loop
    // never revisits it, and a Map tolerates deleting the current entry during iteration).
    const added = this.added;
    const deleted = this.deleted;
    const changed = added.size > 0 || deleted.size > 0;
    for (const l of this.base) {
      if (changed && (added.has(l.name) || deleted.has(l.name))) continue;
      if (pred(l.name)) this.del(l.name);
    }
    for (const name of added.keys()) if (pred(name)) this.del(name);
  }

  /**
   * The current labels: sorted by name, no empty values. Returns the base array itself when no
   * rule changed anything; otherwise a new array.
   */
  labels(): Labels {
    const added = this.added;
    const deleted = this.deleted;
    if (added.size === 0 && deleted.size === 0) return this.base;
    // One output array of the right size and nothing else: every new series of a scrape comes
    // through here, and the intermediate arrays were most of what relabeling allocated.
    const extra = extraScratch;
    let e = 0;
    for (const [name, value] of added) {
      // Insertion sort by name: rules set few labels.
      let j = e++;
      while (j > 0 && extra[j - 1]!.name > name) {
        extra[j] = extra[j - 1];
        j--;
      }
      extra[j] = { name, value };
    }
    const base = this.base;
    const out: Label[] = new Array(base.length + e);
    let k = 0;
    let j = 0;
    for (let i = 0; i < base.length; i++) {
      const l = base[i]!;
      if (added.has(l.name) || deleted.has(l.name)) continue;
      while (j < e && extra[j]!.name < l.name) out[k++] = extra[j++]!;
      out[k++] = l;
    }
    while (j < e) out[k++] = extra[j++]!;
    if (k < out.length) out.length = k;
    for (let i = 0; i < e; i++) extra[i] = undefined;
    return out;
  }
}

/** Scratch for {@link RelabelBuilder.labels} (synchronous, not re-entrant). */
const extraScratch: (Label | undefined)[] = [];

/** Value of `name` in a sorted label set, '' when absent. */
function baseValue(base: Labels, name: string): string {
  // Label sets are small; a binary search only pays off on the larger target label sets.
  if (base.length <= 12) {
    for (let i = 0; i < base.length; i++) {
      const l = base[i]!;
      if (l.name === name) return l.value;
    }
    return '';
  }
  let lo = 0;
  let hi = base.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const l = base[mid]!;
    if (l.name === name) return l.value;
    if (l.name < name) lo = mid + 1;
    else hi = mid;
  }
  return '';
}
