/**
 * What the `/targets` page and `/api/v1/targets` show: a read-only snapshot of the runner's
 * targets, per job, taken when the request comes in.
 */
import type { Labels } from '../model/labels.js';

export const TargetHealth = { up: 'up', down: 'down', unknown: 'unknown' } as const;
export type TargetHealth = (typeof TargetHealth)[keyof typeof TargetHealth];

export interface TargetView {
  readonly url: string;
  /** `unknown` until the first scrape completes. */
  readonly health: TargetHealth;
  /** Public labels (§2.3), sorted. */
  readonly labels: Labels;
  /** Labels before relabeling (§2.1). */
  readonly discoveredLabels: Labels;
  /** When the last scrape started (clock time, ms), undefined before the first one. */
  readonly lastScrapeMs: number | undefined;
  readonly lastDurationSeconds: number | undefined;
  /** Why the last scrape failed; undefined when it succeeded or none ran yet. */
  readonly lastError: string | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface JobView {
  readonly name: string;
  readonly targets: readonly TargetView[];
  /** Discovered labels of the dropped targets kept for display (keep_dropped_targets, §2.2). */
  readonly dropped: readonly Labels[];
  /** Every dropped target, including those not kept. */
  readonly droppedCount: number;
  /** Job-level problems: target_limit exceeded, discovery or target errors. */
  readonly problems: readonly string[];
}

/** One relabel rule applied, as the pages show it: values redacted as everywhere else. */
export interface RelabelStepView {
  /** The rule in Prometheus's JSON field names (`relabelRuleJson`). */
  readonly rule: Readonly<Record<string, unknown>>;
  /** Labels after the rule; empty once dropped. */
  readonly output: Labels;
  readonly keep: boolean;
}

/** A label set relabeled by a job's `relabel_configs`, step by step. */
export interface RelabelStepsView {
  readonly scrapePool: string;
  /** The labels before the first rule (redacted). */
  readonly input: Labels;
  readonly steps: readonly RelabelStepView[];
}
