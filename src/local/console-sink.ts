/**
 * The sink used when the config has no remote_write: nothing is sent anywhere, and each unit
 * becomes one line on stdout so that a first run shows what it does:
 *
 *   2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 up=1 samples=507 duration=12ms
 *   2026-11-24T22:30:30.000Z job=node instance=127.0.0.1:9100 up=0 samples=0 duration=3ms error="…"
 *   2026-11-24T22:31:00.000Z job=node instance=127.0.0.1:9100 removed stale_markers=512
 *
 * The time is the slot time the samples carry (§4.3). `instance` is the target's instance label
 * (its URL when relabeling removed it). Values are logfmt-quoted when they need it; the
 * instance and the error are redacted like log fields (no userinfo, no secret query values).
 */
import type { DeliveryOutcome } from '../engine/delivery.js';
import { logfmtValue } from '../log/logger.js';
import { redactUrlField, redactUrlsInText } from '../log/redact.js';
import { getLabel } from '../model/labels.js';
import type { SampleBatch } from '../scrape/batch.js';
import type { SampleSink, SinkStats, UnitMeta } from './sink.js';

export function formatScrapeLine(meta: UnitMeta, unit: { readonly length: number }): string {
  const instance = redactUrlField(getLabel(meta.targetLabels, 'instance') || meta.url);
  const head = `${new Date(meta.timestampMs).toISOString()} job=${logfmtValue(meta.job)} instance=${logfmtValue(instance)}`;
  if (meta.kind === 'end-of-run') return `${head} removed stale_markers=${unit.length}`;
  const line = `${head} up=${meta.up ? 1 : 0} samples=${meta.samplesScraped} duration=${formatDurationShort(meta.durationSeconds)}`;
  return meta.error === undefined
    ? line
    : `${line} error=${logfmtValue(redactUrlsInText(meta.error))}`;
}

/** `12ms`, `1.25s`: whole ms below a second, else seconds with up to 3 decimals. */
export function formatDurationShort(seconds: number): string {
  const ms = seconds * 1000;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number(seconds.toFixed(3))}s`;
}

export class ConsoleSink implements SampleSink {
  constructor(private readonly writeLine: (line: string) => void) {}

  deliver(unit: SampleBatch, meta: UnitMeta): Promise<readonly DeliveryOutcome[]> {
    this.writeLine(`${formatScrapeLine(meta, unit)}\n`);
    return Promise.resolve([]);
  }

  flush(_deadlineMs: number): Promise<void> {
    return Promise.resolve();
  }

  stats(): readonly SinkStats[] {
    return [];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
