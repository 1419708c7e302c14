/**
 * The monthly AWS bill of a deployment, from what a `lambdascrape simulate` run measured. Pure
 * arithmetic: no I/O, no clock. `src/cli/simulate.ts` measures; this module prices.
 *
 * Extrapolation from the measured period (its duration D) to a month of 730 hours:
 * - scraper and outbox: per scrape. Each quantity the function used in D (invocations, billed
 *   GB-seconds, SQS requests, DynamoDB units, log bytes) is divided by the scrapes done in D
 *   and multiplied by the scrapes a month at the config's scrape rate (Σ over targets of
 *   1 / scrape_interval, × 730 × 3600 s). A run with no scrapes but a non-zero rate falls back
 *   to time (× 730 h / D) and says so in `notes`.
 * - discovery and dispatcher: per invocation, × 43,800 (one run a minute).
 * - receives that found an idle queue empty: per time (× 730 h / D), times the number of
 *   pollers Lambda keeps on each queue (simulate runs one poll loop per queue).
 * - INIT: each container start bills the runtime's set-up (measured once per deployment) at
 *   the function's memory; containers = the function's peak concurrency in D, each replaced
 *   every `containerLifetimeHours`.
 * - CPU share: the times were measured on this machine's full core, but below
 *   {@link FULL_VCPU_MEMORY_MB} Lambda gives a function only memory / 1,769 of a vCPU, so the
 *   same work takes 1,769 / memory times as long there. Each function's billed time is
 *   (measured − waiting) × {@link cpuScale}(memory) + waiting, where waiting is the scraper's
 *   `waitedMs` (time not spent on the CPU; every other function's time is all work), and INIT
 *   (CPU work: loading modules, building clients) is scaled too. So CPU-bound work costs
 *   1,769 / 1,024 ≈ 1.73 GB-s per CPU-second at any memory below 1,769 MB: a smaller memory
 *   does not make it cheaper. An upper bound only if a Lambda vCPU is as fast as the
 *   measuring core (and I/O counted as work is billed as if it were CPU).
 * - SQS: requests on the standard queues (the scrape queue and its DLQ) at
 *   `sqs_million_requests`, on the FIFO queues (the outbox and its DLQ, decision 13) at
 *   `sqs_fifo_million_requests`. A measurement that does not count a function's FIFO requests
 *   apart (`fifoSqsRequests`) has all of the outbox function's requests and its poller's empty
 *   receives priced as FIFO and every other function's as standard: the scraper's parking sends
 *   are then priced at the standard rate ($0.10 a million too low).
 * - custom metrics, the dashboard and alarms are monthly items, counted as they are.
 * Free tiers are not applied. Log storage is not priced (it depends on retention).
 */

