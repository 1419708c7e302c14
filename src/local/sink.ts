/**
 * Where the local runner puts what it scrapes: one unit per scrape of one target (or per
 * end-of-run of a removed target). Remote write is the main implementation (see
 * remote-write-sink.ts); without remote_write the runner prints one line per scrape instead
 * (console-sink.ts).
 */
import type { Labels } from '../model/labels.js';
import type { SampleBatch } from '../scrape/batch.js';

/** What the unit is and where it came from. */
export interface UnitMeta {
  /** `scrape`: one scrape attempt; `end-of-run`: the stale markers of a removed target (§8.3). */
  readonly kind: 'scrape' | 'end-of-run';
  readonly job: string;
  /** Stable per target and job: units with the same key must be delivered in write order. */
  readonly targetKey: string;
  readonly url: string;
  /** Labels attached to every series of the target (§2.3). */
  readonly targetLabels: Labels;
  /** The slot time (ms) the samples without their own timestamp carry (§4.3, §9). */
  readonly timestampMs: number;
  /** Scrape outcome; for `end-of-run` units: up = false, samplesScraped = 0. */
  readonly up: boolean;
  readonly error: string | undefined;
  readonly durationSeconds: number;
  /** Samples parsed from the body (`scrape_samples_scraped`, §7). */
  readonly samplesScraped: number;
}

/** Totals a sink reports for the runner's `/metrics`, per destination. */
export interface SinkStats {
  /** Destination name (the remote_write `name`). */
  readonly name: string;
  /** Samples delivered (stale markers included). */
  readonly samplesSent: number;
  /** Samples the receiver rejected for good, or dropped by the sink (queue full, shutdown). */
  readonly samplesFailed: number;
  /** Samples sent again in a retry attempt, per attempt. */
  readonly samplesRetried: number;
  /** Samples accepted by the sink and not yet delivered or failed (the queue length). */
  readonly samplesPending: number;
}

export interface SampleSink {
  /**
   * Takes one unit. The runner never touches `unit` again, so the sink may keep it until the
   * returned promise settles. Units with the same `meta.targetKey` must reach the destination
   * in call order (a receiver rejects out-of-order samples). The promise settles when the unit
   * is delivered or given up on; it never rejects.
   */
  write(unit: SampleBatch, meta: UnitMeta): Promise<void>;
  /** Waits for accepted units until `deadlineMs` (epoch ms); never rejects, even when late. */
  flush(deadlineMs: number): Promise<void>;
  /** Current totals, one entry per destination (none for sinks that send nowhere). */
  stats(): readonly SinkStats[];
  /** Releases connections. Units still pending are dropped (and counted as failed). */
  close(): Promise<void>;
}
