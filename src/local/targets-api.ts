/**
 * `/api/v1/targets` in the shape of Prometheus's HTTP API, so tools written for it work:
 *
 *   {"status":"success","data":{"activeTargets":[{discoveredLabels, labels, scrapePool,
 *     scrapeUrl, globalUrl, lastError, lastScrape, lastScrapeDuration, health, scrapeInterval,
 *     scrapeTimeout}], "droppedTargets":[{discoveredLabels, scrapePool}],
 *     "droppedTargetCounts":{job: n}}}
 *
 * As in Prometheus: `lastScrape` is RFC 3339 (`0001-01-01T00:00:00Z` before the first scrape),
 * `lastError` is "" when none, durations are Prometheus duration strings; pools come in name
 * order; `?state=active|dropped|any` (absent = any, anything else lists no target) and
 * `?scrapePool=<job>` filter the lists; `droppedTargetCounts` covers every pool whatever
 * `scrapePool` says, and is null when dropped targets are not asked for.
 */
import { formatDuration } from '../config/duration.js';
import { labelsToRecord } from '../model/labels.js';
import type { JobView, RelabelStepsView } from './target-view.js';

/** Prometheus's zero time, what Go's `time.Time{}` marshals to. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ActiveTargetJson {
  readonly discoveredLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly globalUrl: string;
  readonly lastError: string;
  readonly lastScrape: string;
  readonly lastScrapeDuration: number;
  readonly health: 'up' | 'down' | 'unknown';
  readonly scrapeInterval: string;
  readonly scrapeTimeout: string;
}

export interface DroppedTargetJson {
  readonly discoveredLabels: Record<string, string>;
  readonly scrapePool: string;
}

export interface TargetsApiResponse {
  readonly status: 'success';
  readonly data: {
    readonly activeTargets: ActiveTargetJson[];
    readonly droppedTargets: DroppedTargetJson[];
    readonly droppedTargetCounts: Record<string, number> | null;
  };
}

export interface TargetsApiQuery {
  /** `active`, `dropped` or `any` (default, also ''); anything else selects no target. */
  readonly state?: string | null;
  /** Only this job. */
  readonly scrapePool?: string | null;
}

export function targetsApiResponse(
  jobs: readonly JobView[],
  hostname: string,
  query: TargetsApiQuery = {},
): TargetsApiResponse {
  const state = (query.state ?? '').toLowerCase();
  const showActive = state === '' || state === 'any' || state === 'active';
  const showDropped = state === '' || state === 'any' || state === 'dropped';
  const pool = query.scrapePool ?? '';
  const sorted = [...jobs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const selected = pool === '' ? sorted : sorted.filter((j) => j.name === pool);
  const activeTargets: ActiveTargetJson[] = [];
  const droppedTargets: DroppedTargetJson[] = [];
  let droppedTargetCounts: Record<string, number> | null = null;
  if (showDropped) {
    droppedTargetCounts = {};
    for (const job of sorted) droppedTargetCounts[job.name] = job.droppedCount;
  }
  for (const job of selected) {
    if (showActive) {
      for (const t of job.targets) {
        activeTargets.push({
          discoveredLabels: labelsToRecord(t.discoveredLabels),
          labels: labelsToRecord(t.labels),
          scrapePool: job.name,
          scrapeUrl: t.url,
          globalUrl: globalUrl(t.url, hostname),
          lastError: t.lastError ?? '',
          lastScrape:
            t.lastScrapeMs === undefined ? ZERO_TIME : new Date(t.lastScrapeMs).toISOString(),
          lastScrapeDuration: t.lastDurationSeconds ?? 0,
          health: t.health,
          scrapeInterval: formatDuration(t.intervalMs),
          scrapeTimeout: formatDuration(t.timeoutMs),
        });
      }
    }
    if (showDropped) {
      for (const d of job.dropped) {
        droppedTargets.push({ discoveredLabels: labelsToRecord(d), scrapePool: job.name });
      }
    }
  }
  return { status: 'success', data: { activeTargets, droppedTargets, droppedTargetCounts } };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0', '[::]']);

/**
 * The scrape URL as seen from elsewhere: a loopback or unspecified host is replaced by this
 * machine's host name, port kept (what Prometheus reports as `globalUrl`).
 */
export function globalUrl(url: string, hostname: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const host = u.hostname.toLowerCase();
  if (!LOCAL_HOSTS.has(host) && !host.startsWith('127.')) return url;
  u.hostname = hostname;
  return u.toString();
}

/** Prometheus's error body (`errorType` is e.g. `bad_data`). */
export interface ApiErrorResponse {
  readonly status: 'error';
  readonly errorType: string;
  readonly error: string;
}

export function apiError(errorType: string, error: string): ApiErrorResponse {
  return { status: 'error', errorType, error };
}

export interface RelabelStepsApiResponse {
  readonly status: 'success';
  readonly data: {
    readonly steps: {
      readonly rule: Readonly<Record<string, unknown>>;
      readonly output: Record<string, string>;
      readonly keep: boolean;
    }[];
  };
}

/**
 * `/api/v1/targets/relabel_steps` as Prometheus answers it: per rule the rule (its YAML field
 * names), the labels after it (`{}` once dropped) and whether the set is still kept.
 */
export function relabelStepsApiResponse(view: RelabelStepsView): RelabelStepsApiResponse {
  return {
    status: 'success',
    data: {
      steps: view.steps.map((s) => ({
        rule: s.rule,
        output: labelsToRecord(s.output),
        keep: s.keep,
      })),
    },
  };
}
