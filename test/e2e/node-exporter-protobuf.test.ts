/**
 * A real node_exporter (Debian's prometheus-node-exporter) scraped over protobuf and over text:
 * the same series (label sets) and the same family types either way. Values may change
 * between the two scrapes, so they are not compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcher } from '../../src/http/client.js';
import { formatSeries } from '../../src/model/labels.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import { binaryAvailable, type RunningProcess, startNodeExporter } from '../support/processes.js';

const haveBinary = binaryAvailable('/usr/bin/prometheus-node-exporter');

describe.skipIf(!haveBinary)('node_exporter over protobuf and over text', () => {
  let exporter: RunningProcess;

  beforeAll(async () => {
    exporter = await startNodeExporter();
  });

  afterAll(async () => {
    await exporter?.stop();
  });

  /** One scrape with the given protocol: series label sets and family types. */
  async function scrape(protocol: string) {
    const config = loadConfig(
      `
scrape_configs:
  - job_name: node
    scrape_protocols: [${protocol}]
    static_configs:
      - targets: ['127.0.0.1:${exporter.port}']
`,
      { sourcePath: 'inline.yml' },
    );
    const [resolved] = await resolveTargets(config);
    const target = resolved!.active[0]!;
    const dispatcher = await createDispatcher(resolved!.job.httpClient);
    const memory = new TargetScrapeCache(target, false);
    try {
      const result = await scrapeTarget(
        prepareScrapeJob(resolved!.job, dispatcher),
        target,
        memory,
        EMPTY_SCRAPE_STATE,
        { scrapeTimeMs: Date.now() },
      );
      expect(result.error).toBeUndefined();
      const series = new Set<string>();
      for (let i = 0; i < result.batch.length; i++) {
        series.add(formatSeries(result.batch.entries[i]!.labels));
      }
      const types = new Map<string, string>();
      for (const [family, meta] of memory.cache.metadata) types.set(family, meta.type);
      return { series, types, scraped: result.report.samplesScraped };
    } finally {
      await dispatcher.close();
    }
  }

  it('answers the protobuf Accept header with protobuf', async () => {
    const res = await fetch(`http://127.0.0.1:${exporter.port}/metrics`, {
      headers: {
        accept:
          'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,*/*;q=0.5',
      },
    });
    await res.arrayBuffer();
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.google\.protobuf;/);
  });

  it('yields the same series and types', async () => {
    const text = await scrape('PrometheusText0.0.4');
    const proto = await scrape('PrometheusProto');

    expect(text.series.size).toBeGreaterThan(100);
    const onlyProto = [...proto.series].filter((s) => !text.series.has(s)).sort();
    const onlyText = [...text.series].filter((s) => !proto.series.has(s)).sort();
    expect({ onlyProto, onlyText }).toEqual({ onlyProto: [], onlyText: [] });
    expect(proto.scraped).toBe(text.scraped);
    expect(Object.fromEntries(proto.types)).toEqual(Object.fromEntries(text.types));
    expect([...proto.types.values()]).toEqual(
      expect.arrayContaining(['counter', 'gauge', 'summary', 'unknown']),
    );
  });
});
