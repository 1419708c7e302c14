import type { Labels } from '../model/labels.js';

/**
 * One scrape target after target relabeling (§2). This is the flat description every later
 * stage works from (scheduler, scraper, state store).
 */
export interface Target {
  readonly job: string;
  /** Internal labels after relabeling, `__meta_*` removed, sorted (§2.2, §2.3). */
  readonly labels: Labels;
  /** Labels not starting with `__`: attached to every scraped and report series (§2.3). */
  readonly publicLabels: Labels;
  /** Labels before relabeling, for display (§2.1). */
  readonly discoveredLabels: Labels;
  /** Full scrape URL (§2.5). */
  readonly url: string;
  /** Per-target interval and timeout in ms, from `__scrape_interval__`/`__scrape_timeout__`. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /**
   * Identity: FNV-1a 64 over `%016d`(labels hash) + URL, as 16 lowercase hex digits (§2.6).
   * Equal for equal targets across processes and invocations.
   */
  readonly id: string;
  /**
   * Fixed phase within the interval: `(hash XOR offsetSeed) mod interval`, computed in ns as
   * Prometheus does and kept as whole ms (floor), in `[0, intervalMs)` (§9, see offset.ts).
   */
  readonly offsetMs: number;
}

export interface DroppedTarget {
  readonly job: string;
  readonly discoveredLabels: Labels;
}
