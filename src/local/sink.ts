/**
 * Where the local runner puts what it scrapes: the engine's {@link Delivery} (one unit per
 * scrape of one target, or per end-of-run of a retired target) plus what a long-running
 * process needs of it: flushing, totals for `/metrics`, closing. Remote write is the main
 * implementation (remote-write-sink.ts); without remote_write the runner prints one line per
 * scrape instead (console-sink.ts).
 */
import type { Delivery } from '../engine/delivery.js';
import type { DiskQueueStats } from './disk-unit-queue.js';

export type { UnitMeta } from '../engine/delivery.js';

/** Totals a sink reports for the runner's `/metrics`, per destination. */
export interface SinkStats {
  /** Destination name (the remote_write `name`). */
  readonly name: string;
  /** Samples delivered (stale markers and native histogram samples included). */
  readonly samplesSent: number;
  /** Samples the receiver refused for good. */
  readonly samplesRejected: number;
  /** Samples given up on by the sink itself (queue full, shutdown). */
  readonly samplesDropped: number;
  /** Samples sent again in a retry attempt, per attempt. */
  readonly samplesRetried: number;
  /** Samples accepted by the sink and not yet delivered or given up on (the queue length). */
  readonly samplesPending: number;
  /** With a data directory: its queue for this destination. */
  readonly storage?: DiskQueueStats;
}

export interface SampleSink extends Delivery {
  /** Waits for accepted units until `deadlineMs` (epoch ms); never rejects, even when late. */
  flush(deadlineMs: number): Promise<void>;
  /** Current totals, one entry per destination (none for sinks that send nowhere). */
  stats(): readonly SinkStats[];
  /** Releases connections. Units still pending are dropped (and counted as such). */
  close(): Promise<void>;
}
