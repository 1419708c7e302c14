/**
 * `lambdascrape run`: the whole engine in one process. Discovery → targets (§2) → fixed-phase
 * scrapes (§9) → a sink (remote write, or one line per scrape on stdout), with reload, the
 * runner's own metrics and pages, and a bounded graceful shutdown.
 *
 * State. Per target (keyed by job and target id) the runner keeps the last scrape's series
 * (`ScrapeState`, for staleness §8.2) and the scrape cache (§6.4) in memory. When the target set
 * changes (a discovery refresh or a reload):
 * - a target with the same id keeps its state and cache; if its job's config changed it keeps
 *   the state but gets a fresh cache (Prometheus reuses the cache only for some changes, §6.4;
 *   we never do, which costs one uncached scrape);
 * - a new target whose public labels equal those of a target that just went away in the same job
 *   (typically: scrape_interval changed, which changes the id) takes over that target's state,
 *   so its first scrape stales what is gone at a time later than anything already sent. We do
 *   this instead of Prometheus's end-of-run markers for the old target, whose timestamps would
 *   be older than the new target's samples for the same series (a remote-write receiver rejects
 *   such out-of-order samples, and Prometheus's own TSDB silently drops them);
 * - any other removed target gets end-of-run stale markers (§8.3): for every series of its last
 *   scrape plus its report series, at `staleTime` = its first slot after the removal (≈ last
 *   scrape + interval), written at `staleTime + interval + interval/10`. If it comes back before
 *   then, the markers are cancelled and its state is reused. None when it never completed a
 *   scrape, and none at shutdown (as Prometheus).
 *
 * All changes to the target set run one at a time (discovery refreshes and reloads queue up).
 * Discovery is polled: static configs only on (re)load, file_sd every `refresh_interval` (the
 * shortest of the job's file_sd configs; Prometheus also reacts to file changes at once).
 */
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Config, HttpClientConfig, ScrapeConfig } from '../config/types.js';
import {
  type DiscoveryDeps,
  JobDiscovery,
  unsupportedDiscoveryWarnings,
} from '../discovery/registry.js';
import { createDispatcher as createHttpDispatcher } from '../http/client.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { labelsKey } from '../model/labels.js';
import { type Clock, settlesWithin, systemClock } from '../schedule/clock.js';
import { type SlotEvent, SlotScheduler } from '../schedule/slot-scheduler.js';
import { type QueuedTimer, TimerQueue } from '../schedule/timer-queue.js';
import {
  endOfRunMarkers,
  prepareScrapeJob,
  type ScrapeJob,
  scrapeTarget,
  TargetScrapeCache,
} from '../scrape/scrape.js';
import { EMPTY_SCRAPE_STATE, type ScrapeState } from '../scrape/state.js';
import {
  type BuildTargetsResult,
  buildTargets,
  computeOffsetSeed,
  nextScrapeTime,
} from '../targets/index.js';
import type { DroppedTarget, Target } from '../targets/types.js';
import { configEqual } from './config-equal.js';
import { ConsoleSink } from './console-sink.js';
import { LocalError, LocalErrorCode } from './errors.js';
import { createRemoteWriteSink } from './remote-write-sink.js';
import { type JobTargetCounts, RunnerMetrics } from './runner-metrics.js';
import type { SampleSink, UnitMeta } from './sink.js';
import type { JobView, TargetView } from './target-view.js';
import { type ListenAddress, type ReloadOutcome, WebServer } from './web.js';

export interface LocalRunnerOptions {
  readonly config: Config;
  /** Loads the config again, for SIGHUP and `POST /-/reload`. Without it reloads fail. */
  readonly loadConfig?: () => Promise<Config>;
  /**
   * The sink for a config. Called at start and on a reload that changes remote_write or
   * external labels. @default {@link defaultSink}
   */
  readonly createSink?: (config: Config) => SampleSink;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Where to serve /metrics, /targets, … ; no HTTP server when undefined. */
  readonly listen?: ListenAddress;
  /** Host name for the phase seed (§9) and `globalUrl`. @default os.hostname() */
  readonly hostname?: string;
  /** File system for file_sd (tests). @default the local file system */
  readonly discovery?: Omit<DiscoveryDeps, 'configDir' | 'now'>;
  /** @default createDispatcher from src/http/client.ts */
  readonly createDispatcher?: (config: HttpClientConfig) => Promise<Dispatcher>;
  /** Where the default sink prints scrape lines without remote_write. @default process.stdout */
  readonly stdout?: (text: string) => void;
  /** How long `stop()` waits for scrapes in progress. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** How long `stop()` (and a sink swap on reload) waits for the sink to deliver. @default 10_000 */
  readonly flushTimeoutMs?: number;
  /** Shown on the targets page, e.g. the config file path. */
  readonly subtitle?: string;
}

