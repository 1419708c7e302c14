/**
 * The setup shared by the remote-write end-to-end tests (test/e2e/remote-write-*.test.ts):
 *
 *   node_exporter ─┐                       ┌─ lambdascrape LocalRunner (in-process), jobs ls-node, ls-pgw,
 *                  ├── scraped every 2 s by┤   external label scraper="lambdascrape"
 *   pushgateway  ──┘                       └─ Prometheus in agent mode (the reference), jobs ref-node,
 *                                              ref-pgw, external label scraper="reference"
 *   … both remote-write into the same backend (Prometheus or VictoriaMetrics), which the tests query.
 *
 * The pushgateway is scraped with honor_labels: true (as users do), so the pushed series carry
 * the pushed job label, not the scrape job's; the `scraper` external label is what tells the two
 * writers' series apart (it is added only where a series lacks it, §11.1).
 */
import { loadConfig } from '../../src/config/index.js';
import { LocalRunner } from '../../src/local/runner.js';
import { createLogger } from '../../src/log/logger.js';
import { pollUntil } from './poll.js';
import {
  type PromMatrixSeries,
  pushToGateway,
  queryInstant,
  queryMatrix,
  type RestartableProcess,
  type RunningProcess,
  startNodeExporter,
  startPrometheus,
  startPushgateway,
} from './processes.js';
import { runnerMetric } from './runner-metric.js';

/** Scrape interval of both scrapers: short for a test, long enough that a scrape never overlaps the next. */
export const INTERVAL_MS = 2_000;
export const SCRAPE_TIMEOUT = '1500ms';

export const OURS = 'lambdascrape';
export const REFERENCE = 'reference';

/** Grouping key of the pushed metrics. */
export const PUSH_JOB = 'e2e-batch';
export const PUSH_INSTANCE = 'batch-1';

/** A counter, a gauge, a histogram and a summary with fixed values. */
export const PUSHED_METRICS = `# HELP e2e_requests_total Requests handled.
# TYPE e2e_requests_total counter
e2e_requests_total{path="/a"} 1027
e2e_requests_total{path="/b"} 3
# HELP e2e_temperature_celsius Current temperature.
# TYPE e2e_temperature_celsius gauge
e2e_temperature_celsius 21.5
# HELP e2e_latency_seconds Request latency.
# TYPE e2e_latency_seconds histogram
e2e_latency_seconds_bucket{le="0.1"} 4
e2e_latency_seconds_bucket{le="0.5"} 9
e2e_latency_seconds_bucket{le="1"} 11
e2e_latency_seconds_bucket{le="+Inf"} 12
e2e_latency_seconds_sum 6.25
e2e_latency_seconds_count 12
# HELP e2e_size_bytes Payload sizes.
# TYPE e2e_size_bytes summary
e2e_size_bytes{quantile="0.5"} 512
e2e_size_bytes{quantile="0.99"} 2048
e2e_size_bytes_sum 40960
e2e_size_bytes_count 64
`;

/** What the backend must hold for the pushed metrics (normalized keys, see {@link seriesKey}). */
export const PUSHED_VALUES: Readonly<Record<string, number>> = (() => {
  const g = { instance: PUSH_INSTANCE, job: PUSH_JOB };
  const entries: [Record<string, string>, number][] = [
    [{ __name__: 'e2e_requests_total', path: '/a', ...g }, 1027],
    [{ __name__: 'e2e_requests_total', path: '/b', ...g }, 3],
    [{ __name__: 'e2e_temperature_celsius', ...g }, 21.5],
    [{ __name__: 'e2e_latency_seconds_bucket', le: '0.1', ...g }, 4],
    [{ __name__: 'e2e_latency_seconds_bucket', le: '0.5', ...g }, 9],
    [{ __name__: 'e2e_latency_seconds_bucket', le: '1', ...g }, 11],
    [{ __name__: 'e2e_latency_seconds_bucket', le: '+Inf', ...g }, 12],
    [{ __name__: 'e2e_latency_seconds_sum', ...g }, 6.25],
    [{ __name__: 'e2e_latency_seconds_count', ...g }, 12],
    [{ __name__: 'e2e_size_bytes', quantile: '0.5', ...g }, 512],
    [{ __name__: 'e2e_size_bytes', quantile: '0.99', ...g }, 2048],
    [{ __name__: 'e2e_size_bytes_sum', ...g }, 40960],
    [{ __name__: 'e2e_size_bytes_count', ...g }, 64],
  ];
  return Object.fromEntries(entries.map(([labels, v]) => [seriesKey(labels), v]));
})();

