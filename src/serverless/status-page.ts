/**
 * The deployment's targets page, served by the optional status-page function through its
 * Lambda function URL (the construct's `statusPage` option): `run`'s `/targets` page
 * (`src/local/targets-page.ts`, `standalone`), filled from the deployment's own tables by
 * {@link readDeploymentStatus} — what `lambdascrape status --stack` prints.
 *
 * Contracts:
 * - `GET`/`HEAD /targets` (with the page's `?search=…&health=…`) and `/static/page.js`; `/`
 *   redirects to `/targets`; any other path is 404, any other method 405. Read only: the
 *   function's role may only read the two tables.
 * - What the page shows is redacted as `status` shows it (URLs without userinfo or secret query
 *   values, label values redacted, stored errors redacted already); it goes through the page's
 *   escaping. A failed read answers 500 with a fixed text (the error is logged, not shown).
 * - "Last scrape" is the last slot of the target's schedule (nothing is written per scrape),
 *   shown only for targets with a health record while the dispatcher is planning windows;
 *   duration and error are those of the scrape that last changed the target's health.
 */

import type { DynamoDBClient } from '../aws/clients.js';
import {
  type DeploymentStatus,
  type DeploymentTables,
  readDeploymentStatus,
  type TargetStatus,
} from '../aws/deployment-status.js';
import { LAMBDA_ENV } from '../contract.js';
import { PAGE_SCRIPT } from '../local/page-script.js';
import type { JobView, TargetView } from '../local/target-view.js';
import { PAGE_CSP, type PageFilter, renderTargetsPage } from '../local/targets-page.js';
import { labelsFromRecord } from '../model/labels.js';

/** The fields of a function URL event (payload 2.0) this handler reads. */
export interface FunctionUrlEvent {
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface StatusPageDeps {
  readonly client: DynamoDBClient;
  readonly tables: DeploymentTables;
  readonly now: () => number;
  /** Where a failed read is reported. */
  readonly logError?: (message: string, error: unknown) => void;
}

/** The two tables from the function's environment (TARGETS_TABLE, STATE_TABLE); throws when unset. */
export function statusPageTables(
  env: Readonly<Record<string, string | undefined>>,
): DeploymentTables {
  const targetsTable = env[LAMBDA_ENV.targetsTable] ?? '';
  const stateTable = env[LAMBDA_ENV.stateTable] ?? '';
  if (targetsTable === '' || stateTable === '') {
    throw new Error(
      `invalid Lambda environment: ${LAMBDA_ENV.targetsTable} and ${LAMBDA_ENV.stateTable} must be set`,
    );
  }
  return { targetsTable, stateTable };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

export async function handleStatusPage(
  event: FunctionUrlEvent,
  deps: StatusPageDeps,
): Promise<FunctionUrlResult> {
  const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
  const path = event.rawPath ?? '/';
  const known = path === '/targets' || path === '/static/page.js' || path === '/';
  if (!known) return text(404, 'Not Found\n', method);
  if (method !== 'GET' && method !== 'HEAD') {
    return {
      ...text(405, 'Method Not Allowed\n', method),
      headers: { ...plain, allow: 'GET, HEAD' },
    };
  }
  if (path === '/')
    return { statusCode: 302, headers: { ...plain, location: '/targets' }, body: '' };
  if (path === '/static/page.js') {
    return reply(200, 'text/javascript; charset=utf-8', PAGE_SCRIPT, method);
  }
  let status: DeploymentStatus;
  try {
    status = await readDeploymentStatus(deps.client, deps.tables, deps.now());
  } catch (e) {
    deps.logError?.('status page read failed', e);
    return text(500, 'The deployment status could not be read.\n', method);
  }
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const filter: PageFilter = {
    search: query.get('search') ?? '',
    states: query.getAll('health').filter((s) => s !== ''),
  };
  const page = renderStatusPage(status, filter);
  const result = reply(200, 'text/html; charset=utf-8', page, method);
  return {
    ...result,
    headers: {
      ...result.headers,
      'content-security-policy': PAGE_CSP,
      'referrer-policy': 'no-referrer',
    },
  };
}

/** The deployment's status as `run`'s targets page (standalone). */
export function renderStatusPage(status: DeploymentStatus, filter?: PageFilter): string {
  const planning = status.lastPlannedWindowMs !== undefined;
  const subtitle = planning ? 'deployment' : 'deployment · no scrape window planned lately';
  return renderTargetsPage(statusJobs(status), {
    nowMs: status.nowMs,
    subtitle,
    standalone: true,
    ...(filter === undefined ? {} : { filter }),
  });
}

/** One view per job of the targets and dropped summaries, in job order. */
export function statusJobs(status: DeploymentStatus): JobView[] {
  const planning = status.lastPlannedWindowMs !== undefined;
  const targets = new Map<string, TargetView[]>();
  for (const t of status.targets) {
    const list = targets.get(t.job) ?? [];
    list.push(targetView(t, planning));
    targets.set(t.job, list);
  }
  const dropped = new Map(status.dropped.map((d) => [d.job, d]));
  const names = [...new Set([...targets.keys(), ...dropped.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return names.map((name) => ({
    name,
    targets: targets.get(name) ?? [],
    dropped: dropped.get(name)?.discoveredLabels ?? [],
    droppedCount: dropped.get(name)?.count ?? 0,
    problems: [],
  }));
}

function targetView(t: TargetStatus, planning: boolean): TargetView {
  const recorded = t.health === 'up' || t.health === 'down';
  const error =
    t.health === 'corrupt'
      ? 'health record unreadable'
      : t.error === undefined || t.error === ''
        ? undefined
        : t.error;
  return {
    url: t.url,
    health: recorded ? (t.health as 'up' | 'down') : 'unknown',
    labels: labelsFromRecord(t.labels),
    discoveredLabels: [],
    lastScrapeMs: recorded && planning ? t.lastSlotMs : undefined,
    lastDurationSeconds: recorded ? t.durationSeconds : undefined,
    lastError: error,
    intervalMs: t.intervalMs,
    timeoutMs: t.timeoutMs,
  };
}

const plain = { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' };

function text(status: number, body: string, method: string): FunctionUrlResult {
  return reply(status, 'text/plain; charset=utf-8', body, method);
}

function reply(
  status: number,
  contentType: string,
  body: string,
  method: string,
): FunctionUrlResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, 'content-type': contentType },
    body: method === 'HEAD' ? '' : body,
  };
}