/**
 * The sink when none is injected: remote write when the config has remote_write, else a line
 * per scrape on `stdout`.
 */
export function defaultSink(
  config: Config,
  stdout: (text: string) => void,
  logger: Logger,
): SampleSink {
  return config.remoteWrite.length === 0
    ? new ConsoleSink(stdout)
    : createRemoteWriteSink(config, { logger });
}

interface JobRuntime {
  readonly name: string;
  readonly config: ScrapeConfig;
  readonly dispatcher: Dispatcher;
  readonly scrapeJob: ScrapeJob;
  readonly discovery: JobDiscovery;
  /** Discovery poll period; undefined when nothing needs polling (static only). */
  readonly refreshMs: number | undefined;
  refreshTimer: QueuedTimer | undefined;
  active: Map<string, TargetRecord>;
  dropped: readonly DroppedTarget[];
  droppedCount: number;
  forcedError: string | undefined;
  problems: readonly string[];
}

interface LastScrape {
  readonly startedMs: number;
  readonly up: boolean;
  readonly error: string | undefined;
  readonly durationSeconds: number;
}

interface TargetRecord {
  readonly key: string;
  target: Target;
  job: JobRuntime;
  memory: TargetScrapeCache;
  state: ScrapeState;
  /** A removed target with the same public labels whose series this one continues. */
  predecessor: TargetRecord | undefined;
  running: Promise<void> | undefined;
  last: LastScrape | undefined;
  /** Set while end-of-run markers are pending (§8.3). */
  retirement: { readonly timer: QueuedTimer; readonly staleTimeMs: number } | undefined;
}

const RunnerState = { created: 0, starting: 1, running: 2, stopping: 3, stopped: 4 } as const;
type RunnerState = (typeof RunnerState)[keyof typeof RunnerState];

