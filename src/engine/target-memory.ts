/**
 * What a driver keeps in memory per target between scrapes (§6.4, §8.2):
 * - {@link TargetCaches}: per target identity, the scrape cache and report entries
 *   (`TargetScrapeCache`). Safe to lose: a cold Lambda container, or an evicted entry, rebuilds
 *   it at the cost of one uncached scrape.
 * - {@link StreamStates}: per series stream (`seriesStreamKey`), the state of the stream's last
 *   scrape as live objects, so the next scrape diffs against live cache entries. For the local
 *   runner this is the state itself; a Lambda container trusts it only while the state store
 *   still holds the version it records.
 *
 * Both are bounded LRU maps (Map insertion order; using an entry makes it the most recent).
 */
import type { ScrapeConfig } from '../config/types.js';
import type { StoredScrapeState } from '../ports.js';
import { TargetScrapeCache } from '../scrape/scrape.js';
import { EMPTY_SCRAPE_STATE, type ScrapeState } from '../scrape/state.js';
import type { Target } from '../targets/types.js';

export const DEFAULT_MAX_CACHED_TARGETS = 10_000;

/** A Map with a size bound that evicts the least recently used entry. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(readonly max: number) {
    if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max >= 1))) {
      throw new RangeError(`the bound must be a positive integer or Infinity, got ${max}`);
    }
  }
  get size(): number {
    return this.entries.size;
  }
  get(key: string): V | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, v);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

interface CacheEntry {
  /** The job config the cache was built for: another config means another cache. */
  readonly config: ScrapeConfig;
  readonly cache: TargetScrapeCache;
}

/**
 * Scrape caches by target id. The id covers the target's labels and URL (§2.6), so an entry
 * never serves a target whose labels differ; an entry built for another config of the job (a
 * reload) is replaced, as Prometheus would not reuse a cache across most config changes.
 */
export class TargetCaches {
  private readonly lru: Lru<CacheEntry>;
  constructor(maxTargets: number = DEFAULT_MAX_CACHED_TARGETS) {
    this.lru = new Lru(maxTargets);
  }
  get size(): number {
    return this.lru.size;
  }
  /** The cache for `target` scraped with `config`, created when missing or stale. */
  get(target: Target, config: ScrapeConfig): TargetScrapeCache {
    const entry = this.lru.get(target.id);
    if (entry !== undefined && entry.config === config) return entry.cache;
    const cache = new TargetScrapeCache(target, config.extraScrapeMetrics);
    this.lru.set(target.id, { config, cache });
    return cache;
  }
  delete(targetId: string): void {
    this.lru.delete(targetId);
  }
}

/** The state of a stream's last scrape as this process knows it. */
export interface KnownState {
  readonly state: ScrapeState;
  /** The stored version and digest it matches; absent when nothing stores states (`run`). */
  readonly stored?: { readonly version: number; readonly digest: string };
  /** The target identity and slot of the scrape that made it (Lambda: see `warmState`). */
  readonly scrapedAs?: { readonly targetId: string; readonly slotMs: number };
}

/** States by series stream key. */
export class StreamStates {
  private readonly lru: Lru<KnownState>;
  /** @param maxStreams Infinity where this map is the only copy of the states (`run`). */
  constructor(maxStreams: number = DEFAULT_MAX_CACHED_TARGETS) {
    this.lru = new Lru(maxStreams);
  }
  get size(): number {
    return this.lru.size;
  }
  get(key: string): KnownState | undefined {
    return this.lru.get(key);
  }
  set(key: string, known: KnownState): void {
    this.lru.set(key, known);
  }
  delete(key: string): void {
    this.lru.delete(key);
  }

  /** The state to diff the next scrape against when this map is the only copy (`run`). */
  current(key: string): ScrapeState {
    return this.lru.get(key)?.state ?? EMPTY_SCRAPE_STATE;
  }

  /**
   * The stored state of `key` as this process knows it, when it scraped the previous slot of
   * `target` itself (same identity, `slotMs − interval`): then only another writer of that slot
   * could have moved the store since, which the caller rules out (`StateChangeLog`).
   */
  warmState(key: string, target: Target, slotMs: number): StoredScrapeState | undefined {
    const known = this.lru.get(key);
    const as = known?.scrapedAs;
    if (known?.stored === undefined || as === undefined) return undefined;
    if (as.targetId !== target.id || as.slotMs !== slotMs - target.intervalMs) return undefined;
    return { state: known.state, version: known.stored.version, digest: known.stored.digest };
  }

  /**
   * The state to diff against when a store holds the states (§8.2): the live state known here
   * when the store still holds exactly that version, else what the store returned (keys
   * only), else none.
   */
  againstStored(key: string, stored: StoredScrapeState | undefined): ScrapeState {
    if (stored === undefined) return EMPTY_SCRAPE_STATE;
    const known = this.lru.get(key)?.stored;
    if (known !== undefined && known.version === stored.version && known.digest === stored.digest) {
      return this.lru.get(key)!.state;
    }
    return stored.state;
  }
}
