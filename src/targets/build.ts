/**
 * From discovered target groups to the targets of one job (§2): discovered labels (§2.1),
 * target relabeling and its post-processing (§2.2), public labels (§2.3), the scrape URL
 * (§2.5), identity, dedup and target_limit (§2.6), and the fixed phase (§9).
 */
import { DurationError, parseDuration } from '../config/duration.js';
import type { ScrapeConfig } from '../config/types.js';
import type { TargetGroup } from '../discovery/types.js';
import { getLabel, isWellFormedUtf16, type Label, type Labels } from '../model/labels.js';
import { applyRelabel, compileRelabelConfigs, type RelabelProgram } from '../relabel/index.js';
import {
  discoveredLabels,
  HISTOGRAM_FLAG_LABELS,
  META_LABEL_PREFIX,
  TargetLabel,
} from './discovered.js';
import { formatTargetId, targetHash } from './identity.js';
import { goQuote, scrapeOffsetMs } from './offset.js';
import type { DroppedTarget, Target } from './types.js';
import { scrapeUrl } from './url.js';

export const TargetErrorCode = {
  noAddress: 'TARGET_NO_ADDRESS',
  invalidAddress: 'TARGET_INVALID_ADDRESS',
  invalidInterval: 'TARGET_INVALID_INTERVAL',
  invalidTimeout: 'TARGET_INVALID_TIMEOUT',
  timeoutAboveInterval: 'TARGET_TIMEOUT_ABOVE_INTERVAL',
  invalidFlag: 'TARGET_INVALID_FLAG',
  invalidLabelValue: 'TARGET_INVALID_LABEL_VALUE',
} as const;
export type TargetErrorCode = (typeof TargetErrorCode)[keyof typeof TargetErrorCode];

/**
 * A target that could be neither scraped nor listed as dropped (§2.2 steps 2–8). Prometheus
 * logs these and counts them in `prometheus_target_sync_failed_total`. The message reads
 * `instance <i> in group <source>: <reason>`; `reason` alone is in {@link TargetError.reason}.
 */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    readonly code: TargetErrorCode,
    readonly reason: string,
    readonly job: string,
    /** Group source and the target's index in that group. */
    readonly source: string,
    readonly index: number,
    /** Labels before relabeling (§2.1). */
    readonly discoveredLabels: Labels,
    options?: { cause?: unknown },
  ) {
    super(`instance ${index} in group ${source}: ${reason}`, options);
  }
}

export interface BuildTargetsOptions {
  /** Per-server seed from `computeOffsetSeed` (§9). */
  readonly offsetSeed: bigint;
}

export interface BuildTargetsResult {
  /** Deduplicated targets in group order, then target order; the first of equal targets wins. */
  readonly active: Target[];
  /** Dropped targets, at most `keepDroppedTargets` of them when that is > 0 (§2.2 step 1). */
  readonly dropped: DroppedTarget[];
  /** Number of dropped targets before the keep_dropped_targets cap. */
  readonly droppedCount: number;
  readonly errors: TargetError[];
  /**
   * Set when `targetLimit > 0` and there are more active targets than that (§2.6): every
   * target's scrape must then fail with this message (no request; `up` = 0). `active` still
   * lists all targets so their series can be staled.
   */
  readonly targetLimitError: string | undefined;
}

/** Outcome of relabeling one target and post-processing it (§2.2). */
type Populated =
  | { readonly kind: 'dropped' }
  | { readonly kind: 'error'; readonly code: TargetErrorCode; readonly reason: string }
  | {
      readonly kind: 'ok';
      readonly labels: Labels;
      readonly intervalMs: number;
      readonly timeoutMs: number;
    };

/** Values Go's `strconv.ParseBool` accepts (§2.2 step 5). */
const GO_BOOLEANS = new Set('1 t T TRUE true True 0 f F FALSE false False'.split(' '));

const programs = new WeakMap<ScrapeConfig, RelabelProgram>();

/** The job's compiled relabel_configs, compiled once per (immutable) config object. */
function relabelProgram(job: ScrapeConfig): RelabelProgram {
  let program = programs.get(job);
  if (program === undefined) {
    program = compileRelabelConfigs(job.relabelConfigs, job.metricNameValidationScheme);
    programs.set(job, program);
  }
  return program;
}

function parseDurationLabel(
  text: string,
  what: 'interval' | 'timeout',
): { ms: number } | { error: string } {
  try {
    const ms = parseDuration(text);
    if (ms === 0) return { error: `scrape ${what} cannot be 0` };
    return { ms };
  } catch (err) {
    if (err instanceof DurationError)
      return { error: `error parsing scrape ${what}: ${err.message}` };
    throw err;
  }
}

