/**
 * What a warm container keeps per target between invocations (DESIGN.md decision 8, §6.4):
 * the scrape cache and report entries (`TargetScrapeCache`) and the state this container last
 * wrote or confirmed, so the next scrape diffs against live cache entries instead of keys read
 * back from DynamoDB. All of it is safe to lose: a cold container rebuilds it.
 *
 * Contracts:
 * - Bounded: at most `maxTargets` entries; using an entry makes it the most recent, and adding
 *   one past the bound evicts the least recently used (Map insertion order).
 * - Keyed by target id: the id covers the target's labels and URL (§2.6), so an entry never
 *   serves a target whose public labels differ. The job config is fixed for the life of a
 *   worker (one config per container), so entries never need rebuilding for a config change.
 * - `known` is trusted only while the store still holds that exact version and digest (checked
 *   by the caller against what `getMany` returned).
 */
import { TargetScrapeCache } from '../scrape/scrape.js';
import type { ScrapeState } from '../scrape/state.js';
import type { Target } from '../targets/types.js';

/** The state this container knows to be stored for a target, as live objects. */
export interface KnownState {
  readonly state: ScrapeState;
  readonly version: number;
  readonly digest: string;
}

export interface TargetMemory {
  readonly cache: TargetScrapeCache;
  known: KnownState | undefined;
}

export const DEFAULT_MAX_CACHED_TARGETS = 10_000;

export class TargetMemoryCache {
  private readonly entries = new Map<string, TargetMemory>();

  constructor(readonly maxTargets: number = DEFAULT_MAX_CACHED_TARGETS) {
    if (!(Number.isSafeInteger(maxTargets) && maxTargets >= 1)) {
      throw new RangeError(`maxTargets must be a positive integer, got ${maxTargets}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The target's memory, created when missing; marks it most recently used. */
  get(target: Target, extraScrapeMetrics: boolean): TargetMemory {
    let entry = this.entries.get(target.id);
    if (entry !== undefined) {
      this.entries.delete(target.id);
    } else {
      entry = { cache: new TargetScrapeCache(target, extraScrapeMetrics), known: undefined };
      while (this.entries.size >= this.maxTargets) {
        const oldest = this.entries.keys().next();
        if (oldest.done === true) break;
        this.entries.delete(oldest.value);
      }
    }
    this.entries.set(target.id, entry);
    return entry;
  }

  delete(targetId: string): void {
    this.entries.delete(targetId);
  }
}