export class LocalRunner {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly hostname: string;
  private readonly queue: TimerQueue;
  private readonly scheduler: SlotScheduler;
  private readonly metrics: RunnerMetrics;
  private readonly web: WebServer | undefined;
  private config: Config;
  private sink: SampleSink | undefined;
  private offsetSeed = 0n;
  private readonly jobs = new Map<string, JobRuntime>();
  /** Every scheduled target, by key. */
  private readonly records = new Map<string, TargetRecord>();
  /** Removed targets whose end-of-run markers are pending, by key. */
  private readonly retiring = new Map<string, TargetRecord>();
  /** Old sinks and dispatchers being drained after a reload. */
  private readonly closing = new Set<Promise<void>>();
  /** Sinks replaced by a reload and still delivering; closed for good at shutdown. */
  private readonly retiredSinks = new Set<SampleSink>();
  private serial: Promise<void> = Promise.resolve();
  private state: RunnerState = RunnerState.created;
  private ready = false;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: LocalRunnerOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.hostname = options.hostname ?? osHostname();
    this.queue = new TimerQueue(this.clock);
    this.scheduler = new SlotScheduler({
      clock: this.clock,
      queue: this.queue,
      run: (key, slotMs) => this.scrape(key, slotMs),
      onSlot: (event) => this.onSlot(event),
      onError: (key, err) => this.logger.error('scrape crashed', { target: key, err }),
    });
    this.metrics = new RunnerMetrics({
      targetCounts: () => this.targetCounts(),
      sinkStats: () => this.sink?.stats() ?? [],
    });
    this.metrics.reloads.touch(['success']);
    this.metrics.reloads.touch(['failure']);
    this.web =
      options.listen === undefined
        ? undefined
        : new WebServer(
            {
              metricsText: () => this.metrics.render(),
              isReady: () => this.ready,
              reload: () => this.reloadFromSource(),
              targets: () => this.targetsView(),
              now: () => this.clock.now(),
              hostname: this.hostname,
              ...(options.subtitle === undefined ? {} : { subtitle: options.subtitle }),
            },
            this.logger,
          );
  }

  /** `http://host:port` of the HTTP server once started (undefined without one). */
  get url(): string | undefined {
    return this.web?.url;
  }

  /** Scrapes running right now. */
  get scrapesInProgress(): number {
    return this.scheduler.inFlight;
  }

  /** True once the first target list is built, until `stop()`. */
  get isReady(): boolean {
    return this.ready;
  }

  /**
   * Starts the HTTP server (when configured), runs discovery for every job, builds the target
   * list and starts scraping. Rejects (and cleans up) when the server cannot bind or the config
   * cannot be applied.
   */
  async start(): Promise<void> {
    if (this.state !== RunnerState.created) {
      throw new LocalError(LocalErrorCode.invalidState, 'the runner was already started');
    }
    this.state = RunnerState.starting;
    try {
      if (this.web !== undefined && this.options.listen !== undefined) {
        await this.web.listen(this.options.listen);
        this.logger.info('listening', { url: this.web.url });
      }
      await this.enqueue(() => this.applyConfig(this.config, true));
      if (this.stopPromise !== undefined) {
        throw new LocalError(LocalErrorCode.invalidState, 'stopped while starting');
      }
    } catch (err) {
      this.state = RunnerState.running;
      await this.stop();
      throw err;
    }
    this.state = RunnerState.running;
    this.ready = true;
    this.metrics.reloaded(true, this.clock.now());
    this.logger.info('started', { jobs: this.jobs.size, targets: this.records.size });
  }

  /**
   * Applies a new config. On failure (e.g. a remote_write that cannot be used, an unreadable
   * TLS file) the previous config keeps running and this rejects with `LOCAL_RELOAD_FAILED`.
   * Does not touch the reload metrics; {@link reloadFromSource} does.
   */
  reload(config: Config): Promise<void> {
    if (this.state !== RunnerState.running) {
      return Promise.reject(
        new LocalError(LocalErrorCode.invalidState, 'the runner is not running'),
      );
    }
    return this.enqueue(() => this.applyConfig(config, false));
  }

  /**
   * Loads the config with `options.loadConfig` and applies it: what SIGHUP and
   * `POST /-/reload` do. Never rejects; counts and logs the outcome.
   */
  async reloadFromSource(): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      if (this.options.loadConfig === undefined) {
        throw new LocalError(LocalErrorCode.reloadFailed, 'no config source to reload from');
      }
      const config = await this.options.loadConfig();
      await this.reload(config);
      outcome = { ok: true };
      this.logger.info('configuration reloaded', { jobs: this.jobs.size });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      outcome = { ok: false, error };
      this.logger.error('configuration reload failed; the previous configuration keeps running', {
        err: error,
      });
    }
    this.metrics.reloaded(outcome.ok, this.clock.now());
    return outcome;
  }

  /**
   * Graceful shutdown: no new slots, scrapes in progress finish (up to `shutdownTimeoutMs`), the
   * sink flushes (up to `flushTimeoutMs`), then connections and the HTTP server close. Pending
   * end-of-run markers are not written (§8.3). Idempotent.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.state = RunnerState.stopping;
    this.ready = false;
    this.scheduler.stop();
    this.queue.stop();
    const inFlight = this.scheduler.inFlight;
    const drained = await settlesWithin(
      this.scheduler.idle(),
      this.clock,
      this.options.shutdownTimeoutMs ?? 10_000,
    );
    if (!drained) {
      this.logger.warn('scrapes still running at shutdown were abandoned', {
        scrapes: this.scheduler.inFlight,
      });
    } else if (inFlight > 0) {
      this.logger.info('scrapes in progress completed', { scrapes: inFlight });
    }
    await settlesWithin(this.serial, this.clock, 1_000);
    const sink = this.sink;
    this.sink = undefined;
    if (sink !== undefined) {
      await sink.flush(this.clock.now() + (this.options.flushTimeoutMs ?? 10_000));
      await sink.close();
    }
    // Sinks replaced by reloads had their flush time already; stop their retries now.
    await Promise.all([...this.retiredSinks].map((s) => s.close()));
    await settlesWithin(Promise.all(this.closing), this.clock, 1_000);
    await Promise.all([...this.jobs.values()].map((job) => closeDispatcher(job.dispatcher)));
    this.jobs.clear();
    this.records.clear();
    this.retiring.clear();
    await this.web?.close();
    this.state = RunnerState.stopped;
    this.logger.info('stopped');
  }

  /** The targets page / API view, jobs in config order, targets by URL. */
  targetsView(): JobView[] {
    const out: JobView[] = [];
    for (const job of this.jobs.values()) {
      const targets: TargetView[] = [...job.active.values()]
        .map(
          (r): TargetView => ({
            url: r.target.url,
            health: r.last === undefined ? 'unknown' : r.last.up ? 'up' : 'down',
            labels: r.target.publicLabels,
            discoveredLabels: r.target.discoveredLabels,
            lastScrapeMs: r.last?.startedMs,
            lastDurationSeconds: r.last?.durationSeconds,
            lastError: r.last?.error,
            intervalMs: r.target.intervalMs,
            timeoutMs: r.target.timeoutMs,
          }),
        )
        .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
      out.push({
        name: job.name,
        targets,
        dropped: job.dropped.map((d) => d.discoveredLabels),
        droppedCount: job.droppedCount,
        problems: job.problems,
      });
    }
    return out;
  }

  /** The runner's own metrics in the text format. */
  metricsText(): string {
    return this.metrics.render();
  }

  // ---- config ------------------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.serial.then(task);
    this.serial = run.catch(() => {});
    return run;
  }

  /**
   * Everything that can fail is prepared first (sink, dispatchers); only then is the running
   * state changed, so a failed reload leaves the old config untouched.
   */
  private async applyConfig(config: Config, initial: boolean): Promise<void> {
    const old = initial ? undefined : this.config;
    const created: JobRuntime[] = [];
    let newSink: SampleSink | undefined;
    try {
      if (old === undefined || !sameSinkConfig(old, config)) newSink = this.createSink(config);
      for (const jobConfig of config.scrapeConfigs) {
        const current = this.jobs.get(jobConfig.jobName);
        if (current !== undefined && configEqual(current.config, jobConfig)) continue;
        created.push(await this.createJob(jobConfig, config));
      }
    } catch (err) {
      await Promise.all(created.map((j) => closeDispatcher(j.dispatcher)));
      if (newSink !== undefined && newSink !== this.sink) await newSink.close();
      throw new LocalError(
        LocalErrorCode.reloadFailed,
        err instanceof Error ? err.message : String(err),
        { cause: err },
      );
    }

    // Commit.
    if (newSink !== undefined && newSink !== this.sink) {
      const previous = this.sink;
      this.sink = newSink;
      if (previous !== undefined) {
        this.retiredSinks.add(previous);
        this.retireLater(
          drainSink(previous, this.clock, this.flushMs).finally(() =>
            this.retiredSinks.delete(previous),
          ),
        );
      }
    }
    this.config = config;
    this.offsetSeed = computeOffsetSeed(this.hostname, config.global.externalLabels);
    const byName = new Map(created.map((j) => [j.name, j]));
    const wanted = new Set(config.scrapeConfigs.map((j) => j.jobName));

    // Jobs gone from the config: their targets retire.
    for (const [name, job] of this.jobs) {
      if (wanted.has(name)) continue;
      if (job.refreshTimer !== undefined) this.queue.cancel(job.refreshTimer);
      this.retireLater(closeAfter(job));
      this.applyTargets(job, undefined, job.active.values());
      this.jobs.delete(name);
    }

    // Rebuild the map in config order, then refresh discovery of every job.
    const previous = new Map(this.jobs);
    this.jobs.clear();
    for (const jobConfig of config.scrapeConfigs) {
      const name = jobConfig.jobName;
      const replacement = byName.get(name);
      const before = previous.get(name);
      this.jobs.set(name, replacement ?? before!);
      if (replacement !== undefined && before !== undefined) {
        // Same job, new config: its targets move to the new runtime now (fresh caches, state
        // kept), so no scrape starts on the old dispatcher; the refresh below then diffs them.
        if (before.refreshTimer !== undefined) this.queue.cancel(before.refreshTimer);
        this.retireLater(closeAfter(before));
        for (const rec of before.active.values()) {
          rec.job = replacement;
          rec.memory = new TargetScrapeCache(rec.target, replacement.config.extraScrapeMetrics);
        }
        replacement.active = before.active;
      }
    }
    for (const warning of unsupportedDiscoveryWarnings(config)) this.logger.warn(warning);
    await Promise.all([...this.jobs.values()].map((job) => this.refreshJob(job)));
  }

  private get flushMs(): number {
    return this.options.flushTimeoutMs ?? 10_000;
  }

  private createSink(config: Config): SampleSink {
    if (this.options.createSink !== undefined) return this.options.createSink(config);
    const stdout = this.options.stdout ?? ((text: string) => process.stdout.write(text));
    return defaultSink(config, stdout, this.logger);
  }

  private async createJob(config: ScrapeConfig, root: Config): Promise<JobRuntime> {
    const dispatcher = await (this.options.createDispatcher ?? createHttpDispatcher)(
      config.httpClient,
    );
    try {
      const discovery = new JobDiscovery(config, {
        ...this.options.discovery,
        ...(root.sourcePath === '' ? {} : { configDir: dirname(root.sourcePath) }),
        now: () => this.clock.now(),
      });
      return {
        name: config.jobName,
        config,
        dispatcher,
        scrapeJob: prepareScrapeJob(config, dispatcher),
        discovery,
        refreshMs: discovery.refreshIntervalMs,
        refreshTimer: undefined,
        active: new Map(),
        dropped: [],
        droppedCount: 0,
        forcedError: undefined,
        problems: [],
      };
    } catch (err) {
      await closeDispatcher(dispatcher);
      throw err;
    }
  }

  private retireLater(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.logger.warn('cleanup failed', { err }));
    this.closing.add(tracked);
    void tracked.finally(() => this.closing.delete(tracked));
  }

  // ---- discovery and the target set ---------------------------------------------------------

  /** Refreshes a job's discovery and applies the result. Call inside the serial queue. */
  private async refreshJob(job: JobRuntime): Promise<void> {
    if (this.jobs.get(job.name) !== job || this.stopping) return;
    const { groups, errors, refreshed = [] } = await job.discovery.refresh();
    if (this.jobs.get(job.name) !== job || this.stopping) return;
    for (const r of refreshed) {
      this.metrics.discoveryDuration.observe([r.mechanism], r.durationMs / 1000);
      if (r.failed) this.metrics.discoveryFailures.inc([job.name, r.mechanism]);
    }
    for (const err of errors) {
      this.logger.warn('discovery refresh failed; previous targets kept', { job: job.name, err });
    }
    let built: BuildTargetsResult;
    try {
      built = buildTargets(job.config, groups, { offsetSeed: this.offsetSeed });
    } catch (err) {
      this.logger.error('building targets failed; previous targets kept', { job: job.name, err });
      this.scheduleRefresh(job);
      return;
    }
    for (const err of built.errors) {
      this.logger.warn('target skipped', { job: job.name, err: err.message });
    }
    if (built.targetLimitError !== undefined && job.forcedError === undefined) {
      this.logger.warn('every scrape of the job fails', {
        job: job.name,
        err: built.targetLimitError,
      });
    }
    job.dropped = built.dropped;
    job.droppedCount = built.droppedCount;
    job.forcedError = built.targetLimitError;
    job.problems = [
      ...(built.targetLimitError === undefined ? [] : [built.targetLimitError]),
      ...errors.map((e) => e.message),
      ...built.errors.map((e) => e.message),
    ];
    this.applyTargets(job, built, job.active.values());
    this.scheduleRefresh(job);
  }

  private scheduleRefresh(job: JobRuntime): void {
    if (job.refreshMs === undefined || this.stopping) return;
    if (job.refreshTimer !== undefined) this.queue.cancel(job.refreshTimer);
    job.refreshTimer = this.queue.schedule(this.clock.now() + job.refreshMs, () => {
      job.refreshTimer = undefined;
      this.enqueue(() => this.refreshJob(job)).catch((err: unknown) =>
        this.logger.error('discovery refresh crashed', { job: job.name, err }),
      );
    });
  }

  /**
   * Makes `job`'s targets those of `built` (none when undefined). `previous` are the job's
   * current records (possibly of an older runtime of the same job).
   */
  private applyTargets(
    job: JobRuntime,
    built: BuildTargetsResult | undefined,
    previous: Iterable<TargetRecord>,
  ): void {
    const leftover = new Map<string, TargetRecord>();
    for (const r of previous) leftover.set(r.key, r);
    const next = new Map<string, TargetRecord>();
    const fresh: TargetRecord[] = [];
    for (const target of built?.active ?? []) {
      const key = targetKey(job.name, target.id);
      let rec = leftover.get(key) ?? this.retiring.get(key);
      if (rec !== undefined) {
        leftover.delete(key);
        this.cancelRetirement(rec);
        if (rec.job !== job) {
          rec.memory = new TargetScrapeCache(target, job.config.extraScrapeMetrics);
        }
        rec.target = target;
        rec.job = job;
      } else {
        rec = {
          key,
          target,
          job,
          memory: new TargetScrapeCache(target, job.config.extraScrapeMetrics),
          state: EMPTY_SCRAPE_STATE,
          predecessor: undefined,
          running: undefined,
          last: undefined,
          retirement: undefined,
        };
        fresh.push(rec);
      }
      next.set(key, rec);
      this.records.set(key, rec);
      this.scheduler.set(key, target);
    }

    // Hand-over (see the file comment): a fresh target continues a removed one with the same
    // public labels, whether it was removed now or is still waiting for its end-of-run markers.
    const gone = new Map<string, TargetRecord>();
    for (const r of this.retiring.values()) {
      if (r.job.name === job.name) gone.set(labelsKey(r.target.publicLabels), r);
    }
    for (const r of leftover.values()) gone.set(labelsKey(r.target.publicLabels), r);
    for (const rec of fresh) {
      const id = labelsKey(rec.target.publicLabels);
      const from = gone.get(id);
      if (from === undefined) continue;
      gone.delete(id);
      leftover.delete(from.key);
      this.cancelRetirement(from);
      rec.predecessor = from;
      this.scheduler.delete(from.key);
      if (this.records.get(from.key) === from) this.records.delete(from.key);
    }

    for (const rec of leftover.values()) this.retire(rec);
    job.active = next;
  }

  /** Stops scraping `rec` and schedules its end-of-run markers (§8.3). */
  private retire(rec: TargetRecord): void {
    this.scheduler.delete(rec.key);
    if (this.records.get(rec.key) === rec) this.records.delete(rec.key);
    const interval = rec.target.intervalMs;
    const staleTimeMs = nextScrapeTime(rec.target, this.clock.now() + 1);
    const writeAt = staleTimeMs + interval + Math.floor(interval / 10);
    const timer = this.queue.schedule(writeAt, () => {
      this.writeEndOfRun(rec).catch((err: unknown) =>
        this.logger.error('end-of-run markers failed', { target: rec.key, err }),
      );
    });
    rec.retirement = { timer, staleTimeMs };
    this.retiring.set(rec.key, rec);
  }

  private cancelRetirement(rec: TargetRecord): void {
    if (rec.retirement === undefined) return;
    this.queue.cancel(rec.retirement.timer);
    rec.retirement = undefined;
    this.retiring.delete(rec.key);
  }

  private async writeEndOfRun(rec: TargetRecord): Promise<void> {
    const retirement = rec.retirement;
    if (retirement === undefined) return;
    this.retiring.delete(rec.key);
    rec.retirement = undefined;
    if (rec.running !== undefined) await rec.running;
    const state = effectiveState(rec);
    const batch = endOfRunMarkers(
      rec.target,
      state,
      retirement.staleTimeMs,
      rec.job.config.extraScrapeMetrics,
    );
    if (batch.length === 0 || this.sink === undefined || this.stopping) return;
    this.metrics.endOfRunMarkers.inc([rec.job.name], batch.length);
    this.logger.debug('end-of-run stale markers', {
      job: rec.job.name,
      url: rec.target.url,
      markers: batch.length,
    });
    await this.sink.write(batch, {
      kind: 'end-of-run',
      job: rec.job.name,
      targetKey: rec.key,
      url: rec.target.url,
      targetLabels: rec.target.publicLabels,
      timestampMs: retirement.staleTimeMs,
      up: false,
      error: undefined,
      durationSeconds: 0,
      samplesScraped: 0,
    });
  }

  // ---- scraping -----------------------------------------------------------------------------

  private get stopping(): boolean {
    return this.state === RunnerState.stopping || this.state === RunnerState.stopped;
  }

  private async scrape(key: string, slotMs: number): Promise<void> {
    const rec = this.records.get(key);
    if (rec === undefined) return;
    const run = this.scrapeRecord(rec, slotMs);
    rec.running = run;
    try {
      await run;
    } finally {
      if (rec.running === run) rec.running = undefined;
    }
  }

  private async scrapeRecord(rec: TargetRecord, slotMs: number): Promise<void> {
    const startedMs = this.clock.now();
    const from = rec.predecessor;
    if (from !== undefined) {
      rec.predecessor = undefined;
      if (from.running !== undefined) await from.running;
      if (rec.state.lastScrapeTimeMs === undefined) rec.state = effectiveState(from);
    }
    const { job, target, memory } = rec;
    const result = await scrapeTarget(job.scrapeJob, target, memory, rec.state, {
      scrapeTimeMs: slotMs,
      forcedError: job.forcedError,
    });
    rec.state = result.state;
    const wasUp = rec.last?.up;
    rec.last = {
      startedMs,
      up: result.up,
      error: result.error,
      durationSeconds: result.report.durationSeconds,
    };
    const labels = [job.name];
    this.metrics.scrapes.inc(labels);
    if (!result.up) this.metrics.scrapeFailures.inc(labels);
    this.metrics.samplesScraped.inc(labels, result.report.samplesScraped);
    this.metrics.scrapeDuration.observe(labels, result.report.durationSeconds);
    if (result.up && wasUp === false) {
      this.logger.info('target is up again', { job: job.name, url: target.url });
    } else if (!result.up && wasUp !== false) {
      this.logger.warn('scrape failed', { job: job.name, url: target.url, err: result.error });
    }

    const sink = this.sink;
    if (sink === undefined) return;
    const meta: UnitMeta = {
      kind: 'scrape',
      job: job.name,
      targetKey: rec.key,
      url: target.url,
      targetLabels: target.publicLabels,
      timestampMs: slotMs,
      up: result.up,
      error: result.error,
      durationSeconds: result.report.durationSeconds,
      samplesScraped: result.report.samplesScraped,
    };
    // Not awaited: delivery must not hold up the next slot (the sink keeps per-target order).
    sink
      .write(result.batch, meta)
      .catch((err: unknown) =>
        this.logger.error('sink write failed', { job: job.name, url: target.url, err }),
      );
  }

  private onSlot(event: SlotEvent): void {
    const job = this.records.get(event.key)?.job.name;
    if (job === undefined) return;
    if (event.kind === 'started') {
      this.metrics.lateness.observe([job], event.latenessMs / 1000);
    } else {
      this.metrics.skippedSlots.inc([job, event.reason], event.count);
      this.logger.debug('scrape slot skipped', {
        job,
        target: event.key,
        reason: event.reason,
        slots: event.count,
      });
    }
  }

  private *targetCounts(): Iterable<JobTargetCounts> {
    for (const job of this.jobs.values()) {
      let up = 0;
      let down = 0;
      let unknown = 0;
      for (const r of job.active.values()) {
        if (r.last === undefined) unknown++;
        else if (r.last.up) up++;
        else down++;
      }
      yield { job: job.name, up, down, unknown, dropped: job.droppedCount };
    }
  }
}

