/**
 * Which staleness state a target continues when the target set changes (§8.2, §8.3): the one
 * rule both drivers follow, here and nowhere else.
 *
 * A target's state (the series of its last scrape) belongs to its *series stream*: its job and
 * its public labels, the labels every one of its series carries (§2.3). It does not belong to
 * the target's identity (§2.6), which also covers the URL and internal labels such as
 * `__scrape_interval__`. So a target whose identity changes while its public labels stay (a new
 * scrape_interval, scheme or metrics path) continues the same stream:
 * - its first scrape compares against the series the old identity scraped last, so what it no
 *   longer exposes is staled at that scrape's slot, later than anything already sent;
 * - the old identity gets no end-of-run markers: they would be stamped before the new
 *   identity's samples of the same series, and a receiver rejects such out-of-order samples.
 * Prometheus behaves alike on a reload: the new scrape loop inherits the old loop's cache, and
 * the old loop writes no end-of-run markers.
 *
 * A removed target whose stream no active target continues is *retired*: its end-of-run
 * markers are stamped at its next slot and written a little over one interval later (§8.3),
 * unless its stream becomes active again before then.
 */

import { fnv1a64 } from '../model/hash.js';
import { labelsKey } from '../model/labels.js';
import { nextScrapeTime } from '../targets/offset.js';
import type { Target } from '../targets/types.js';

/**
 * The key of a target's series stream: 16 lowercase hex digits of FNV-1a 64 over the job name
 * and the public labels. Stable across processes; the key under which drivers keep and store
 * the state.
 */
export function seriesStreamKey(target: Pick<Target, 'job' | 'publicLabels'>): string {
  return fnv1a64(`${target.job}\xff${labelsKey(target.publicLabels)}`)
    .toString(16)
    .padStart(16, '0');
}

/** How a new target list relates to the previous one, by identity and by series stream. */
export interface TargetChanges<T extends Target> {
  /** Targets whose identity was not in the previous list. */
  readonly added: readonly Target[];
  /** Targets present in both, as before and after (fields other than the id may differ). */
  readonly kept: readonly { readonly before: T; readonly after: Target }[];
  /** Previous targets whose identity is gone. */
  readonly removed: readonly T[];
  /** The removed targets whose series stream no target of the new list continues. */
  readonly retired: readonly T[];
  /** Series streams of the new list. */
  readonly activeStreams: ReadonlySet<string>;
}

/** Compares two target lists (ids unique within each); see the module comment for the rule. */
export function reconcileTargets<T extends Target>(
  previous: Iterable<T>,
  next: Iterable<Target>,
): TargetChanges<T> {
  const before = new Map<string, T>();
  for (const t of previous) before.set(t.id, t);
  const added: Target[] = [];
  const kept: { before: T; after: Target }[] = [];
  const activeStreams = new Set<string>();
  const seen = new Set<string>();
  for (const t of next) {
    seen.add(t.id);
    activeStreams.add(seriesStreamKey(t));
    const old = before.get(t.id);
    if (old === undefined) added.push(t);
    else kept.push({ before: old, after: t });
  }
  const removed: T[] = [];
  const retired: T[] = [];
  for (const t of before.values()) {
    if (seen.has(t.id)) continue;
    removed.push(t);
    if (!activeStreams.has(seriesStreamKey(t))) retired.push(t);
  }
  return { added, kept, removed, retired, activeStreams };
}

/** When a retired target's end-of-run markers are stamped and written (§8.3). */
export interface EndOfRunTimes {
  /** The target's first slot at or after `lastSlotBeforeMs`: the markers' timestamp. */
  readonly staleTimeMs: number;
  /**
   * One interval and a tenth after `staleTimeMs`: by then a target that came back (or a
   * successor of its stream) has scraped, and the markers are not written.
   */
  readonly writeAtMs: number;
}

/**
 * @param noSlotFromMs the earliest time at which the target has no slot scheduled any more: now
 *   (+1 ms) for a driver that cancels its timers at once, the end of the planned window for one
 *   whose slots are queued ahead.
 */
export function endOfRunTimes(
  target: Pick<Target, 'intervalMs' | 'offsetMs'>,
  noSlotFromMs: number,
): EndOfRunTimes {
  const staleTimeMs = nextScrapeTime(target, noSlotFromMs);
  return {
    staleTimeMs,
    writeAtMs: staleTimeMs + target.intervalMs + Math.floor(target.intervalMs / 10),
  };
}
