/**
 * Parity with Prometheus itself: a real Prometheus and lambdascrape scrape the same real
 * node_exporter; the series label sets must be equal (the job label aside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcher } from '../../src/http/client.js';
import { formatSeries, labelsFromRecord } from '../../src/model/labels.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import {
  binaryAvailable,
  queryInstant,
  type RunningProcess,
  startNodeExporter,
  startPrometheus,
} from '../support/processes.js';

const haveBinaries =
  binaryAvailable('/usr/bin/prometheus') && binaryAvailable('/usr/bin/prometheus-node-exporter');

describe.skipIf(!haveBinaries)('scraping node_exporter like Prometheus does', () => {
  let exporter: RunningProcess;
  let prometheus: RunningProcess;

  beforeAll(async () => {
    exporter = await startNodeExporter();
    prometheus = await startPrometheus(`
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: reference
    static_configs:
      - targets: ['127.0.0.1:${exporter.port}']
`);
    // Wait until the reference has scraped successfully at least twice.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await queryInstant(prometheus.url, 'scrape_samples_scraped{job="reference"}');
      const up = await queryInstant(prometheus.url, 'count_over_time(up{job="reference"}[1m])');
      if (r.length > 0 && Number(up[0]?.value[1] ?? 0) >= 2) break;
      if (Date.now() > deadline) throw new Error(`reference never scraped\n${prometheus.output()}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('produces the same series label sets', async () => {
    const config = loadConfig(
      `
scrape_configs:
  - job_name: lambdascrape
    static_configs:
      - targets: ['127.0.0.1:${exporter.port}']
`,
      { sourcePath: 'inline.yml' },
    );
    const [resolved] = await resolveTargets(config);
    const target = resolved!.active[0]!;
    const dispatcher = await createDispatcher(resolved!.job.httpClient);
    const job = prepareScrapeJob(resolved!.job, dispatcher);
    const ours = await scrapeTarget(
      job,
      target,
      new TargetScrapeCache(target, false),
      EMPTY_SCRAPE_STATE,
      { scrapeTimeMs: Date.now() },
    );
    await dispatcher.close();
    expect(ours.error).toBeUndefined();

    // Debian's reference is Prometheus 2.42, which keeps le/quantile values as exposed
    // (`quantile="0"`); Prometheus 3, whose behaviour we follow, writes them in canonical
    // float form (`quantile="0.0"`, §5.1). Compare those two labels as numbers.
    const withoutJob = (labels: Record<string, string>) => {
      const { job: _job, ...rest } = labels;
      for (const name of ['le', 'quantile']) {
        if (rest[name] !== undefined) rest[name] = String(Number(rest[name]));
      }
      return formatSeries(labelsFromRecord(rest));
    };
    const mine = new Set<string>();
    for (let i = 0; i < ours.batch.length; i++) {
      const rec: Record<string, string> = {};
      for (const l of ours.batch.entries[i]!.labels) rec[l.name] = l.value;
      mine.add(withoutJob(rec));
    }
    // The reference's live series: an instant query returns exactly the series of its last scrape.
    const reference = await queryInstant(prometheus.url, '{job="reference"}');
    const theirs = new Set(reference.map((r) => withoutJob(r.metric)));

    expect(theirs.size).toBeGreaterThan(100);
    const onlyOurs = [...mine].filter((s) => !theirs.has(s));
    const onlyTheirs = [...theirs].filter((s) => !mine.has(s));
    expect({ onlyOurs, onlyTheirs }).toEqual({ onlyOurs: [], onlyTheirs: [] });
  });
});