/** §2.2: relabel, then steps 2–8 on the result. */
function populate(job: ScrapeConfig, discovered: Labels): Populated {
  const relabeled = applyRelabel(relabelProgram(job), discovered);
  if (relabeled === null) return { kind: 'dropped' };

  const address = getLabel(relabeled, TargetLabel.address);
  if (address === '')
    return { kind: 'error', code: TargetErrorCode.noAddress, reason: 'no address' };
  if (address.includes('/')) {
    return {
      kind: 'error',
      code: TargetErrorCode.invalidAddress,
      reason: `${goQuote(address)} is not a valid hostname`,
    };
  }

  const intervalText = getLabel(relabeled, TargetLabel.scrapeInterval);
  const interval = parseDurationLabel(intervalText, 'interval');
  if ('error' in interval) {
    return { kind: 'error', code: TargetErrorCode.invalidInterval, reason: interval.error };
  }
  const timeoutText = getLabel(relabeled, TargetLabel.scrapeTimeout);
  const timeout = parseDurationLabel(timeoutText, 'timeout');
  if ('error' in timeout) {
    return { kind: 'error', code: TargetErrorCode.invalidTimeout, reason: timeout.error };
  }
  if (timeout.ms > interval.ms) {
    return {
      kind: 'error',
      code: TargetErrorCode.timeoutAboveInterval,
      reason: `scrape timeout cannot be greater than scrape interval (${goQuote(timeoutText)} > ${goQuote(intervalText)})`,
    };
  }

  for (const flag of HISTOGRAM_FLAG_LABELS) {
    const value = getLabel(relabeled, flag);
    if (value !== '' && !GO_BOOLEANS.has(value)) {
      return {
        kind: 'error',
        code: TargetErrorCode.invalidFlag,
        reason: `error parsing ${flag}: ${goQuote(value)} is not a boolean`,
      };
    }
  }

  // Step 6: only `__meta_*` go; other `__` labels stay internal. Step 7: default `instance`.
  const labels: Label[] = relabeled.filter((l) => !l.name.startsWith(META_LABEL_PREFIX));
  if (getLabel(labels, TargetLabel.instance) === '') {
    const at = labels.findIndex((l) => l.name > TargetLabel.instance);
    labels.splice(at < 0 ? labels.length : at, 0, { name: TargetLabel.instance, value: address });
  }

  for (const l of labels) {
    if (!isWellFormedUtf16(l.value)) {
      return {
        kind: 'error',
        code: TargetErrorCode.invalidLabelValue,
        reason: `invalid label value for ${goQuote(l.name)}: ${goQuote(l.value)}`,
      };
    }
  }
  return { kind: 'ok', labels, intervalMs: interval.ms, timeoutMs: timeout.ms };
}

/**
 * Builds the targets of `job` from its discovered groups (§2). Pure: the same inputs give the
 * same output, in the same order. Throws only on a programming error (e.g. a relabel config
 * the relabel engine refuses to compile); per-target problems are returned in `errors`.
 */
export function buildTargets(
  job: ScrapeConfig,
  groups: readonly TargetGroup[],
  options: BuildTargetsOptions,
): BuildTargetsResult {
  const active: Target[] = [];
  const seen = new Set<string>();
  const dropped: DroppedTarget[] = [];
  let droppedCount = 0;
  const errors: TargetError[] = [];

  const drop = (discovered: Labels): void => {
    droppedCount++;
    if (job.keepDroppedTargets === 0 || dropped.length < job.keepDroppedTargets) {
      dropped.push({ job: job.jobName, discoveredLabels: discovered });
    }
  };

  for (const group of groups) {
    group.targets.forEach((entry, index) => {
      const discovered = discoveredLabels(job, entry, group.labels);
      const result = populate(job, discovered);
      if (result.kind === 'dropped') {
        drop(discovered);
        return;
      }
      if (result.kind === 'error') {
        errors.push(
          new TargetError(result.code, result.reason, job.jobName, group.source, index, discovered),
        );
        return;
      }
      // §2.3: only labels not starting with `__` are public; with none the target is dropped.
      // (After step 7 `instance` is always set, so this only guards the invariant.)
      const publicLabels = result.labels.filter((l) => !l.name.startsWith('__'));
      if (publicLabels.length === 0) {
        drop(discovered);
        return;
      }
      const url = scrapeUrl(result.labels, job.params);
      const hash = targetHash(result.labels, url);
      const id = formatTargetId(hash);
      if (seen.has(id)) return;
      seen.add(id);
      active.push({
        job: job.jobName,
        labels: result.labels,
        publicLabels,
        discoveredLabels: discovered,
        url,
        intervalMs: result.intervalMs,
        timeoutMs: result.timeoutMs,
        id,
        offsetMs: scrapeOffsetMs(hash, options.offsetSeed, result.intervalMs),
      });
    });
  }

  const targetLimitError =
    job.targetLimit > 0 && active.length > job.targetLimit
      ? `target_limit exceeded (number of targets: ${active.length}, limit: ${job.targetLimit})`
      : undefined;

  return { active, dropped, droppedCount, errors, targetLimitError };
}
