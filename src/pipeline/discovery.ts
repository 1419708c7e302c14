/**
 * The discovery step of the serverless flow (docs/design.md "The flow", left column): service
 * discovery → target relabeling (§2) → diff against the targets table → write the diff →
 * a `retire` task for every retired target (§8.3). Pure engine logic against the ports
 * (`TargetStore`, `TaskQueue`); no AWS import here.
 *
 * Contracts:
 * - One {@link DiscoveryRun} per config, kept by the caller in module scope: it holds one
 *   {@link JobDiscovery} per job, so a warm Lambda container honours each discoverer's
 *   refresh_interval (a run every minute reads a 5m file_sd once every 5 minutes) and keeps a
 *   failing discoverer's previous groups (§10). A cold container starts with none.
 * - Phases (§9) use `computeOffsetSeed(deploymentId, external_labels)`. `deploymentId` must be
 *   stable for the deployment (the stack name, say), never `os.hostname()`, which differs per
 *   Lambda container and would move every target's phase between runs.
 * - Diff by target id (§2.6): an id not stored is added; a stored id whose stored fields differ
 *   (canonical JSON of every field the store keeps) is changed; a stored id no longer
 *   discovered is removed. Unchanged targets are not written (ports.ts `TargetStore.apply`).
 *   A label that is part of the identity (any label kept after relabeling, or the URL)
 *   changes the id, so such a change is one removal plus one addition, as in Prometheus.
 * - Which removed targets get a `retire` task is the engine's rule (`reconcileTargets`): not one
 *   whose series stream a discovered target continues (a new scrape_interval, say), so its
 *   state serves that target and no end-of-run marker lands behind the successor's samples.
 * - Removals are withheld for a job whose refresh reported errors while its discovery cannot
 *   vouch for the missing targets: when it found no groups at all, or when this instance has
 *   never completed an error-free refresh of the job (a cold container whose discoverer fails
 *   has no previous groups to keep). Its stored targets stay, counted in `kept`.
 * - Stored targets of a job no longer in the config are removed (like Prometheus on reload).
 * - Order of effects: retire tasks are enqueued first, then the diff is applied. If either
 *   throws, the run throws {@link DiscoveryRunError}; the next run recomputes the same diff
 *   from what is stored, so nothing is lost silently (decision 5). A retire enqueued for a diff
 *   that was then not applied is sent again next run; a duplicate retire is harmless (the first
 *   one removed the state, the second finds none).
 */
import type { Config, ScrapeConfig } from '../config/types.js';
import {
  DISCOVERY_MECHANISMS,
  type DiscoveryDeps,
  type DiscoveryMechanism,
  JobDiscovery,
} from '../discovery/registry.js';
import { discoverJobTargets } from '../engine/job-targets.js';
import { endOfRunTimes, reconcileTargets } from '../engine/series-stream.js';
import type { Labels } from '../model/labels.js';
import type { DroppedTargetsStore, ScrapeTask, TargetStore, TaskQueue } from '../ports.js';
import { computeOffsetSeed } from '../targets/index.js';
import type { Target } from '../targets/types.js';
import { DroppedTargetsRecorder, droppedSummary } from './dropped-targets.js';
import { MAX_DELAY_SECONDS, windowFor } from './plan.js';

export const DISCOVERY_RUN_ERROR_CODES = {
  /** The options are invalid (thrown by the constructor). */
  invalidOptions: 'DISCOVERY_RUN_INVALID_OPTIONS',
  /** The stored targets could not be listed; nothing was written. */
  list: 'DISCOVERY_RUN_LIST',
  /** Retire tasks could not be enqueued; the diff was not applied. */
  retire: 'DISCOVERY_RUN_RETIRE',
  /** The diff could not be written (part of it may have been); retires were enqueued. */
  apply: 'DISCOVERY_RUN_APPLY',
} as const;
export type DiscoveryRunErrorCode =
  (typeof DISCOVERY_RUN_ERROR_CODES)[keyof typeof DISCOVERY_RUN_ERROR_CODES];