/** The five report series written after every scrape (§7). */
export const REPORT_SERIES = [
  'scrape_duration_seconds',
  'scrape_samples_post_metric_relabeling',
  'scrape_samples_scraped',
  'scrape_series_added',
  'up',
] as const;
export const REPORT_SELECTOR = `__name__=~"${REPORT_SERIES.join('|')}"`;

/**
 * A series as a comparable string: without the `scraper` label, the scrape job reduced to its
 * target kind (`ls-node` and `ref-node` → `node`), and `le`/`quantile` compared as numbers:
 * Debian's Prometheus 2.42 keeps them as exposed (`le="1"`) while we follow Prometheus 3's
 * canonical float form (`le="1.0"`, §5.1).
 */
export function seriesKey(metric: Readonly<Record<string, string>>): string {
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(metric)) {
    if (name === 'scraper') continue;
    if (name === 'job') rest[name] = value.replace(/^(?:ls|ref)-/, '');
    else if (name === 'le' || name === 'quantile') rest[name] = String(promFloat(value));
    else rest[name] = value;
  }
  const names = Object.keys(rest).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(rest[n])}`).join(', ')}}`;
}

/** A float as the text format writes it (`+Inf`, `-Inf`, `NaN` or a decimal/exponent number). */
export function promFloat(text: string): number {
  const t = text.toLowerCase();
  if (t === '+inf' || t === 'inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Prometheus API seconds (possibly fractional) → whole ms. */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

export function timestampsMs(series: PromMatrixSeries): number[] {
  return series.values.map(([t]) => toMs(t));
}

export function deltas(values: readonly number[]): number[] {
  return values.slice(1).map((v, i) => v - values[i]!);
}

export interface Backend {
  /** Base URL for queries. */
  readonly url: string;
  /** Where remote write goes. */
  readonly writeUrl: string;
}

export interface Stack {
  readonly backend: Backend;
  readonly exporter: RestartableProcess;
  readonly pushgateway: RunningProcess;
  readonly reference: RunningProcess;
  readonly runner: LocalRunner;
  /** The runner's recent log lines (for failure messages). */
  logs(): string;
  /** Sum of the values of `name` on the runner's /metrics (all label sets). */
  /** Sum of the runner's series `name` whose labels include every `label="value"` of `labels`. */
  runnerMetric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** Instant query; `timeMs` in ms. */
  query(expr: string, timeMs?: number): ReturnType<typeof queryInstant>;
  /** Instant query of a range selector; `timeMs` in ms. */
  matrix(expr: string, timeMs?: number): Promise<PromMatrixSeries[]>;
  stop(): Promise<void>;
}

function runnerYaml(backend: Backend, exporterPort: number, gatewayPort: number): string {
  return `
global:
  scrape_interval: ${INTERVAL_MS / 1000}s
  scrape_timeout: ${SCRAPE_TIMEOUT}
  external_labels:
    scraper: ${OURS}
scrape_configs:
  - job_name: ls-node
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
  - job_name: ls-pgw
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:${gatewayPort}']
remote_write:
  - url: ${backend.writeUrl}
    name: backend
`;
}

function referenceYaml(backend: Backend, exporterPort: number, gatewayPort: number): string {
  return `
global:
  scrape_interval: ${INTERVAL_MS / 1000}s
  scrape_timeout: ${SCRAPE_TIMEOUT}
  external_labels:
    scraper: ${REFERENCE}
scrape_configs:
  - job_name: ref-node
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
  - job_name: ref-pgw
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:${gatewayPort}']
remote_write:
  - url: ${backend.writeUrl}
    queue_config:
      batch_send_deadline: 1s
`;
}

/**
 * Starts node_exporter and a pushgateway (and pushes {@link PUSHED_METRICS}), then the
 * reference Prometheus (agent mode) and our runner, both writing to `backend`; resolves once
 * each scraper's samples of both targets are queryable in the backend.
 */
export async function startStack(backend: Backend): Promise<Stack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const p of started.splice(0).reverse()) await p.stop();
  };
  try {
    const [exporter, pushgateway] = await Promise.all([startNodeExporter(), startPushgateway()]);
    started.push(exporter, pushgateway);
    await pushToGateway(pushgateway.url, PUSH_JOB, PUSHED_METRICS, { instance: PUSH_INSTANCE });

    const reference = await startPrometheus(
      referenceYaml(backend, exporter.port, pushgateway.port),
      { agent: true },
    );
    started.push(reference);

    let log: string[] = [];
    const logger = createLogger({
      level: 'info',
      write: (line) => {
        log.push(line);
        if (log.length > 200) log = log.slice(-100);
      },
    });
    const runner = new LocalRunner({
      config: loadConfig(runnerYaml(backend, exporter.port, pushgateway.port), {
        sourcePath: 'e2e-remote-write.yml',
      }),
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      flushTimeoutMs: 3_000,
    });
    started.push(runner);
    await runner.start();

    const stack: Stack = {
      backend,
      exporter,
      pushgateway,
      reference,
      runner,
      logs: () => log.join(''),
      runnerMetric: (name, labels = {}) => runnerMetric(`${runner.url}`, name, labels),
      query: (expr, timeMs) =>
        queryInstant(backend.url, expr, timeMs === undefined ? undefined : timeMs / 1000),
      matrix: (expr, timeMs) =>
        queryMatrix(backend.url, expr, timeMs === undefined ? undefined : timeMs / 1000),
      stop: stopAll,
    };

    // Both scrapers have delivered at least three scrapes of both targets.
    for (const [scraper, prefix] of [
      [OURS, 'ls'],
      [REFERENCE, 'ref'],
    ] as const) {
      await pollUntil(
        async () => {
          const up = await stack.query(
            `count_over_time(up{scraper="${scraper}", job=~"${prefix}-node|${prefix}-pgw"}[1m]) >= 3`,
          );
          return up.length === 2 ? true : undefined;
        },
        {
          what: `${scraper} scrapes reach the backend`,
          timeoutMs: 45_000,
          describe: () =>
            `runner log:\n${stack.logs()}\nreference:\n${reference.output().slice(-3000)}`,
        },
      );
    }
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The live series of one scraper (what an instant query at `timeMs` returns: each series'
 * latest sample, minus the ones a stale marker ended), as normalized key → value.
 */
export async function liveSeries(
  stack: Stack,
  scraper: string,
  selector = '',
  timeMs?: number,
): Promise<Map<string, string>> {
  const rows = await stack.query(
    `{scraper="${scraper}"${selector === '' ? '' : `, ${selector}`}}`,
    timeMs,
  );
  return new Map(rows.map((r) => [seriesKey(r.metric), r.value[1]]));
}

/** Keys in one map and not the other, for a readable assertion. */
export function difference(
  ours: ReadonlyMap<string, unknown>,
  theirs: ReadonlyMap<string, unknown>,
): { onlyOurs: string[]; onlyTheirs: string[] } {
  return {
    onlyOurs: [...ours.keys()].filter((k) => !theirs.has(k)).sort(),
    onlyTheirs: [...theirs.keys()].filter((k) => !ours.has(k)).sort(),
  };
}