/** Key of a target across refreshes and reloads: its job and its identity (§2.6). */
function targetKey(job: string, id: string): string {
  return `${job}/${id}`;
}

/** The series to stale for a record: its own, or those it inherited and has not scraped since. */
function effectiveState(rec: TargetRecord): ScrapeState {
  if (rec.state.lastScrapeTimeMs !== undefined || rec.predecessor === undefined) return rec.state;
  return effectiveState(rec.predecessor);
}

/** Remote write and what changes its output: the sink is rebuilt when these change. */
function sameSinkConfig(a: Config, b: Config): boolean {
  return (
    configEqual(a.remoteWrite, b.remoteWrite) &&
    configEqual(a.global.externalLabels, b.global.externalLabels) &&
    a.global.metricNameValidationScheme === b.global.metricNameValidationScheme &&
    dirname(a.sourcePath) === dirname(b.sourcePath)
  );
}

async function drainSink(sink: SampleSink, clock: Clock, flushMs: number): Promise<void> {
  await sink.flush(clock.now() + flushMs);
  await sink.close();
}

/**
 * Closes a replaced or removed job's dispatcher once the scrapes now running on it are done.
 * Call before its targets move on: the scrapes are taken from `job.active` synchronously.
 */
function closeAfter(job: JobRuntime): Promise<void> {
  const running = [...job.active.values()].map((r) => r.running).filter((p) => p !== undefined);
  return Promise.all(running).then(() =>
    Promise.all([closeDispatcher(job.dispatcher), job.discovery.close()]).then(() => undefined),
  );
}

async function closeDispatcher(dispatcher: Dispatcher): Promise<void> {
  const closed = dispatcher.close();
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, 2_000, 'timeout').unref());
  if ((await Promise.race([closed.then(() => 'closed' as const), timer])) === 'timeout') {
    await dispatcher.destroy();
  }
}
