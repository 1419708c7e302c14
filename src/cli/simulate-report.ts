/**
 * What `lambdascrape simulate` tells the person running it, in one of two formats:
 * - `human` (the default on a terminal): a line at start, one status line per status period
 *   (targets up/down, scrapes, lateness p99, outbox depth, the monthly cost so far), warnings
 *   (a target down — once per target, with its redacted URL and the error —, no `remote_write`,
 *   and the simulated functions' warnings and errors once per message) and a summary at the end.
 *   The functions' own JSON lines and EMF blobs are not shown.
 * - `json` (the default otherwise; scripts read it): the functions' JSON lines as a deployment
 *   writes them, plus this module's events as JSON lines of their own (`first scrapes planned`,
 *   `target down`, `no remote_write`, `simulation summary`). No status lines.
 *
 * {@link SimulationStats} collects from the {@link SimulationObserver} hooks; {@link SimulateReport}
 * renders. Nothing here writes through the simulated functions' logger: the hooks run inside
 * their invocations, and a line written there would be billed to them.
 */
import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log/logger.js';
import type { DispatchResult } from '../pipeline/dispatcher.js';
import type { ReplayOutcome } from '../pipeline/outbox-replayer.js';
import { DEFAULT_WINDOW_MARGIN_MS } from '../pipeline/plan.js';
import type { TaskOutcome } from '../pipeline/scraper-outcome.js';
import { scrapeLogFields } from '../pipeline/self-metrics.js';
import type { ScrapeTask } from '../ports.js';
import { quantile } from '../serverless/cost.js';
import type { SimulationObserver } from './simulate-observer.js';

export const SIMULATE_LOG_FORMATS = ['human', 'json'] as const;
export type SimulateLogFormat = (typeof SIMULATE_LOG_FORMATS)[number];

/** `--log-format` when given; otherwise human on a terminal, JSON when stdout is not one. */
export function simulateLogFormat(
  flag: string | undefined,
  stdoutIsTTY: boolean,
): SimulateLogFormat | undefined {
  if (flag === undefined) return stdoutIsTTY ? 'human' : 'json';
  return (SIMULATE_LOG_FORMATS as readonly string[]).includes(flag)
    ? (flag as SimulateLogFormat)
    : undefined;
}

interface TargetStats {
  readonly job: string;
  /** Redacted. */
  readonly url: string;
  up: boolean | undefined;
  /** The first failure was reported. */
  warned: boolean;
}

export interface JobStats {
  readonly job: string;
  readonly targets: number;
  readonly scrapes: number;
  readonly up: number;
  readonly down: number;
}

/** A target's first failed scrape: what the warning names. */
export interface TargetDown {
  readonly job: string;
  /** Redacted (userinfo and secret query values removed). */
  readonly url: string;
  /** The scrape error, scrubbed like the URL. */
  readonly error: string;
}

/** What the status line and the summary report, counted since the run started. */
export class SimulationStats {
  readonly #targets = new Map<string, TargetStats>();
  readonly #jobs = new Map<string, { targets: Set<string>; scrapes: number; up: number }>();
  readonly #latenessMs: number[] = [];
  #periodLatenessMs: number[] = [];
  #periodScrapes = 0;
  scrapes = 0;
  up = 0;
  /** Slots dropped: too late to scrape. */
  late = 0;
  /** Samples written by the scrapes: scraped, stale markers and report series (`up`, …). */
  samples = 0;
  samplesSent = 0;
  samplesParked = 0;
  samplesRejected = 0;
  /** Writes that could be neither delivered nor parked. */
  writesLost = 0;
  /** Parked samples the outbox delivered later. */
  samplesReplayed = 0;
  /** Parked samples the outbox gave up on (dead-lettered). */
  samplesDeadLettered = 0;
  /** The first window the dispatcher planned; undefined until it has. */
  firstWindow: { readonly startMs: number; readonly endMs: number } | undefined;
  /** Targets the latest dispatch planned. */
  plannedTargets = 0;

  get down(): number {
    return this.scrapes - this.up;
  }

  dispatched(result: DispatchResult): void {
    this.firstWindow ??= result.window;
    if (result.skipped === undefined) this.plannedTargets = result.targets;
  }

