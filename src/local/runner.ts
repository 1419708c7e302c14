/**
 * `lambdascrape run`: the local driver of the scrape engine (`src/engine/`). Around the engine
 * it adds what one process needs: discovery polling, reloads, the sink (remote write or one
 * line per scrape), the runner's own pages and metrics, and a bounded graceful shutdown. The
 * targets themselves (slots, states, caches, end-of-run markers) are `LocalTargets`'.
 *
 * All changes to the target set run one at a time (discovery refreshes and reloads queue up).
 * Discovery is polled: static configs only on (re)load, the other mechanisms every
 * `refresh_interval` (the shortest of the job's).
 */
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type DiscoveryDeps, JobDiscovery } from '../discovery/registry.js';
import {
  closeJobRuntime,
  type DispatcherFactory,
  defaultDispatcherFactory,
  openJobRuntime,
  wantsStartTimestamps,
} from '../engine/job-runtime.js';
import { discoverJobTargets, type JobTargets } from '../engine/job-targets.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { redactTargetUrl, redactUrlsInText } from '../log/redact.js';
import type { Labels } from '../model/labels.js';
import { type Clock, settlesWithin, systemClock } from '../schedule/clock.js';
import { type QueuedTimer, TimerQueue } from '../schedule/timer-queue.js';
import { type BuildTargetsResult, computeOffsetSeed } from '../targets/index.js';
import type { DroppedTarget } from '../targets/types.js';
import { configEqual } from './config-equal.js';
import { redactedConfigYaml } from './config-yaml.js';
import { ConsoleSink } from './console-sink.js';
import { LocalError, LocalErrorCode } from './errors.js';
import { type LocalTarget, LocalTargets, type TargetJob } from './local-targets.js';
import { redactedLabels, relabelStepsView } from './relabel-view.js';
import { createRemoteWriteSink, type DurableQueues } from './remote-write-sink.js';
import { type JobTargetCounts, RunnerMetrics } from './runner-metrics.js';
import { ScrapeFailureLog } from './scrape-failure-log.js';
import type { SampleSink } from './sink.js';
import type { JobView, RelabelStepsView, TargetView } from './target-view.js';
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
  /** @default createDispatcherSync from src/http/client.ts */
  readonly createDispatcher?: DispatcherFactory;
  /** Where the default sink prints scrape lines without remote_write. @default process.stdout */
  readonly stdout?: (text: string) => void;
  /** How long `stop()` waits for scrapes in progress. @default 10_000 */
  readonly shutdownTimeoutMs?: number;
  /** How long `stop()` (and a sink swap on reload) waits for the sink to deliver. @default 10_000 */
  readonly flushTimeoutMs?: number;
  /** Shown on the targets page, e.g. the config file path. */
  readonly subtitle?: string;
  /**
   * The data directory (`--storage.path`, a `DataDirectory`): the default sink keeps every unit
   * there until delivered. Owned by the caller, who closes it after `stop()`.
   * @default none: units wait in memory
   */
  readonly storage?: DurableQueues;
}

/**
 * The sink when none is injected: remote write when the config has remote_write, else a line
 * per scrape on `stdout`.
 */
export function defaultSink(
  config: Config,
  stdout: (text: string) => void,
  logger: Logger,
  storage?: DurableQueues,
): SampleSink {
  return config.remoteWrite.length === 0
    ? new ConsoleSink(stdout)
    : createRemoteWriteSink(config, { logger, ...(storage === undefined ? {} : { storage }) });
}

/** A job as the runner drives it. */
interface LocalJob extends TargetJob {
  readonly discovery: JobDiscovery;
  /** Discovery poll period; undefined when nothing needs polling (static only). */
  readonly refreshMs: number | undefined;
  refreshTimer: QueuedTimer | undefined;
  /** Active targets by id. */
  active: Map<string, LocalTarget>;
  dropped: readonly DroppedTarget[];
  droppedCount: number;
  forcedError: string | undefined;
  problems: readonly string[];
}

const RunnerState = { created: 0, starting: 1, running: 2, stopping: 3, stopped: 4 } as const;
type RunnerState = (typeof RunnerState)[keyof typeof RunnerState];

