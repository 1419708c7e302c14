/**
 * What `lambdascrape status` shows of a deployment, read from its own tables: the targets table
 * (each target's job, URL, labels, interval, timeout and phase), the health records and dropped
 * summaries in the state table (`dynamodb-health-store.ts`), and the dispatcher's window claims
 * (`dynamodb-window-ledger.ts`), which say whether scraping is being planned at all.
 *
 * Contracts:
 * - Read only, eventually consistent where DynamoDB allows it (the targets Scan is the target
 *   store's own, strongly consistent); the read units are reported in `readUnits`.
 * - Nothing is written per scrape, so nothing here is a last scrape: `lastSlotMs` is the last
 *   slot of the target's fixed-phase schedule at or before `nowMs` (§9), which the deployment
 *   scraped if it was running then (`lastPlannedWindowMs` tells); health, error, duration and
 *   lateness are those of the scrape that last changed the health or its error.
 * - URLs are redacted (`redactTargetUrl`: no userinfo, no secret query values) and label values
 *   as the targets page shows them (`redactLabelValue`); the stored errors are redacted already.
 * - A target without a record is `unknown` (not scraped yet, or its records were unreadable);
 *   a record that does not decode is `corrupt`. Records of targets no longer in the targets
 *   table are not shown.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { redactLabelValue, redactTargetUrl } from '../log/redact.js';
import { labelsToRecord } from '../model/labels.js';
import type { DroppedTargetsSummary } from '../ports.js';
import { nextScrapeTime } from '../targets/offset.js';
import { batchGetAll, ConsumedCapacityCounter } from './dynamodb-batch.js';
import { DynamoDbDroppedTargetsStore, readAllHealth } from './dynamodb-health-store.js';
import { DynamoDbTargetStore } from './dynamodb-target-store.js';
import { LEDGER_SK, windowClaimKey } from './dynamodb-window-ledger.js';

export type HealthShown = 'up' | 'down' | 'unknown' | 'corrupt';

export interface TargetStatus {
  readonly id: string;
  readonly job: string;
  /** Redacted. */
  readonly url: string;
  /** The target's labels, values redacted. */
  readonly labels: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly health: HealthShown;
  /** When the current health began (its first slot); absent without a record. */
  readonly sinceMs?: number;
  /** The last slot of the schedule at or before now. */
  readonly lastSlotMs: number;
  /** The error of the scrape that last changed the record ('' when up). */
  readonly error?: string;
  /** Duration (s) and lateness (ms) of that scrape. */
  readonly durationSeconds?: number;
  readonly latenessMs?: number;
  /** The slot of that scrape. */
  readonly recordSlotMs?: number;
}

export interface DeploymentStatus {
  readonly nowMs: number;
  /** Start of the latest window the dispatcher claimed among those around now; absent: none. */
  readonly lastPlannedWindowMs: number | undefined;
  /** Sorted by job, then URL. */
  readonly targets: readonly TargetStatus[];
  /** Sorted by job; label values redacted when they were stored. */
  readonly dropped: readonly DroppedTargetsSummary[];
  /** Read units the reads consumed. */
  readonly readUnits: number;
}

export interface DeploymentTables {
  readonly targetsTable: string;
  readonly stateTable: string;
}

/** The dispatcher's window length this reader assumes (WINDOW_MS's default). */
export const STATUS_WINDOW_MS = 60_000;
/** Windows looked at around now: the dispatcher claims the next window ahead of it. */
const WINDOWS_BEHIND = 5;
const WINDOWS_AHEAD = 2;

/** Reads the status of the deployment whose tables are `tables`. SDK errors propagate. */
export async function readDeploymentStatus(
  client: DynamoDBClient,
  tables: DeploymentTables,
  nowMs: number,
): Promise<DeploymentStatus> {
  const capacity = new ConsumedCapacityCounter();
  const targetStore = new DynamoDbTargetStore(client, tables.targetsTable);
  const droppedStore = new DynamoDbDroppedTargetsStore(client, tables.stateTable);
  const [targets, health, dropped, lastPlannedWindowMs] = await Promise.all([
    targetStore.list(),
    readAllHealth(client, tables.stateTable, capacity),
    droppedStore.list(),
    lastClaimedWindow(client, tables.stateTable, nowMs, capacity),
  ]);
  const rows = targets.map((t): TargetStatus => {
    const record = health.get(t.id);
    const base = {
      id: t.id,
      job: t.job,
      url: redactTargetUrl(t.url),
      labels: labelsToRecord(
        t.publicLabels.map((l) => ({ name: l.name, value: redactLabelValue(l.name, l.value) })),
      ),
      intervalMs: t.intervalMs,
      timeoutMs: t.timeoutMs,
      lastSlotMs: nextScrapeTime(t, nowMs - t.intervalMs + 1),
    };
    if (record === undefined) return { ...base, health: 'unknown' };
    if (record === 'corrupt') return { ...base, health: 'corrupt' };
    return {
      ...base,
      health: record.up ? 'up' : 'down',
      sinceMs: record.sinceMs,
      error: record.error,
      durationSeconds: record.durationSeconds,
      latenessMs: record.latenessMs,
      recordSlotMs: record.slotMs,
    };
  });
  rows.sort((a, b) => compare(a.job, b.job) || compare(a.url, b.url) || compare(a.id, b.id));
  const units = [
    capacity.totals(),
    targetStore.consumedCapacity(),
    droppedStore.consumedCapacity(),
  ].reduce((s, c) => s + c.readUnits, 0);
  return {
    nowMs,
    lastPlannedWindowMs,
    targets: rows,
    dropped: [...dropped].sort((a, b) => compare(a.job, b.job)),
    readUnits: units,
  };
}

/** The latest claimed window (shard 0) among those from a few before now to two ahead. */
async function lastClaimedWindow(
  client: DynamoDBClient,
  stateTable: string,
  nowMs: number,
  capacity: ConsumedCapacityCounter,
): Promise<number | undefined> {
  const current = Math.floor(nowMs / STATUS_WINDOW_MS) * STATUS_WINDOW_MS;
  const starts: number[] = [];
  for (let k = -WINDOWS_BEHIND; k <= WINDOWS_AHEAD; k++)
    starts.push(current + k * STATUS_WINDOW_MS);
  const items = await batchGetAll(
    client,
    stateTable,
    starts.map((s) => ({ pk: { S: windowClaimKey(s, 0) }, sk: { S: LEDGER_SK } })),
    false,
    capacity,
  );
  const claimed = new Set(items.map((i) => i.pk?.S));
  const found = starts.filter((s) => claimed.has(windowClaimKey(s, 0)));
  return found.length === 0 ? undefined : Math.max(...found);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