  /** Counts a task's outcomes; returns the targets whose first failure this task saw. */
  taskDone(task: ScrapeTask, outcome: TaskOutcome): TargetDown[] {
    const urls = new Map<string, string>();
    for (const t of task.kind === 'scrape' ? task.targets : [task.target]) urls.set(t.id, t.url);
    const firstDowns: TargetDown[] = [];
    for (const o of outcome.targets) {
      if (o.kind === 'late') this.late++;
      if (o.kind !== 'scraped') continue;
      const fields = scrapeLogFields({ job: o.job, url: urls.get(o.targetId) ?? '' }, o);
      let target = this.#targets.get(o.targetId);
      if (target === undefined) {
        target = { job: o.job, url: fields.url, up: undefined, warned: false };
        this.#targets.set(o.targetId, target);
      }
      target.up = o.up;
      let job = this.#jobs.get(o.job);
      if (job === undefined) {
        job = { targets: new Set(), scrapes: 0, up: 0 };
        this.#jobs.set(o.job, job);
      }
      job.targets.add(o.targetId);
      job.scrapes++;
      this.scrapes++;
      this.#periodScrapes++;
      if (o.up) {
        job.up++;
        this.up++;
      } else if (!target.warned) {
        target.warned = true;
        firstDowns.push({ job: o.job, url: fields.url, error: fields.err ?? 'unknown error' });
      }
      this.#latenessMs.push(o.latenessMs);
      this.#periodLatenessMs.push(o.latenessMs);
      this.samples += o.samples;
      this.samplesSent += o.delivery.samplesSent;
      this.samplesParked += o.delivery.samplesParked;
      this.samplesRejected += o.delivery.samplesRejected;
      this.writesLost += o.delivery.parkFailed;
    }
    return firstDowns;
  }

  replayed(outcomes: readonly ReplayOutcome[]): void {
    for (const o of outcomes) {
      if (o.kind === 'delivered') this.samplesReplayed += o.samples;
      else if (o.kind === 'dead-lettered') this.samplesDeadLettered += o.samples;
    }
  }

  /** Targets by the health of their latest scrape (targets never scraped are not counted). */
  health(): { up: number; down: number } {
    let up = 0;
    let down = 0;
    for (const t of this.#targets.values()) {
      if (t.up === true) up++;
      else if (t.up === false) down++;
    }
    return { up, down };
  }

  /** Ends a status period: its scrapes and their lateness, and starts the next. */
  takePeriod(): { scrapes: number; latenessMs: number[] } {
    const period = { scrapes: this.#periodScrapes, latenessMs: this.#periodLatenessMs };
    this.#periodScrapes = 0;
    this.#periodLatenessMs = [];
    return period;
  }

  /** Each job scraped, by name. */
  jobs(): JobStats[] {
    return [...this.#jobs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([job, s]) => ({
        job,
        targets: s.targets.size,
        scrapes: s.scrapes,
        up: s.up,
        down: s.scrapes - s.up,
      }));
  }

  /** Read time − slot over the run, ms: p50, p99, max (NaN when nothing was scraped). */
  lateness(): { p50: number; p99: number; max: number } {
    const sorted = [...this.#latenessMs].sort((a, b) => a - b);
    return {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    };
  }
}

/** What the status line shows beside the counts. */
export interface StatusExtras {
  /** Messages on the outbox queue; undefined when it could not be read. */
  readonly outboxDepth: number | undefined;
  /** The monthly cost estimated so far; undefined while the run warms up. */
  readonly monthlyUsd: number | undefined;
}

export interface SimulateReportOptions {
  readonly format: SimulateLogFormat;
  /** Receives human text (newline included). */
  readonly write: (text: string) => void;
  /** simulate's own JSON lines (json format); never the simulated functions' logger. */
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Renders the run for people or for scripts (see the file comment). */
export class SimulateReport implements SimulationObserver {
  readonly stats = new SimulationStats();
  readonly #format: SimulateLogFormat;
  readonly #write: (text: string) => void;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Messages of the functions' warnings and errors shown so far, with how often they came. */
  readonly #seen = new Map<string, number>();
  #startedMs: number | undefined;
  #durationMs: number | undefined;
  /** A first dispatch done before {@link started}: said right after the start line. */
  #pendingFirst: (DispatchResult & { readonly skipped?: undefined }) | undefined;

  constructor(options: SimulateReportOptions) {
    this.#format = options.format;
    this.#write = options.write;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  get human(): boolean {
    return this.#format === 'human';
  }

  /** The run started: what it runs, how to stop it, and a warning when samples go nowhere. */
  started(info: {
    readonly configPath: string;
    readonly durationMs: number | undefined;
    readonly remoteWrites: number;
  }): void {
    this.#startedMs = this.#now();
    this.#durationMs = info.durationMs;
    if (this.human) {
      const until =
        info.durationMs === undefined ? 'until Ctrl-C' : `for ${formatDuration(info.durationMs)}`;
      this.#write(
        `simulating the Lambda deployment of ${info.configPath} on this machine ${until} ` +
          '(DynamoDB and SQS in process)\n' +
          '  Ctrl-C stops and prints a summary and the cost report; SIGHUP redeploys the ' +
          'config, SIGUSR1 prints the cost report\n',
      );
    }
    if (info.remoteWrites === 0) {
      const text =
        'the config has no remote_write: scraped samples go nowhere (add one, e.g. a ' +
        'Prometheus started with --web.enable-remote-write-receiver, to see them arrive)';
      if (this.human) this.#write(`warning: ${text}\n`);
      else this.#log.warn('no remote_write: scraped samples go nowhere');
    }
    const pending = this.#pendingFirst;
    this.#pendingFirst = undefined;
    if (pending !== undefined) this.#firstScrapes(pending, this.#startedMs);
  }

