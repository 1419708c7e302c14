/**
 * The JSON and text endpoints of `lambdascrape run`, on a real LocalRunner with an exporter on
 * 127.0.0.1: `/api/v1/targets?state=` and `/api/v1/targets/relabel_steps` in Prometheus's
 * shapes, `/api/v1/status/config` redacted, `/metrics` with the process and Node.js families,
 * and the pages' filter query applied on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { TEXT_FORMAT_CONTENT_TYPE } from '../../src/local/metrics.js';
import { LocalRunner } from '../../src/local/runner.js';
import { parseMetrics, RecordingSink, startTarget, type TestTarget } from '../local/helpers.js';
import { pollUntil } from '../support/poll.js';

const CONFIG = (address: string) => `# a comment with password: in-a-comment
global: { scrape_interval: 1s, scrape_timeout: 800ms }
scrape_configs:
  - job_name: node
    basic_auth: { username: u, password: not-for-your-eyes }
    params: { token: [param-secret] }
    static_configs: [{ targets: ["${address}"], labels: { env: prod } }]
    relabel_configs:
      - source_labels: [__param_token]
        regex: param-.*
        target_label: token_seen
        replacement: "yes"
      - source_labels: [env]
        regex: dev
        action: drop
  - job_name: other
    static_configs:
      - targets: ["a.invalid:1"]
        labels: { drop: "1" }
    relabel_configs:
      - source_labels: [drop]
        regex: "1"
        action: drop
`;

describe('the endpoints of run', () => {
  let target: TestTarget;
  let runner: LocalRunner;
  const get = async (path: string) => {
    const res = await fetch(`${runner.url}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const json = async (path: string) => {
    const r = await get(path);
    return { status: r.status, body: JSON.parse(r.text) };
  };

  beforeAll(async () => {
    target = await startTarget();
    runner = new LocalRunner({
      config: loadConfig(CONFIG(target.address), { env: {} }),
      listen: { host: '127.0.0.1', port: 0 },
      createSink: () => new RecordingSink(),
    });
    await runner.start();
    await pollUntil(async () => {
      const { body } = await json('/api/v1/targets?state=active');
      return body.data.activeTargets[0]?.health === 'up' ? true : undefined;
    });
  });

  afterAll(async () => {
    await runner?.stop();
    await target?.close();
  });

  it('/api/v1/targets?state= selects as Prometheus does', async () => {
    const active = (await json('/api/v1/targets?state=active')).body.data;
    expect(active.activeTargets).toHaveLength(1);
    expect(active.activeTargets[0]).toMatchObject({
      scrapePool: 'node',
      health: 'up',
      scrapeInterval: '1s',
      scrapeTimeout: '800ms',
      labels: { env: 'prod', job: 'node', token_seen: 'yes' },
    });
    expect(active.activeTargets[0].discoveredLabels.__param_token).toBe('xxxxx');
    expect(active.droppedTargets).toEqual([]);
    expect(active.droppedTargetCounts).toBeNull();

    const dropped = (await json('/api/v1/targets?state=dropped')).body.data;
    expect(dropped.activeTargets).toEqual([]);
    expect(dropped.droppedTargets).toEqual([
      {
        scrapePool: 'other',
        discoveredLabels: expect.objectContaining({ __address__: 'a.invalid:1', drop: '1' }),
      },
    ]);
    expect(dropped.droppedTargetCounts).toEqual({ node: 0, other: 1 });

    const any = (await json('/api/v1/targets')).body.data;
    expect([any.activeTargets.length, any.droppedTargets.length]).toEqual([1, 1]);
    const none = (await json('/api/v1/targets?state=nonsense')).body.data;
    expect([none.activeTargets.length, none.droppedTargets.length]).toEqual([0, 0]);
    const pool = (await json('/api/v1/targets?scrapePool=other')).body.data;
    expect([pool.activeTargets.length, pool.droppedTargets.length]).toEqual([0, 1]);
    expect(pool.droppedTargetCounts).toEqual({ node: 0, other: 1 });
  });

  it('/api/v1/targets/relabel_steps relabels the real target behind redacted labels', async () => {
    const t = (await json('/api/v1/targets?state=active')).body.data.activeTargets[0];
    const query = new URLSearchParams({
      scrapePool: 'node',
      labels: JSON.stringify(t.discoveredLabels),
    });
    const { status, body } = await json(`/api/v1/targets/relabel_steps?${query}`);
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    const steps = body.data.steps;
    expect(steps).toHaveLength(2);
    // The rule matched the real token (the page shows xxxxx), and the output stays redacted.
    expect(steps[0]).toEqual({
      rule: {
        source_labels: ['__param_token'],
        separator: ';',
        regex: 'param-.*',
        target_label: 'token_seen',
        replacement: 'yes',
        action: 'replace',
      },
      output: expect.objectContaining({ __param_token: 'xxxxx', token_seen: 'yes' }),
      keep: true,
    });
    expect(steps[1]).toMatchObject({ keep: true, rule: { action: 'drop' } });
    expect(JSON.stringify(body)).not.toContain('param-secret');

    // Labels no target has are relabeled as given.
    const given = new URLSearchParams({ scrapePool: 'node', labels: '{"env":"dev"}' });
    const dev = (await json(`/api/v1/targets/relabel_steps?${given}`)).body.data.steps;
    expect(dev.map((s: { keep: boolean }) => s.keep)).toEqual([true, false]);
    expect(dev[1].output).toEqual({});
  });

  it.each([
    { query: 'labels={}', error: 'no scrapePool parameter provided' },
    { query: 'scrapePool=node', error: 'no labels parameter provided' },
    { query: 'scrapePool=node&labels=[1]', error: 'error parsing labels: want a JSON object' },
    { query: 'scrapePool=node&labels={"a":1}', error: 'error parsing labels: the value of "a"' },
    { query: 'scrapePool=node&labels={', error: 'error parsing labels:' },
    { query: 'scrapePool=nope&labels={}', error: 'error retrieving scrape config' },
  ])('/api/v1/targets/relabel_steps?$query is bad_data', async ({ query, error }) => {
    const { status, body } = await json(`/api/v1/targets/relabel_steps?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect(body.error).toContain(error);
  });

  it('/api/v1/status/config answers the config YAML with secrets as <secret>', async () => {
    const { status, body } = await json('/api/v1/status/config');
    expect(status).toBe(200);
    expect(body.status).toBe('success');
    const yaml: string = body.data.yaml;
    expect(yaml).toContain('job_name: node');
    expect(yaml).toContain('password: <secret>');
    expect(yaml).toContain('- xxxxx');
    expect(yaml).not.toMatch(/not-for-your-eyes|param-secret|in-a-comment/);
  });

  it('/metrics has the process_* and nodejs_* families after the runner own', async () => {
    const r = await get('/metrics');
    expect(r.type).toBe(TEXT_FORMAT_CONTENT_TYPE);
    const { samples, types } = parseMetrics(r.text, TEXT_FORMAT_CONTENT_TYPE);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_virtual_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'process_max_fds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(samples.get(name), name).toBeGreaterThan(0);
    }
    expect(samples.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(types.get('process_cpu_seconds_total')).toBe('counter');
    expect(types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect([...samples.keys()].some((k) => k.startsWith('nodejs_version_info{'))).toBe(true);
    expect(r.text.indexOf('lambdascrape_')).toBeLessThan(r.text.indexOf('process_'));
    expect(r.text).not.toMatch(/\n\n/);
    const start = samples.get('process_start_time_seconds')!;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
  });

  it('the pages apply their query on the server, and serve their script', async () => {
    const page = await get('/targets?search=nothing-matches&health=up');
    expect(page.text).toMatch(/<tr data-state="up" data-text="[^"]*" hidden>/);
    expect(page.text).toContain('<p class="empty" id="no-match">');
    expect(page.text).toContain('value="up" checked');
    const sd = await get('/service-discovery?state=dropped');
    expect(sd.text).toMatch(/<tr data-state="active" [^>]* hidden>/);
    expect(sd.text).toMatch(/<tr data-state="dropped" data-text="[^"]*a\.invalid:1[^"]*">/);
    const script = await get('/static/page.js');
    expect(script.status).toBe(200);
    expect(script.type).toBe('text/javascript; charset=utf-8');
    const steps = await get('/relabel-steps?scrapePool=node');
    expect(steps.status).toBe(400);
  });
});
