/**
 * What discovery dropped, per job, for `lambdascrape status` (Prometheus's `/service-discovery`
 * shows the same): a bounded summary per job, written only when it changes.
 *
 * Contracts:
 * - A summary holds the job's count of dropped targets and the discovered labels of the first
 *   of them, at most {@link MAX_DROPPED_LABEL_SETS} sets and {@link MAX_DROPPED_JSON_BYTES}
 *   bytes of their JSON; label values are redacted as the targets page shows them
 *   (`redactLabelValue`: no userinfo, no secret query values).
 * - Jobs without dropped targets have no summary; a job's summary is removed when it has none
 *   left or the job left the config.
 * - The first {@link DroppedTargetsRecorder.record} of an instance lists the stored summaries;
 *   later ones compare with what the instance wrote, so a steady discovery writes nothing.
 *   A failure is logged and forgotten (the next run lists again); it never fails discovery.
 */
import { redactLabelValue } from '../log/redact.js';
import type { Labels } from '../model/labels.js';
import type { DroppedTargetsStore, DroppedTargetsSummary } from '../ports.js';

/**
 * Partition key of the summaries in the state table (`DynamoDbDroppedTargetsStore`); the CDK
 * app limits the discovery function's access to it.
 */
export const DROPPED_PK = 'dr';

/** Most label sets a summary keeps per job. */
export const MAX_DROPPED_LABEL_SETS = 20;
/** Most bytes of label-set JSON a summary keeps per job (a DynamoDB item holds 400 KB). */
export const MAX_DROPPED_JSON_BYTES = 16_384;

/** The summary of one job's dropped targets (see the contracts). */
export function droppedSummary(
  job: string,
  count: number,
  discovered: readonly Labels[],
): DroppedTargetsSummary {
  const sets: Labels[] = [];
  let bytes = 2;
  for (const labels of discovered.slice(0, MAX_DROPPED_LABEL_SETS)) {
    const shown = labels.map((l) => ({ name: l.name, value: redactLabelValue(l.name, l.value) }));
    const size = Buffer.byteLength(JSON.stringify(shown.map((l) => [l.name, l.value]))) + 1;
    if (bytes + size > MAX_DROPPED_JSON_BYTES) break;
    bytes += size;
    sets.push(shown);
  }
  return { job, count, discoveredLabels: sets };
}

function canonical(s: DroppedTargetsSummary): string {
  return JSON.stringify([s.count, s.discoveredLabels.map((l) => l.map((x) => [x.name, x.value]))]);
}

interface WarnLogger {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export class DroppedTargetsRecorder {
  /** job → canonical summary as stored; undefined until listed (or after a failure). */
  private stored: Map<string, string> | undefined;

  constructor(
    private readonly store: DroppedTargetsStore,
    private readonly logger: WarnLogger,
  ) {}

  /** Stores `summaries` (jobs with a count of 0 are removed) where they changed. Never throws. */
  async record(summaries: readonly DroppedTargetsSummary[]): Promise<void> {
    try {
      if (this.stored === undefined) {
        const listed = await this.store.list();
        this.stored = new Map(listed.map((s) => [s.job, canonical(s)]));
      }
      const stored = this.stored;
      const current = summaries.filter((s) => s.count > 0);
      const put = current.filter((s) => stored.get(s.job) !== canonical(s));
      const jobs = new Set(current.map((s) => s.job));
      const remove = [...stored.keys()].filter((job) => !jobs.has(job));
      if (put.length === 0 && remove.length === 0) return;
      this.stored = undefined;
      await this.store.apply({ put, remove });
      this.stored = new Map(current.map((s) => [s.job, canonical(s)]));
    } catch (err) {
      this.stored = undefined;
      this.logger.warn('dropped targets summary not written', { err });
    }
  }
}