/** The one error class of this module. */
export class DiscoveryRunError extends Error {
  override readonly name = 'DiscoveryRunError';
  readonly code: DiscoveryRunErrorCode;
  constructor(code: DiscoveryRunErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What the run logs through; `src/log/logger.ts`'s Logger satisfies it. */
export interface DiscoveryLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

const silent: DiscoveryLogger = { info: () => {}, warn: () => {} };

export interface DiscoveryRunOptions {
  readonly config: Config;
  readonly targets: TargetStore;
  readonly queue: TaskQueue;
  /** Stable identity of the deployment (e.g. the stack name): the §9 offset seed's "host". */
  readonly deploymentId: string;
  /** Wall clock, ms since the epoch; also drives refresh_interval bookkeeping. @default Date.now */
  readonly clock?: () => number;
  readonly logger?: DiscoveryLogger;
  /** Passed to every JobDiscovery (file system, resolver, EC2 factory, …). */
  readonly discoveryDeps?: Omit<DiscoveryDeps, 'now' | 'onError'>;
  /** @default DISCOVERY_MECHANISMS */
  readonly mechanisms?: readonly DiscoveryMechanism[];
  /**
   * The dispatcher's window length (ms); must equal the one `dispatchWindow` uses. A removed
   * target may still have slots planned up to the end of the window the dispatcher may already
   * have planned, so its markers go after that (see {@link retireTaskFor}). @default 60 000
   */
  readonly windowMs?: number;
  /**
   * Where each job's dropped targets are summarised for `lambdascrape status`, written only when
   * they change (`dropped-targets.ts`); best effort, never failing the run. Absent: not kept.
   */
  readonly dropped?: DroppedTargetsStore;
}

export interface DiscoverySummary {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
  /** Stored targets not rediscovered but kept because their job's discovery failed. */
  readonly kept: number;
  /** Discovery and target errors (one message each); a run with errors still writes its diff. */
  readonly errors: readonly string[];
}

/** The fields the target store keeps, in a fixed order: equal strings ⇔ nothing to write. */
export function canonicalTarget(t: Target): string {
  const pairs = (labels: Labels) => labels.map((l) => [l.name, l.value]);
  return JSON.stringify([
    t.id,
    t.job,
    t.url,
    pairs(t.labels),
    pairs(t.publicLabels),
    pairs(t.discoveredLabels),
    t.intervalMs,
    t.timeoutMs,
    t.offsetMs,
  ]);
}

/**
 * The retire task of a target retired at `nowMs` (§8.3), and its delay.
 *
 * Slots of the target may already be enqueued up to `horizon = windowFor(nowMs, windowMs).endMs`
 * (the latest window a dispatcher can have planned by now), so its last scrape is before the
 * horizon: the engine's `endOfRunTimes(target, horizon)` gives the markers' timestamp (its
 * first slot at or after the horizon) and when they are written (a little over one interval
 * later, as `run` does). SQS caps the delay at 900 s, so for a long interval the task arrives
 * earlier than that; the markers still carry `staleTimeMs`.
 */
export function retireTaskFor(
  target: Target,
  nowMs: number,
  windowMs: number,
): { task: Extract<ScrapeTask, { kind: 'retire' }>; delaySeconds: number } {
  const horizon = windowFor(nowMs, windowMs).endMs;
  const { staleTimeMs, writeAtMs } = endOfRunTimes(target, horizon);
  const delaySeconds = Math.min(
    Math.max(Math.ceil((writeAtMs - nowMs) / 1000), 0),
    MAX_DELAY_SECONDS,
  );
  return { task: { kind: 'retire', target, staleTimeMs }, delaySeconds };
}

interface JobState {
  readonly discovery: JobDiscovery;
  /** True once a refresh of this job reported no errors in this instance. */
  clean: boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Discovery of every job of one config. A Lambda entry point builds one per container (module
 * scope) and calls {@link DiscoveryRun.run} per scheduled event; see the module contracts.
 */
export class DiscoveryRun {
  private readonly jobs = new Map<string, JobState>();
  private readonly clock: () => number;
  private readonly logger: DiscoveryLogger;
  private readonly offsetSeed: bigint;
  private readonly windowMs: number;
  private readonly dropped: DroppedTargetsRecorder | undefined;

  constructor(private readonly options: DiscoveryRunOptions) {
    if (options.deploymentId.trim() === '') {
      throw new DiscoveryRunError(
        DISCOVERY_RUN_ERROR_CODES.invalidOptions,
        'deploymentId must be a non-empty, stable deployment identity',
      );
    }
    this.windowMs = options.windowMs ?? 60_000;
    try {
      windowFor(0, this.windowMs);
    } catch (err) {
      throw new DiscoveryRunError(DISCOVERY_RUN_ERROR_CODES.invalidOptions, message(err), {
        cause: err,
      });
    }
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silent;
    this.dropped =
      options.dropped === undefined
        ? undefined
        : new DroppedTargetsRecorder(options.dropped, this.logger);
    this.offsetSeed = computeOffsetSeed(options.deploymentId, options.config.global.externalLabels);
  }

  private jobState(job: ScrapeConfig): JobState {
    let state = this.jobs.get(job.jobName);
    if (state === undefined) {
      const deps: DiscoveryDeps = { ...this.options.discoveryDeps, now: this.clock };
      state = {
        discovery: new JobDiscovery(job, deps, this.options.mechanisms ?? DISCOVERY_MECHANISMS),
        clean: false,
      };
      this.jobs.set(job.jobName, state);
    }
    return state;
  }

  /** One discovery pass: refresh, build, diff, retire, apply. */
  async run(): Promise<DiscoverySummary> {
    const errors: string[] = [];
    const discovered = new Map<string, Target>();
    /** Jobs whose missing targets must not be removed this run. */
    const holdRemovals = new Set<string>();

    const jobs = this.options.config.scrapeConfigs;
    // Jobs refresh concurrently (each JobDiscovery never throws: failures come as errors).
    const found = await Promise.all(
      jobs.map((job) => discoverJobTargets(job, this.jobState(job).discovery, this.offsetSeed)),
    );
    for (const [i, job] of jobs.entries()) {
      const state = this.jobState(job);
      const { built, clean, empty, discoveryErrors } = found[i]!;
      for (const err of discoveryErrors) errors.push(err.message);
      if (clean) state.clean = true;
      else if (empty || !state.clean) holdRemovals.add(job.jobName);
      for (const err of built.errors) errors.push(`job ${job.jobName}: ${err.message}`);
      if (built.targetLimitError !== undefined) {
        // Reported here; enforced by the scraper, from the counts the dispatcher puts in tasks.
        errors.push(`job ${job.jobName}: ${built.targetLimitError}`);
      }
      for (const t of built.active) {
        const other = discovered.get(t.id);
        if (other !== undefined) {
          errors.push(`job ${job.jobName}: target ${t.id} duplicates one of job ${other.job}`);
          continue;
        }
        discovered.set(t.id, t);
      }
    }

    let stored: Target[];
    try {
      stored = await this.options.targets.list();
    } catch (err) {
      throw new DiscoveryRunError(
        DISCOVERY_RUN_ERROR_CODES.list,
        `listing stored targets failed: ${message(err)}`,
        { cause: err },
      );
    }

    // The engine decides which removed targets retire: a removed identity whose series
    // stream a discovered target continues keeps its state for that target (series-stream.ts).
    const changes = reconcileTargets(stored, discovered.values());
    const put: Target[] = [...changes.added];
    let changed = 0;
    let unchanged = 0;
    for (const { before, after } of changes.kept) {
      if (canonicalTarget(after) === canonicalTarget(before)) {
        unchanged++;
      } else {
        changed++;
        put.push(after);
      }
    }
    const removed = changes.removed.filter((t) => !holdRemovals.has(t.job));
    const kept = changes.removed.length - removed.length;
    const retired = changes.retired.filter((t) => !holdRemovals.has(t.job));
    const added = changes.added.length;

    const nowMs = this.clock();
    if (retired.length > 0) {
      try {
        await this.options.queue.send(retired.map((t) => retireTaskFor(t, nowMs, this.windowMs)));
      } catch (err) {
        throw new DiscoveryRunError(
          DISCOVERY_RUN_ERROR_CODES.retire,
          `enqueueing ${retired.length} retire tasks failed (nothing written): ${message(err)}`,
          { cause: err },
        );
      }
    }
    if (put.length > 0 || removed.length > 0) {
      try {
        await this.options.targets.apply({ put, remove: removed.map((t) => t.id) });
      } catch (err) {
        throw new DiscoveryRunError(
          DISCOVERY_RUN_ERROR_CODES.apply,
          `writing the target diff failed (retires were enqueued): ${message(err)}`,
          { cause: err },
        );
      }
    }

    await this.dropped?.record(
      jobs.map((job, i) => {
        const { built } = found[i]!;
        const labels = built.dropped.map((d) => d.discoveredLabels);
        return droppedSummary(job.jobName, built.droppedCount, labels);
      }),
    );

    const summary: DiscoverySummary = {
      added,
      changed,
      removed: removed.length,
      unchanged,
      kept,
      errors,
    };
    for (const e of errors) this.logger.warn('discovery error', { err: e });
    this.logger.info('discovery done', { ...summary, errors: errors.length });
    return summary;
  }

  /** Releases every discoverer's connections (the instance may not be used afterwards). */
  async close(): Promise<void> {
    const states = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(states.map((s) => s.discovery.close()));
  }
}
