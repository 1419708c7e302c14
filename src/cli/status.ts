import type { DeploymentStatus, TargetStatus } from '../aws/deployment-status.js';
import { type CommandSpec, parseCommand } from './command.js';
import { type CliIo, UsageError } from './io.js';

/**
 * `status --stack NAME [--json]`: each target of a deployed stack with its health, read from the
 * deployment's own tables (src/aws/deployment-status.ts) with the user's AWS credentials.
 */
export const STATUS_COMMAND = {
  name: 'status',
  summary: 'show the targets of a deployed stack: health, last slot, last error, dropped targets',
  options: {
    stack: {
      type: 'string',
      value: 'NAME',
      help: 'the CloudFormation stack of the deployment (its outputs name the tables)',
    },
    region: { type: 'string', value: 'REGION', help: 'AWS region (default: the SDK’s chain)' },
    'targets-table': {
      type: 'string',
      value: 'TABLE',
      help: 'the targets table, instead of reading it from the stack',
    },
    'state-table': {
      type: 'string',
      value: 'TABLE',
      help: 'the state table, instead of reading it from the stack',
    },
    job: { type: 'string', value: 'NAME', help: 'show only this job’s targets' },
    health: {
      type: 'string',
      value: 'HEALTH',
      help: 'show only targets of this health: up, down, unknown',
    },
    json: { type: 'boolean', default: false, help: 'print one JSON document for scripts' },
  },
  details: `Credentials and region come from the AWS SDK's default chain (environment, profile,
SSO, instance role); AWS_ENDPOINT_URL_CLOUDFORMATION and AWS_ENDPOINT_URL_DYNAMODB override the
endpoints. The caller needs cloudformation:DescribeStacks on the stack (unless both tables are
given) and dynamodb:Scan, Query and BatchGetItem on the two tables.

Nothing is written per scrape, so the columns say what is known without it:
  HEALTH     as recorded by the scrape that last changed it (unknown: no scrape recorded yet)
  SINCE      when the target last went up or down
  LAST SLOT  the last slot of the target's schedule: scraped if the deployment was running,
             which the first line tells (the last window the dispatcher planned)
  DURATION, LATENESS, ERROR  of the scrape that last changed the health or its error
URLs and label values are redacted: no userinfo, no secret query values.

Exit codes: 0 the status was read, 1 it could not be (no such stack, no access), 2 usage.`,
} as const satisfies CommandSpec;

const HEALTH_FILTERS = ['up', 'down', 'unknown'] as const;

export async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(STATUS_COMMAND, args);
  const tablesGiven = values['targets-table'] !== undefined && values['state-table'] !== undefined;
  if (values.stack === undefined && !tablesGiven) {
    throw new UsageError('status needs --stack NAME, or --targets-table and --state-table');
  }
  const health = values.health;
  if (health !== undefined && !(HEALTH_FILTERS as readonly string[]).includes(health)) {
    throw new UsageError(`--health must be one of ${HEALTH_FILTERS.join(', ')}, got "${health}"`);
  }
  // The SDK is loaded only by this command.
  const { readDeploymentStatus } = await import('../aws/deployment-status.js');
  const { createDynamoDbClient } = await import('../aws/clients.js');
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const common = region === undefined ? {} : { region };
  let tables: { targetsTable: string; stateTable: string };
  try {
    tables = await resolveTables(values, io, common);
  } catch (err) {
    io.stderr(`lambdascrape status: ${(err as Error).message}\n`);
    return 1;
  }
  const endpoint = io.env.AWS_ENDPOINT_URL_DYNAMODB ?? io.env.AWS_ENDPOINT_URL;
  const client = createDynamoDbClient({ ...common, ...(endpoint ? { endpoint } : {}) });
  let status: DeploymentStatus;
  try {
    status = await readDeploymentStatus(client, tables, Date.now());
  } catch (err) {
    io.stderr(`lambdascrape status: reading the deployment's tables failed: ${message(err)}\n`);
    return 1;
  } finally {
    client.destroy();
  }
  const shown = {
    ...status,
    targets: status.targets.filter(
      (t) =>
        (values.job === undefined || t.job === values.job) &&
        (health === undefined || t.health === health),
    ),
    dropped: status.dropped.filter((d) => values.job === undefined || d.job === values.job),
  };
  const name = values.stack ?? tables.targetsTable;
  io.stdout(values.json ? statusJson(name, shown) : statusText(name, shown));
  return 0;
}