  dispatched(result: DispatchResult & { readonly skipped?: undefined }): void {
    const first = this.stats.firstWindow === undefined;
    this.stats.dispatched(result);
    if (!first) return;
    if (this.#startedMs === undefined) this.#pendingFirst = result;
    else this.#firstScrapes(result, this.#startedMs);
  }

  /**
   * When the first scrapes come: the first dispatch plans the first whole window starting at
   * least DEFAULT_WINDOW_MARGIN_MS ahead (plan.ts `windowFor`), so each target's first slot lies
   * in that window; nothing is scraped before its start.
   */
  #firstScrapes(
    result: DispatchResult & { readonly skipped?: undefined },
    startedMs: number,
  ): void {
    const { startMs, endMs } = result.window;
    const inMs = Math.max(0, startMs - this.#now());
    const endsMs = this.#durationMs === undefined ? undefined : startedMs + this.#durationMs;
    const tooShort = endsMs !== undefined && endsMs <= startMs;
    if (!this.human) {
      this.#log.info('first scrapes planned', {
        firstScrapeMs: startMs,
        windowEndMs: endMs,
        inMs,
        targets: result.targets,
        scrapes: result.scrapes,
      });
      if (tooShort)
        this.#log.warn('the run ends before the first scrape', { firstScrapeMs: startMs });
      return;
    }
    if (result.targets === 0) {
      this.#write(
        'warning: no targets: nothing to scrape (check scrape_configs and their discovery)\n',
      );
      return;
    }
    const margin = formatDuration(DEFAULT_WINDOW_MARGIN_MS);
    this.#write(
      `first scrapes at ${clock(startMs)} (in ${seconds(inMs)}): each dispatch plans the first ` +
        `whole window at least ${margin} ahead; ${plural(result.targets, 'target')}, ` +
        `${plural(result.scrapes, 'scrape')} planned for ${clock(startMs)}–${clock(endMs)}\n`,
    );
    if (tooShort) {
      this.#write(
        `warning: the run ends at ${clock(endsMs)}, before the first scrape: nothing will be ` +
          `scraped; give --duration ${formatDuration(Math.ceil((endMs - startedMs) / 1_000) * 1_000)} or more\n`,
      );
    }
  }

  taskDone(task: ScrapeTask, outcome: TaskOutcome): void {
    for (const down of this.stats.taskDone(task, outcome)) {
      if (this.human) {
        const where = isLoopback(down.url)
          ? "  a loopback address is this machine under simulate, and the function's own " +
            'sandbox once deployed: a deployment cannot scrape it either'
          : '  simulate scrapes from this machine: the target must run and be reachable from here';
        this.#write(
          `warning: job "${down.job}": target ${down.url} is down: ${down.error}\n` +
            `${where} (reported once per target; the summary counts its scrapes)\n`,
        );
      } else {
        this.#log.warn('target down: not reachable from where simulate runs?', {
          job: down.job,
          url: down.url,
          err: down.error,
        });
      }
    }
  }

  replayed(outcomes: readonly ReplayOutcome[]): void {
    this.stats.replayed(outcomes);
  }

  /**
   * One JSON line of the simulated functions' logger (human format only): its warnings and
   * errors are shown, each message once; the rest is left to `--log-format json`.
   */
  functionLine(line: string): void {
    if (!this.human) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ts: _ts, ...fields } = record;
    if ((level !== 'warn' && level !== 'error') || typeof msg !== 'string') return;
    const count = this.#seen.get(msg) ?? 0;
    this.#seen.set(msg, count + 1);
    if (count > 0) return;
    const details = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const text = details === '' ? msg : `${msg} (${truncate(details, 300)})`;
    this.#write(`${level === 'warn' ? 'warning' : 'error'}: ${text}\n`);
  }

  /** The status line of the period that ends now (human format; nothing in json). */
  status(extras: StatusExtras): void {
    if (!this.human) return;
    const period = this.stats.takePeriod();
    const parts: string[] = [];
    const first = this.stats.firstWindow;
    if (this.stats.scrapes === 0) {
      parts.push(
        first === undefined
          ? 'no scrape yet'
          : `no scrape yet (first at ${clock(first.startMs)}, in ${seconds(Math.max(0, first.startMs - this.#now()))})`,
      );
    } else {
      const h = this.stats.health();
      const sorted = [...period.latenessMs].sort((a, b) => a - b);
      parts.push(
        `targets ${h.up} up, ${h.down} down`,
        `scrapes ${this.stats.scrapes} (+${period.scrapes})`,
        `lateness p99 ${ms(quantile(sorted, 0.99))}`,
      );
    }
    parts.push(`outbox ${extras.outboxDepth ?? '?'}`);
    parts.push(
      extras.monthlyUsd === undefined
        ? 'cost: after warm-up'
        : `≈ $${extras.monthlyUsd.toFixed(2)}/month so far`,
    );
    this.#write(`${clock(this.#now())}  ${parts.join(' · ')}\n`);
  }

  /** The summary at the end: human text, or one `simulation summary` JSON line. */
  summary(extras: {
    readonly outboxDepth: number | undefined;
    readonly remoteWrites: number;
  }): void {
    const s = this.stats;
    const lateness = s.lateness();
    const ranMs = this.#now() - (this.#startedMs ?? this.#now());
    if (!this.human) {
      this.#log.info('simulation summary', {
        durationMs: ranMs,
        scrapes: s.scrapes,
        up: s.up,
        down: s.down,
        lateDropped: s.late,
        jobs: s.jobs(),
        samples: {
          written: s.samples,
          delivered: s.samplesSent,
          parked: s.samplesParked,
          replayed: s.samplesReplayed,
          deadLettered: s.samplesDeadLettered,
          rejected: s.samplesRejected,
        },
        writesLost: s.writesLost,
        outboxDepth: extras.outboxDepth,
        latenessMs: lateness,
        repeated: Object.fromEntries([...this.#seen].filter(([, n]) => n > 1)),
      });
      return;
    }
    const lines: string[] = [];
    lines.push(
      `summary: ran ${formatDuration(Math.round(ranMs / 1_000) * 1_000 || 1_000)}, ` +
        `${plural(s.scrapes, 'scrape')}: ${s.up} up, ${s.down} down` +
        (s.late > 0 ? `, ${s.late} slots dropped late` : ''),
    );
    if (s.scrapes === 0) {
      const first = s.firstWindow;
      lines.push(
        first === undefined
          ? '  nothing was scraped: no window was planned'
          : first.startMs > this.#now()
            ? `  nothing was scraped: the run ended before the first scrapes (planned from ${clock(first.startMs)})`
            : `  nothing was scraped (the first scrapes were planned from ${clock(first.startMs)})`,
      );
    }
    const jobs = s.jobs();
    if (jobs.length > 0) {
      const width = Math.max(3, ...jobs.map((j) => j.job.length));
      lines.push(`  ${'job'.padEnd(width)}  targets  scrapes      up    down`);
      for (const j of jobs) {
        lines.push(
          `  ${j.job.padEnd(width)}  ${pad(j.targets, 7)}  ${pad(j.scrapes, 7)}  ${pad(j.up, 6)}  ${pad(j.down, 6)}`,
        );
      }
    }
    const outbox =
      extras.outboxDepth === undefined
        ? ''
        : `, ${plural(extras.outboxDepth, 'write')} still there`;
    lines.push(
      extras.remoteWrites === 0
        ? `  samples: ${s.samples} written (scraped, up and the other report series), sent nowhere (no remote_write)`
        : `  samples: ${s.samples} written, ${s.samplesSent} delivered, ${s.samplesParked} parked ` +
            `in the outbox (${s.samplesReplayed} delivered from it later${outbox}), ` +
            `${s.samplesRejected} rejected` +
            (s.writesLost > 0 ? `, ${plural(s.writesLost, 'write')} lost` : ''),
    );
    if (s.scrapes > 0) {
      lines.push(
        `  lateness (read time − slot): p50 ${ms(lateness.p50)}, p99 ${ms(lateness.p99)}, max ${ms(lateness.max)}`,
      );
    }
    for (const [msg, n] of this.#seen) {
      if (n > 1) lines.push(`  repeated ${n} times: ${msg}`);
    }
    this.#write(`${lines.join('\n')}\n`);
  }
}

/** The URL's host is a loopback address (127.0.0.0/8, ::1, localhost). */
function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** HH:MM:SS on the machine's clock. */
function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

function seconds(durationMs: number): string {
  return `${Math.round(durationMs / 1_000)} s`;
}

function ms(value: number): string {
  return Number.isNaN(value) ? '–' : `${Math.round(value)} ms`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
