/**
 * Test helpers for the local runner: a recording sink, scrape targets on 127.0.0.1, configs
 * from YAML, and a reader for text-format bodies built on our own parser.
 */
import { createServer, type Server } from 'node:http';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import type { DeliveryOutcome } from '../../src/engine/delivery.js';
import { createParser, EntryKind, selectFormat } from '../../src/exposition/index.js';
import type { MetricType } from '../../src/exposition/types.js';
import type { SampleSink, SinkStats, UnitMeta } from '../../src/local/sink.js';
import { formatSeries } from '../../src/model/labels.js';
import type { SampleBatch } from '../../src/scrape/batch.js';

export interface RecordedSample {
  readonly series: string;
  readonly value: number;
  readonly timestampMs: number;
  readonly stale: boolean;
}

export interface RecordedUnit {
  readonly meta: UnitMeta;
  readonly samples: readonly RecordedSample[];
}

/** A sink that records every unit (copied at write time) and the calls made to it. */
export class RecordingSink implements SampleSink {
  readonly units: RecordedUnit[] = [];
  readonly calls: string[] = [];
  stat: SinkStats = {
    name: 'fake',
    samplesSent: 7,
    samplesRejected: 1,
    samplesDropped: 0,
    samplesRetried: 2,
    samplesPending: 3,
  };

  deliver(unit: SampleBatch, meta: UnitMeta): Promise<readonly DeliveryOutcome[]> {
    const samples: RecordedSample[] = [];
    for (let i = 0; i < unit.length; i++) {
      samples.push({
        series: formatSeries(unit.entries[i]!.labels),
        value: unit.values[i]!,
        timestampMs: unit.timestamps[i]!,
        stale: unit.stale[i] === 1,
      });
    }
    this.units.push({ meta, samples });
    this.calls.push('write');
    return Promise.resolve([]);
  }

  flush(): Promise<void> {
    this.calls.push('flush');
    return Promise.resolve();
  }

  stats(): readonly SinkStats[] {
    return [this.stat];
  }

  close(): Promise<void> {
    this.calls.push('close');
    return Promise.resolve();
  }

  /** Units of one target (by URL), in write order. */
  of(url: string, kind: UnitMeta['kind'] = 'scrape'): RecordedUnit[] {
    return this.units.filter((u) => u.meta.url === url && u.meta.kind === kind);
  }
}

export interface TestTarget {
  readonly address: string;
  /** Scrape URL of the default `/metrics` path. */
  readonly url: string;
  /** Body served on `/metrics` (text format 0.0.4). */
  body: string;
  /** Delay before answering, ms. */
  delayMs: number;
  requests: number;
  close(): Promise<void>;
}

/** An exporter on 127.0.0.1 (random port) serving `body` on every path. */
export async function startTarget(body = 'metric_a 1\nmetric_b{x="y"} 2\n'): Promise<TestTarget> {
  let server: Server | undefined;
  const target: TestTarget = {
    address: '',
    url: '',
    body,
    delayMs: 0,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server?.closeAllConnections();
        server?.close(() => resolve());
      }),
  };
  server = createServer((_req, res) => {
    target.requests++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(target.body);
    }, target.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  Object.assign(target, {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
  });
  return target;
}

/** A validated config from YAML (no file; relative paths stay as written). */
export function config(yaml: string): Config {
  return loadConfig(yaml, { env: {} });
}

export interface ParsedMetrics {
  /** `name{labels}` (promtool form) → value. */
  readonly samples: Map<string, number>;
  /** Family name → type from `# TYPE`. */
  readonly types: Map<string, MetricType>;
}

/** Parses a text-format body with the project's own parser (throws on any syntax error). */
export function parseMetrics(body: string, contentType: string): ParsedMetrics {
  const selected = selectFormat(contentType, undefined);
  if ('error' in selected) throw new Error(selected.error);
  const parser = createParser(selected.format, body);
  const samples = new Map<string, number>();
  const types = new Map<string, MetricType>();
  for (let kind = parser.next(); kind !== EntryKind.EOF; kind = parser.next()) {
    if (kind === EntryKind.Type) types.set(parser.metricFamily(), parser.metricType());
    if (kind === EntryKind.Series) samples.set(formatSeries(parser.labels()), parser.value());
  }
  return { samples, types };
}