export class LocalRunner {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly hostname: string;
  private readonly queue: TimerQueue;
  private readonly metrics: RunnerMetrics;
  private readonly web: WebServer | undefined;
  private readonly targets: LocalTargets;
  /** `scrape_failure_log_file`: files open while a job names them. */
  private readonly failureLog: ScrapeFailureLog;
  private config: Config;
  private sink: SampleSink | undefined;
  private offsetSeed = 0n;
  private readonly jobs = new Map<string, LocalJob>();
  /** Old sinks and job runtimes being drained after a reload. */
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
    this.metrics = new RunnerMetrics({
      targetCounts: () => this.targetCounts(),
      sinkStats: () => this.sink?.stats() ?? [],
      storage: options.storage !== undefined,
    });
    this.metrics.reloads.touch(['success']);
    this.metrics.reloads.touch(['failure']);
    this.failureLog = new ScrapeFailureLog(
      (file, err) => this.logger.error('scrape failure log file not written', { file, err }),
      () => this.clock.now(),
    );
    this.targets = new LocalTargets({
      clock: this.clock,
      queue: this.queue,
      logger: this.logger,
      observer: this.metrics,
      sink: () => this.sink,
      stopping: () => this.stopping,
      failureLog: this.failureLog,
    });
    this.web =
      options.listen === undefined
        ? undefined
        : new WebServer(
            {
              metricsText: () => this.metrics.renderWithProcess(),
              isReady: () => this.ready,
              reload: () => this.reloadFromSource(),
              targets: () => this.targetsView(),
              relabelSteps: (pool, labels) => this.relabelSteps(pool, labels),
              configYaml: () => redactedConfigYaml(this.config.sourceText?.reveal() ?? ''),
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
    return this.targets.inFlight;
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
    this.logger.info('started', { jobs: this.jobs.size, targets: this.targets.size });
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
    this.targets.stop();
    this.queue.stop();
    const inFlight = this.targets.inFlight;
    const drained = await settlesWithin(
      this.targets.idle(),
      this.clock,
      this.options.shutdownTimeoutMs ?? 10_000,
    );
    if (!drained) {
      this.logger.warn('scrapes still running at shutdown were abandoned', {
        scrapes: this.targets.inFlight,
      });
    } else if (inFlight > 0) {
      this.logger.info('scrapes in progress completed', { scrapes: inFlight });
    }
    await settlesWithin(this.serial, this.clock, 1_000);
    const sink = this.sink;
    this.sink = undefined;
    if (sink !== undefined) {
      await sink.flush(this.clock.now() + this.flushMs);
      await sink.close();
    }
    // Sinks replaced by reloads had their flush time already; stop their retries now.
    await Promise.all([...this.retiredSinks].map((s) => s.close()));
    await settlesWithin(Promise.all(this.closing), this.clock, 1_000);
    await Promise.all([...this.jobs.values()].map((job) => closeLocalJob(job)));
    this.jobs.clear();
    this.targets.clear();
    await this.failureLog.close();
    await this.web?.close();
    this.state = RunnerState.stopped;
    this.logger.info('stopped');
  }

  /**
   * The targets page / API view, jobs in config order, targets by URL. Redacted (issue 13,
   * docs/security.md "Secrets"): the URL loses userinfo and query values, `__param_*` values
   * and URLs inside labels (`__meta_url`) are hidden, errors and problems have their URLs
   * redacted — the pages must not show a `params` token or an SD URL's password.
   */
  targetsView(): JobView[] {
    const out: JobView[] = [];
    for (const job of this.jobs.values()) {
      const targets: TargetView[] = [...job.active.values()]
        .map(
          (t): TargetView => ({
            url: redactTargetUrl(t.target.url),
            health: t.last === undefined ? 'unknown' : t.last.up ? 'up' : 'down',
            labels: redactedLabels(t.target.publicLabels),
            discoveredLabels: redactedLabels(t.target.discoveredLabels),
            lastScrapeMs: t.last?.startedMs,
            lastDurationSeconds: t.last?.durationSeconds,
            lastError: t.last?.error === undefined ? undefined : redactUrlsInText(t.last.error),
            intervalMs: t.target.intervalMs,
            timeoutMs: t.target.timeoutMs,
          }),
        )
        .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
      out.push({
        name: job.runtime.name,
        targets,
        dropped: job.dropped.map((d) => redactedLabels(d.discoveredLabels)),
        droppedCount: job.droppedCount,
        problems: job.problems.map(redactUrlsInText),
      });
    }
    return out;
  }

  /**
   * The relabeling steps of `labels` in job `pool` (relabel-view.ts: the job's real target
   * labels when `labels` are a target's redacted ones); undefined when there is no such job.
   */
  relabelSteps(pool: string, labels: Labels): RelabelStepsView | undefined {
    const job = this.jobs.get(pool);
    if (job === undefined) return undefined;
    const known = [
      ...[...job.active.values()].map((t) => t.target.discoveredLabels),
      ...job.dropped.map((d) => d.discoveredLabels),
    ];
    return relabelStepsView(job.runtime.config, known, labels);
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
   * Everything that can fail is prepared first (sink, job runtimes); only then is the running
   * state changed, so a failed reload leaves the old config untouched.
   */
  private async applyConfig(config: Config, initial: boolean): Promise<void> {
    const old = initial ? undefined : this.config;
    const created: LocalJob[] = [];
    let newSink: SampleSink | undefined;
    try {
      if (old === undefined || !sameSinkConfig(old, config)) newSink = this.createSink(config);
      for (const jobConfig of config.scrapeConfigs) {
        const current = this.jobs.get(jobConfig.jobName);
        if (current !== undefined && configEqual(current.runtime.config, jobConfig)) continue;
        created.push(this.createJob(jobConfig, config));
      }
    } catch (err) {
      await Promise.all(created.map((j) => closeLocalJob(j)));
      if (newSink !== undefined && newSink !== this.sink) await newSink.close();
      throw new LocalError(
        LocalErrorCode.reloadFailed,
        err instanceof Error ? err.message : String(err),
        { cause: err },
      );
    }

    // Commit.
    if (newSink !== undefined && newSink !== this.sink) this.replaceSink(newSink);
    this.config = config;
    void this.failureLog.close(new Set(config.scrapeConfigs.map((j) => j.scrapeFailureLogFile)));
    this.offsetSeed = computeOffsetSeed(this.hostname, config.global.externalLabels);
    const byName = new Map(created.map((j) => [j.runtime.name, j]));
    const wanted = new Set(config.scrapeConfigs.map((j) => j.jobName));

    // Jobs gone from the config: their targets retire.
    for (const [name, job] of this.jobs) {
      if (wanted.has(name)) continue;
      this.closeLater(job);
      this.applyTargets(job, undefined);
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
        // Same job, new config: its targets move to the new runtime now (so no scrape starts
        // on the old dispatcher; their caches follow the config), and the refresh below diffs.
        this.closeLater(before);
        for (const t of before.active.values()) t.job = replacement;
        replacement.active = before.active;
      }
    }
    for (const warning of config.warnings ?? []) {
      this.logger.warn(warning);
    }
    await Promise.all([...this.jobs.values()].map((job) => this.refreshJob(job)));
  }

  private get flushMs(): number {
    return this.options.flushTimeoutMs ?? 10_000;
  }

  private createSink(config: Config): SampleSink {
    if (this.options.createSink !== undefined) return this.options.createSink(config);
    const stdout = this.options.stdout ?? ((text: string) => process.stdout.write(text));
    return defaultSink(config, stdout, this.logger, this.options.storage);
  }

  /** Makes `sink` current; the previous one delivers what it holds within the flush time. */
  private replaceSink(sink: SampleSink): void {
    const previous = this.sink;
    this.sink = sink;
    if (previous === undefined) return;
    this.retiredSinks.add(previous);
    this.track(
      previous
        .flush(this.clock.now() + this.flushMs)
        .then(() => previous.close())
        .finally(() => this.retiredSinks.delete(previous)),
    );
  }

  private createJob(config: ScrapeConfig, root: Config): LocalJob {
    const runtime = openJobRuntime(
      config,
      this.options.createDispatcher ?? defaultDispatcherFactory,
      { startTimestamps: wantsStartTimestamps(root) },
    );
    try {
      const discovery = new JobDiscovery(config, {
        ...this.options.discovery,
        ...(root.sourcePath === '' ? {} : { configDir: dirname(root.sourcePath) }),
        now: () => this.clock.now(),
      });
      return {
        runtime,
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
      void closeJobRuntime(runtime);
      throw err;
    }
  }

  /**
   * Stops `job`'s discovery polling and closes its runtime once the scrapes now running on it
   * are done. Call before its targets move on: they are read from `job.active` now.
   */
  private closeLater(job: LocalJob): void {
    if (job.refreshTimer !== undefined) this.queue.cancel(job.refreshTimer);
    const running = [...job.active.values()].flatMap((t) => t.running ?? []);
    this.track(
      Promise.all([closeJobRuntime(job.runtime, running), job.discovery.close()]).then(() => {}),
    );
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.logger.warn('cleanup failed', { err }));
    this.closing.add(tracked);
    void tracked.finally(() => this.closing.delete(tracked));
  }

  // ---- discovery and the target set ---------------------------------------------------------

  /** Refreshes a job's discovery and applies the result. Call inside the serial queue. */
  private async refreshJob(job: LocalJob): Promise<void> {
    const name = job.runtime.name;
    if (this.jobs.get(name) !== job || this.stopping) return;
    let found: JobTargets;
    try {
      found = await discoverJobTargets(job.runtime.config, job.discovery, this.offsetSeed);
    } catch (err) {
      this.logger.error('building targets failed; previous targets kept', { job: name, err });
      this.scheduleRefresh(job);
      return;
    }
    if (this.jobs.get(name) !== job || this.stopping) return;
    for (const r of found.refreshed) {
      this.metrics.discoveryDuration.observe([r.mechanism], r.durationMs / 1000);
      if (r.failed) this.metrics.discoveryFailures.inc([name, r.mechanism]);
    }
    for (const err of found.discoveryErrors) {
      this.logger.warn('discovery refresh failed; previous targets kept', { job: name, err });
    }
    const { built } = found;
    for (const err of built.errors) {
      this.logger.warn('target skipped', { job: name, err: err.message });
    }
    if (built.targetLimitError !== undefined && job.forcedError === undefined) {
      this.logger.warn('every scrape of the job fails', { job: name, err: built.targetLimitError });
    }
    job.dropped = built.dropped;
    job.droppedCount = built.droppedCount;
    job.forcedError = built.targetLimitError;
    job.problems = found.problems;
    this.applyTargets(job, built);
    this.scheduleRefresh(job);
  }

  private scheduleRefresh(job: LocalJob): void {
    if (job.refreshMs === undefined || this.stopping) return;
    if (job.refreshTimer !== undefined) this.queue.cancel(job.refreshTimer);
    job.refreshTimer = this.queue.schedule(this.clock.now() + job.refreshMs, () => {
      job.refreshTimer = undefined;
      this.enqueue(() => this.refreshJob(job)).catch((err: unknown) =>
        this.logger.error('discovery refresh crashed', { job: job.runtime.name, err }),
      );
    });
  }

  /** Makes `job`'s targets those of `built` (none when undefined). */
  private applyTargets(job: LocalJob, built: BuildTargetsResult | undefined): void {
    job.active = this.targets.apply(job.runtime.name, job, job.active, built?.active ?? []);
  }

  private get stopping(): boolean {
    return this.state === RunnerState.stopping || this.state === RunnerState.stopped;
  }

  private *targetCounts(): Iterable<JobTargetCounts> {
    for (const job of this.jobs.values()) {
      let up = 0;
      let down = 0;
      let unknown = 0;
      for (const t of job.active.values()) {
        if (t.last === undefined) unknown++;
        else if (t.last.up) up++;
        else down++;
      }
      yield { job: job.runtime.name, up, down, unknown, dropped: job.droppedCount };
    }
  }
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

async function closeLocalJob(job: LocalJob): Promise<void> {
  await Promise.all([closeJobRuntime(job.runtime), job.discovery.close()]);
}