export const FUNCTION_NAMES = ['discovery', 'dispatcher', 'scraper', 'outbox'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3_600;
/** Runs a month of a function scheduled every minute. */
export const SCHEDULED_RUNS_PER_MONTH = HOURS_PER_MONTH * 60;
/** SQS bills each started 64 KiB of a request's payload as one request. */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1_024;
const GIB = 1_024 ** 3;

/**
 * Unit prices in USD: AWS list prices for us-east-1 as published in December 2026 (Lambda on
 * arm64, SQS standard and FIFO queues, DynamoDB on-demand, CloudWatch standard). Each is
 * overridable.
 */
export const DEFAULT_PRICES = {
  lambda_gb_second: 0.0000133334,
  lambda_million_requests: 0.2,
  sqs_million_requests: 0.4,
  sqs_fifo_million_requests: 0.5,
  dynamodb_million_rru: 0.125,
  dynamodb_million_wru: 0.625,
  logs_ingested_gb: 0.5,
  custom_metric_month: 0.3,
  dashboard_month: 3,
  alarm_metric_month: 0.1,
} as const;
export type PriceKey = keyof typeof DEFAULT_PRICES;
export type Prices = Readonly<Record<PriceKey, number>>;

export const PRICE_UNITS: Readonly<Record<PriceKey, string>> = {
  lambda_gb_second: 'per GB-second (arm64)',
  lambda_million_requests: 'per million invocations',
  sqs_million_requests: 'per million standard-queue requests (64 KiB chunks)',
  sqs_fifo_million_requests: 'per million FIFO-queue requests (64 KiB chunks): the outbox',
  dynamodb_million_rru: 'per million read request units',
  dynamodb_million_wru: 'per million write request units',
  logs_ingested_gb: 'per GiB of logs ingested',
  custom_metric_month: 'per custom metric a month',
  dashboard_month: 'per dashboard a month',
  alarm_metric_month: 'per standard-resolution alarm metric a month',
};

/**
 * The memory size at which a function has one full vCPU, MB. AWS Lambda Developer Guide,
 * "Configuring Lambda function memory"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): "Lambda allocates
 * CPU power in proportion to the amount of memory configured. … At 1,769 MB, a function has the
 * equivalent of one vCPU (one vCPU-second of credits per second)."
 */
export const FULL_VCPU_MEMORY_MB = 1_769;

/**
 * How many times longer CPU-bound work takes at `memoryMb` than on one full core:
 * 1,769 / `memoryMb` below {@link FULL_VCPU_MEMORY_MB}, 1 at or above it (more memory gives
 * more than one vCPU, but the work of one invocation runs on one JavaScript thread).
 */
export function cpuScale(memoryMb: number): number {
  return Math.max(1, FULL_VCPU_MEMORY_MB / memoryMb);
}

/**
 * Bytes of Lambda's own START, END and REPORT lines per invocation when they are ingested
 * (estimate): the construct with `platformLogs: true`. By default (`platformLogs` off) the
 * functions log in Lambda's JSON format with the system log level WARN, and those lines are
 * not sent to CloudWatch Logs at all (infra/lambda-scraper.ts).
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 300;

/** The construct's default memory sizes (infra/lambda-scraper-props.ts), MB. */
export const DEFAULT_MEMORY_MB: Readonly<Record<FunctionName, number>> = {
  discovery: 512,
  dispatcher: 1_024,
  scraper: 1_024,
  outbox: 512,
};

/**
 * Metrics the construct's default alarms watch (infra/dashboard.ts): the two DLQ alarms and
 * parked writes, one built-in queue metric each. CloudWatch bills an alarm per metric it
 * evaluates.
 */
export const DEFAULT_ALARM_METRICS = 3;
/**
 * With `detailedMonitoring`: those three, lateness p99 and one error alarm per function watch
 * one metric each; the data-lost alarm is a math expression over three.
 */
export const DETAILED_ALARM_METRICS = 11;

export interface CostModelOptions {
  readonly prices: Prices;
  readonly memoryMb: Readonly<Record<FunctionName, number>>;
  readonly alarmMetrics: number;
  readonly dashboards: number;
  /** Long polls Lambda keeps open on each SQS event source. @default 5 */
  readonly pollersPerQueue: number;
  /** How long a container lives before Lambda starts a new one, hours. @default 2 */
  readonly containerLifetimeHours: number;
  /**
   * Bytes of Lambda's own START, END and REPORT lines per invocation that reach CloudWatch Logs.
   * @default 0: the construct's default drops them (see {@link platformLogsModel})
   */
  readonly platformLogBytesPerInvocation: number;
}

/** The model of a deployment with `detailedMonitoring` (its EMF metrics are measured). */
export function detailedMonitoringModel(model: CostModelOptions): CostModelOptions {
  return { ...model, alarmMetrics: DETAILED_ALARM_METRICS, dashboards: 1 };
}

/**
 * The model of a deployment with `platformLogs: true`: Lambda's START, END and REPORT lines
 * are ingested, {@link PLATFORM_LOG_BYTES_PER_INVOCATION} bytes per invocation.
 */
export function platformLogsModel(model: CostModelOptions): CostModelOptions {
  return { ...model, platformLogBytesPerInvocation: PLATFORM_LOG_BYTES_PER_INVOCATION };
}

/**
 * The function that consumes the FIFO outbox (decision 13). Its poller's receives are on the
 * outbox; its own calls go to the outbox (deletes, back-offs) and the outbox DLQ (FIFO too).
 */
export const FIFO_QUEUE_CONSUMER: FunctionName = 'outbox';

/** Of `f`'s SQS requests, those on a FIFO queue (see {@link FunctionMeasurement.fifoSqsRequests}). */
function fifoRequestsOf(fn: FunctionName, f: FunctionMeasurement): number {
  const fifo = f.fifoSqsRequests ?? (fn === FIFO_QUEUE_CONSUMER ? f.sqsRequests : 0);
  return Math.min(f.sqsRequests, Math.max(0, fifo));
}

export const DEFAULT_COST_MODEL: CostModelOptions = {
  prices: DEFAULT_PRICES,
  memoryMb: DEFAULT_MEMORY_MB,
  alarmMetrics: DEFAULT_ALARM_METRICS,
  dashboards: 0,
  pollersPerQueue: 5,
  containerLifetimeHours: 2,
  platformLogBytesPerInvocation: 0,
};

/** What one function did in the measured period. */
export interface FunctionMeasurement {
  /** Invocations in the period. */
  readonly invocations: number;
  /**
   * Duration of each invocation as measured here (on a full core), ms, each rounded up to a
   * whole ms. What Lambda bills is this with its work scaled to the memory's CPU share.
   */
  readonly billedMs: readonly number[];
  /**
   * Scraper: ms of `billedMs` spent waiting for slots (per invocation, the longest task's
   * wait), not on the CPU. 0 for the other functions: all their time counts as work.
   */
  readonly waitedMs: number;
  /** Billed SQS requests it made (sends, receives with messages, deletes, attributes). */
  readonly sqsRequests: number;
  /**
   * Of `sqsRequests`, those made on a FIFO queue (the outbox and its DLQ), billed at the FIFO
   * price. @default when not counted apart: all of {@link FIFO_QUEUE_CONSUMER}'s, none of the
   * other functions'
   */
  readonly fifoSqsRequests?: number;
  /** Receives of its poller that returned no message (FIFO for {@link FIFO_QUEUE_CONSUMER}). */
  readonly emptyReceives: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Bytes of its log and EMF lines. */
  readonly logBytes: number;
  /** Most invocations in flight at once. */
  readonly peakConcurrency: number;
  /** The runtime's set-up, ms: what a cold start bills besides the first invocation. */
  readonly initMs: number;
}

export interface CostMeasurement {
  /** Length of the measured period, ms. */
  readonly durationMs: number;
  readonly functions: Readonly<Record<FunctionName, FunctionMeasurement>>;
  /** Scrapes done in the period (outcomes `scraped`). */
  readonly scrapes: number;
  /** The scrape rate to extrapolate to: Σ over targets of 1 / scrape_interval in s. */
  readonly scrapesPerSecond: number;
  /** Distinct EMF metrics (namespace, name, dimension values) emitted. */
  readonly customMetrics: number;
  /** Read time − slot of each scrape, ms. */
  readonly latenessMs: readonly number[];
  /** The process's peak resident set size, bytes (every function in one process). */
  readonly peakRssBytes: number;
}

export type CostGroup = 'lambda' | 'sqs' | 'dynamodb' | 'logs' | 'cloudwatch' | 'schedules';

export interface CostLine {
  readonly group: CostGroup;
  readonly item: string;
  /** Quantity a month, in `unit`. */
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface Distribution {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface FunctionReport {
  readonly name: FunctionName;
  readonly memoryMb: number;
  /** What the work (measured − waiting) is multiplied by: {@link cpuScale} of `memoryMb`. */
  readonly cpuScale: number;
  readonly invocations: number;
  readonly invocationsPerMonth: number;
  /** Measured duration of an invocation (full core, before the CPU scaling), ms. */
  readonly billedMsP50: number;
  readonly billedMsP99: number;
  /** Share of the measured time spent waiting for slots (scraper), 0–1. */
  readonly waitShare: number;
  readonly usd: number;
}

export interface CostReport {
  readonly durationMs: number;
  readonly scrapes: number;
  readonly scrapesPerSecond: number;
  readonly scrapesPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly byGroup: Readonly<Record<CostGroup, number>>;
  readonly functions: readonly FunctionReport[];
  /** Whole-deployment quantities a month divided by scrapes a month (NaN without scrapes). */
  readonly perScrape: {
    /** The scraper's billed ms (work scaled to its memory's CPU share, plus waiting). */
    readonly billedMs: number;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly sqsRequests: number;
    readonly logBytes: number;
  };
  readonly latenessMs: Distribution;
  readonly peakRssBytes: number;
  readonly customMetrics: number;
  readonly model: CostModelOptions;
  readonly notes: readonly string[];
}

/** Nearest-rank quantile of sorted values (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return {
    count: s.length,
    min: s.length === 0 ? Number.NaN : (s[0] as number),
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s.length === 0 ? Number.NaN : (s[s.length - 1] as number),
  };
}

/** SQS requests billed for one API call whose payload is `bytes` long. */
export function sqsBilledRequests(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / SQS_BILLING_CHUNK_BYTES));
}

/**
 * Parses `key=value` price overrides into a full price table. Throws an `Error` naming the bad
 * entry for an unknown key or a value that is not a finite number ≥ 0.
 */
export function parsePrices(entries: readonly string[], base: Prices = DEFAULT_PRICES): Prices {
  const prices: Record<PriceKey, number> = { ...base };
  for (const entry of entries) {
    const [key, value] = splitAssignment(entry);
    if (!(key in DEFAULT_PRICES)) {
      throw new Error(`unknown price "${key}" (one of ${Object.keys(DEFAULT_PRICES).join(', ')})`);
    }
    prices[key as PriceKey] = nonNegative(entry, value);
  }
  return prices;
}

/** Parses `function=MB` memory overrides; Lambda accepts 128–10,240 MB. */
export function parseMemory(
  entries: readonly string[],
  base: Readonly<Record<FunctionName, number>> = DEFAULT_MEMORY_MB,
): Record<FunctionName, number> {
  const memory: Record<FunctionName, number> = { ...base };
  for (const entry of entries) {
    const [key, value] = splitAssignment(entry);
    if (!(FUNCTION_NAMES as readonly string[]).includes(key)) {
      throw new Error(`unknown function "${key}" (one of ${FUNCTION_NAMES.join(', ')})`);
    }
    const mb = nonNegative(entry, value);
    if (!Number.isInteger(mb) || mb < 128 || mb > 10_240) {
      throw new Error(`"${entry}": memory is a whole number of MB from 128 to 10240`);
    }
    memory[key as FunctionName] = mb;
  }
  return memory;
}

function splitAssignment(entry: string): [string, string] {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new Error(`"${entry}" is not key=value`);
  return [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
}

function nonNegative(entry: string, value: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(`"${entry}": the value must be a number ≥ 0`);
  }
  return n;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Prices a measurement (see the module comment for the extrapolation). */
export function estimateMonthlyCost(
  m: CostMeasurement,
  model: CostModelOptions = DEFAULT_COST_MODEL,
): CostReport {
  const p = model.prices;
  const notes: string[] = [];
  const scrapesPerMonth = m.scrapesPerSecond * SECONDS_PER_MONTH;
  const timeFactor = m.durationMs > 0 ? (SECONDS_PER_MONTH * 1_000) / m.durationMs : 0;
  let perScrapeFactor = m.scrapes > 0 ? scrapesPerMonth / m.scrapes : 0;
  if (m.scrapes === 0 && scrapesPerMonth > 0) {
    perScrapeFactor = timeFactor;
    notes.push(
      'no scrape in the measured period: scraper and outbox extrapolated by time, not per scrape',
    );
  }
  const factorOf = (fn: FunctionName): number => {
    if (fn === 'scraper' || fn === 'outbox') return perScrapeFactor;
    const n = m.functions[fn].invocations;
    if (n === 0) {
      notes.push(
        `${fn}: not invoked in the measured period, priced at 0 (measure across a minute boundary)`,
      );
    }
    return n > 0 ? SCHEDULED_RUNS_PER_MONTH / n : 0;
  };

  const lines: CostLine[] = [];
  const functions: FunctionReport[] = [];
  let sqsMonth = 0;
  let sqsFifoMonth = 0;
  let rruMonth = 0;
  let wruMonth = 0;
  let logBytesMonth = 0;
  let scraperBilledMsMonth = 0;
  for (const fn of FUNCTION_NAMES) {
    const f = m.functions[fn];
    const factor = factorOf(fn);
    const gb = model.memoryMb[fn] / 1_024;
    const scale = cpuScale(model.memoryMb[fn]);
    const invocations = f.invocations * factor;
    const measuredMs = sum(f.billedMs);
    const waitedMs = Math.min(measuredMs, Math.max(0, f.waitedMs));
    const billedMs = ((measuredMs - waitedMs) * scale + waitedMs) * factor;
    if (fn === 'scraper') scraperBilledMsMonth = billedMs;
    const gbSeconds = (billedMs / 1_000) * gb;
    const containers = f.invocations > 0 ? Math.max(1, f.peakConcurrency) : 0;
    const coldStarts = (containers * HOURS_PER_MONTH) / model.containerLifetimeHours;
    const initGbSeconds = ((coldStarts * f.initMs * scale) / 1_000) * gb;
    const usdRequests = (invocations / 1e6) * p.lambda_million_requests;
    const usdDuration = gbSeconds * p.lambda_gb_second;
    const usdInit = initGbSeconds * p.lambda_gb_second;
    lines.push(
      {
        group: 'lambda',
        item: `${fn} invocations`,
        quantity: invocations,
        unit: 'requests',
        usd: usdRequests,
      },
      {
        group: 'lambda',
        item: `${fn} duration (${model.memoryMb[fn]} MB)`,
        quantity: gbSeconds,
        unit: 'GB-s',
        usd: usdDuration,
      },
      {
        group: 'lambda',
        item: `${fn} INIT (${Math.round(coldStarts)} cold starts)`,
        quantity: initGbSeconds,
        unit: 'GB-s',
        usd: usdInit,
      },
    );
    const fifoRequests = fifoRequestsOf(fn, f);
    const emptyReceives = f.emptyReceives * model.pollersPerQueue * timeFactor;
    sqsMonth += (f.sqsRequests - fifoRequests) * factor;
    sqsFifoMonth += fifoRequests * factor;
    if (fn === FIFO_QUEUE_CONSUMER) sqsFifoMonth += emptyReceives;
    else sqsMonth += emptyReceives;
    rruMonth += f.readUnits * factor;
    wruMonth += f.writeUnits * factor;
    const logBytes = (f.logBytes + f.invocations * model.platformLogBytesPerInvocation) * factor;
    logBytesMonth += logBytes;
    const sorted = [...f.billedMs].sort((a, b) => a - b);
    functions.push({
      name: fn,
      memoryMb: model.memoryMb[fn],
      cpuScale: scale,
      invocations: f.invocations,
      invocationsPerMonth: invocations,
      billedMsP50: quantile(sorted, 0.5),
      billedMsP99: quantile(sorted, 0.99),
      waitShare: measuredMs > 0 ? waitedMs / measuredMs : 0,
      usd: usdRequests + usdDuration + usdInit,
    });
  }
  const usdLogs = (logBytesMonth / GIB) * p.logs_ingested_gb;
  lines.push(
    {
      group: 'sqs',
      item: 'SQS requests (standard: scrape queue)',
      quantity: sqsMonth,
      unit: 'requests',
      usd: (sqsMonth / 1e6) * p.sqs_million_requests,
    },
    {
      group: 'sqs',
      item: 'SQS requests (FIFO: outbox)',
      quantity: sqsFifoMonth,
      unit: 'requests',
      usd: (sqsFifoMonth / 1e6) * p.sqs_fifo_million_requests,
    },
    {
      group: 'dynamodb',
      item: 'DynamoDB reads',
      quantity: rruMonth,
      unit: 'RRU',
      usd: (rruMonth / 1e6) * p.dynamodb_million_rru,
    },
    {
      group: 'dynamodb',
      item: 'DynamoDB writes',
      quantity: wruMonth,
      unit: 'WRU',
      usd: (wruMonth / 1e6) * p.dynamodb_million_wru,
    },
    {
      group: 'logs',
      item: 'CloudWatch Logs ingestion',
      quantity: logBytesMonth / GIB,
      unit: 'GiB',
      usd: usdLogs,
    },
    {
      group: 'cloudwatch',
      item: 'custom metrics (EMF)',
      quantity: m.customMetrics,
      unit: 'metrics',
      usd: m.customMetrics * p.custom_metric_month,
    },
    {
      group: 'cloudwatch',
      item: 'dashboard',
      quantity: model.dashboards,
      unit: 'dashboards',
      usd: model.dashboards * p.dashboard_month,
    },
    {
      group: 'cloudwatch',
      item: 'alarms',
      quantity: model.alarmMetrics,
      unit: 'alarm metrics',
      usd: model.alarmMetrics * p.alarm_metric_month,
    },
    {
      group: 'schedules',
      item: 'EventBridge schedules',
      quantity: 2 * SCHEDULED_RUNS_PER_MONTH,
      unit: 'runs',
      usd: 0,
    },
  );
  const byGroup: Record<CostGroup, number> = {
    lambda: 0,
    sqs: 0,
    dynamodb: 0,
    logs: 0,
    cloudwatch: 0,
    schedules: 0,
  };
  for (const l of lines) byGroup[l.group] += l.usd;
  const perScrape = (q: number): number => (scrapesPerMonth > 0 ? q / scrapesPerMonth : Number.NaN);
  return {
    durationMs: m.durationMs,
    scrapes: m.scrapes,
    scrapesPerSecond: m.scrapesPerSecond,
    scrapesPerMonth,
    lines,
    totalUsd: sum(lines.map((l) => l.usd)),
    byGroup,
    functions,
    perScrape: {
      billedMs: perScrape(scraperBilledMsMonth),
      readUnits: perScrape(rruMonth),
      writeUnits: perScrape(wruMonth),
      sqsRequests: perScrape(sqsMonth + sqsFifoMonth),
      logBytes: perScrape(logBytesMonth),
    },
    latenessMs: distribution(m.latenessMs),
    peakRssBytes: m.peakRssBytes,
    customMetrics: m.customMetrics,
    model,
    notes,
  };
}

const usd = (v: number): string => (v >= 100 ? `$${v.toFixed(0)}` : `$${v.toFixed(2)}`);
const num = (v: number, digits = 0): string =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
    : '–';

/** The report as a plain-text table (what `simulate` prints on stderr). */
export function formatCostReport(r: CostReport): string {
  const out: string[] = [];
  out.push(
    `cost estimate: ${num(r.durationMs / 1_000)} s measured, ${num(r.scrapes)} scrapes; ` +
      `extrapolated to ${num(r.scrapesPerSecond, 2)} scrapes/s (${num(r.scrapesPerMonth / 1e6, 1)} M a month), 730 h; no free tier`,
    '',
    'function     MB    invocations   a month    measured ms p50/p99   waiting   CPU ×   $/month',
  );
  for (const f of r.functions) {
    out.push(
      `${f.name.padEnd(11)} ${String(f.memoryMb).padStart(5)} ${num(f.invocations).padStart(13)} ` +
        `${num(f.invocationsPerMonth).padStart(12)}   ${`${num(f.billedMsP50)} / ${num(f.billedMsP99)}`.padStart(17)}` +
        `   ${f.name === 'scraper' ? `${num(100 * f.waitShare)} %`.padStart(7) : '      –'}` +
        `   ${num(f.cpuScale, 2).padStart(5)}   ${usd(f.usd).padStart(7)}`,
    );
  }
  out.push(
    '',
    'line item                                    a month                       $/month',
  );
  for (const l of r.lines) {
    out.push(
      `${l.item.padEnd(44)} ${`${num(l.quantity, l.quantity < 10 ? 2 : 0)} ${l.unit}`.padEnd(28)} ${usd(l.usd).padStart(8)}`,
    );
  }
  out.push(
    `${'total'.padEnd(73)} ${usd(r.totalUsd).padStart(8)}`,
    `  lambda ${usd(r.byGroup.lambda)} · sqs ${usd(r.byGroup.sqs)} · dynamodb ${usd(r.byGroup.dynamodb)} · ` +
      `logs ${usd(r.byGroup.logs)} · cloudwatch ${usd(r.byGroup.cloudwatch)} · schedules ${usd(r.byGroup.schedules)}`,
    '',
    `per scrape: ${num(r.perScrape.billedMs, 1)} billed scraper ms, ${num(r.perScrape.readUnits, 2)} RRU, ` +
      `${num(r.perScrape.writeUnits, 3)} WRU, ${num(r.perScrape.sqsRequests, 3)} SQS requests, ` +
      `${num(r.perScrape.logBytes)} log bytes`,
    `read time − slot, ms (${num(r.latenessMs.count)} scrapes): min ${num(r.latenessMs.min)}, ` +
      `p50 ${num(r.latenessMs.p50)}, p90 ${num(r.latenessMs.p90)}, p99 ${num(r.latenessMs.p99)}, max ${num(r.latenessMs.max)}`,
    `peak RSS ${num(r.peakRssBytes / 1_048_576)} MiB (every function and the stand-ins in one process: an upper bound per function)`,
    '',
    'prices (USD, us-east-1 list prices, December 2026; --price key=value overrides):',
  );
  const priceKeys = Object.keys(DEFAULT_PRICES) as PriceKey[];
  const keyWidth = Math.max(...priceKeys.map((k) => k.length));
  for (const key of priceKeys) {
    out.push(
      `  ${key.padEnd(keyWidth)} ${String(r.model.prices[key]).padStart(13)}  ${PRICE_UNITS[key]}`,
    );
  }
  const vcpuMb = FULL_VCPU_MEMORY_MB.toLocaleString('en-US');
  const platformBytes = r.model.platformLogBytesPerInvocation;
  const platformLines =
    platformBytes === 0
      ? `no Lambda START/END/REPORT lines (dropped by default; ${PLATFORM_LOG_BYTES_PER_INVOCATION} B an invocation with platformLogs)`
      : `${platformBytes} B of Lambda START/END/REPORT lines per invocation (platformLogs)`;
  out.push(
    `model: ${r.model.pollersPerQueue} Lambda pollers per queue, containers replaced every ` +
      `${r.model.containerLifetimeHours} h, ${platformLines}; log storage not priced;`,
    `  work (measured − waiting, and INIT) scaled to the configured memory's CPU share: × ${vcpuMb} / MB below ${vcpuMb} MB ` +
      '(one vCPU), waiting not scaled; an upper bound only if a Lambda vCPU is as fast as the core that measured it',
  );
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}