async function resolveTables(
  values: { stack?: string; 'targets-table'?: string; 'state-table'?: string },
  io: CliIo,
  common: { region?: string },
): Promise<{ targetsTable: string; stateTable: string }> {
  const given = { targets: values['targets-table'], state: values['state-table'] };
  if (given.targets !== undefined && given.state !== undefined) {
    return { targetsTable: given.targets, stateTable: given.state };
  }
  const { createCloudFormationClient, stackOutputs } = await import(
    '../aws/cloudformation-outputs.js'
  );
  const endpoint = io.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? io.env.AWS_ENDPOINT_URL;
  const cfn = createCloudFormationClient({ ...common, ...(endpoint ? { endpoint } : {}) });
  try {
    const outputs = await stackOutputs(cfn, values.stack!);
    const targetsTable = given.targets ?? outputs.get('TargetsTableName');
    const stateTable = given.state ?? outputs.get('StateTableName');
    if (targetsTable === undefined || stateTable === undefined) {
      const missing = [
        targetsTable === undefined ? 'TargetsTableName' : [],
        stateTable === undefined ? 'StateTableName' : [],
      ].flat();
      throw new Error(
        `stack ${values.stack} has no output ${missing.join(' or ')}: is it a lambdascrape stack? (--targets-table and --state-table name the tables directly)`,
      );
    }
    return { targetsTable, stateTable };
  } finally {
    cfn.destroy();
  }
}

function message(err: unknown): string {
  const name = (err as { name?: string }).name;
  const text = err instanceof Error ? err.message : String(err);
  return name !== undefined && name !== 'Error' && !text.includes(name) ? `${name}: ${text}` : text;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The `--json` document: times as RFC 3339 strings, durations in seconds. */
export function statusJson(name: string, s: DeploymentStatus): string {
  return `${JSON.stringify(
    {
      deployment: name,
      time: iso(s.nowMs),
      lastPlannedWindow: iso(s.lastPlannedWindowMs),
      targets: s.targets.map((t) => ({
        job: t.job,
        url: t.url,
        labels: t.labels,
        health: t.health,
        since: iso(t.sinceMs),
        lastSlot: iso(t.lastSlotMs),
        scrapeIntervalSeconds: t.intervalMs / 1000,
        scrapeTimeoutSeconds: t.timeoutMs / 1000,
        lastError: t.error ?? null,
        durationSeconds: t.durationSeconds ?? null,
        latenessSeconds: t.latenessMs === undefined ? null : t.latenessMs / 1000,
      })),
      dropped: s.dropped.map((d) => ({
        job: d.job,
        count: d.count,
        discoveredLabels: d.discoveredLabels.map((l) =>
          Object.fromEntries(l.map((x) => [x.name, x.value])),
        ),
      })),
      readUnits: s.readUnits,
    },
    null,
    2,
  )}\n`;
}

/** The terminal table. */
export function statusText(name: string, s: DeploymentStatus): string {
  const lines: string[] = [];
  const counts = new Map<string, number>();
  for (const t of s.targets) counts.set(t.health, (counts.get(t.health) ?? 0) + 1);
  const byHealth = [...counts].map(([h, n]) => `${n} ${h}`).join(', ');
  lines.push(
    `${name}: ${s.targets.length} targets${byHealth === '' ? '' : ` (${byHealth})`}; ${planned(s)}`,
  );
  if (s.targets.length > 0) {
    const header = ['JOB', 'URL', 'HEALTH', 'SINCE', 'LAST SLOT', 'DURATION', 'LATENESS', 'ERROR'];
    const rows = s.targets.map((t) => row(t, s.nowMs));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (cells: readonly string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push('', fmt(header), ...rows.map(fmt));
  }
  if (s.dropped.length > 0) {
    lines.push('', 'dropped targets (discovered labels):');
    for (const d of s.dropped) {
      const more = d.count - d.discoveredLabels.length;
      lines.push(`  ${d.job}: ${d.count} dropped${more > 0 ? ` (${more} not shown)` : ''}`);
      for (const l of d.discoveredLabels) {
        lines.push(`    {${l.map((x) => `${x.name}=${JSON.stringify(x.value)}`).join(', ')}}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function planned(s: DeploymentStatus): string {
  if (s.lastPlannedWindowMs === undefined) {
    return 'the dispatcher planned no window in the last 5 minutes: nothing is being scraped';
  }
  return `last window planned ${timeOf(s.lastPlannedWindowMs)} UTC`;
}

function row(t: TargetStatus, nowMs: number): string[] {
  return [
    t.job,
    t.url,
    t.health,
    t.sinceMs === undefined ? '-' : ago(nowMs - t.sinceMs),
    ago(nowMs - t.lastSlotMs),
    t.durationSeconds === undefined ? '-' : `${t.durationSeconds.toFixed(3)}s`,
    t.latenessMs === undefined ? '-' : `${Math.round(t.latenessMs)}ms`,
    t.error === undefined || t.error === '' ? '' : oneLine(t.error),
  ];
}

function timeOf(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** "12s ago", "5m3s ago", "2h4m ago", "3d2h ago"; "in 2s" for a time ahead. */
export function ago(ms: number): string {
  if (ms < 0) return `in ${span(-ms)}`;
  return `${span(ms)} ago`;
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
