/**
 * The local runner end to end with real HTTP targets on 127.0.0.1, a manual clock (slots fire
 * when the test moves time) and a sink that records every unit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { FileSdDeps } from '../../src/discovery/file/index.js';
import { LocalRunner, type LocalRunnerOptions } from '../../src/local/runner.js';
import { nextScrapeTime } from '../../src/targets/offset.js';
import { ManualClock } from '../schedule/manual-clock.js';
import {
  config,
  parseMetrics,
  type RecordedUnit,
  RecordingSink,
  startTarget,
  type TestTarget,
} from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
/**
 * The clock starts half a millisecond after T0: slots are whole ms, so every `advance(k·interval)`
 * covers exactly k slots of each target, whatever phase the random test ports give it.
 */
const START = T0 + 0.5;
const INTERVAL = 10_000;
/** Clock step of `Harness.advance`: shorter than every interval used here. */
const STEP_MS = 500;

/** Waits until no scrape runs and pending promise callbacks (sink writes, markers) ran. */
async function settled(runner: LocalRunner): Promise<void> {
  await vi.waitFor(() => expect(runner.scrapesInProgress).toBe(0), { timeout: 5_000, interval: 2 });
  await new Promise((r) => setImmediate(r));
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function target(body?: string): Promise<TestTarget> {
  const t = await startTarget(body);
  cleanup.push(() => t.close());
  return t;
}

function jobYaml(name: string, addresses: readonly string[], extra = ''): string {
  return `
  - job_name: ${name}
    scrape_interval: ${INTERVAL / 1000}s
    scrape_timeout: 5s
    static_configs:
      - targets: [${addresses.map((a) => `'${a}'`).join(', ')}]
${extra}`;
}

function yaml(...jobs: string[]): string {
  return `scrape_configs:\n${jobs.join('')}`;
}

interface Harness {
  readonly runner: LocalRunner;
  readonly clock: ManualClock;
  readonly sink: RecordingSink;
  /** What the next reload loads (YAML; invalid YAML makes the reload fail). */
  source: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Moves the clock by `ms` in steps shorter than any interval, letting the scrapes of each
   * step finish (real HTTP) before the next, so no slot is skipped for being busy.
   */
  advance(ms: number): Promise<void>;
}

async function start(
  source: string,
  options: Partial<LocalRunnerOptions> = {},
  startIt = true,
): Promise<Harness> {
  const clock = new ManualClock(START);
  const sink = new RecordingSink();
  const h: Harness = {
    runner: undefined!,
    clock,
    sink,
    source,
    get: (path, init) => fetch(`${h.runner.url}${path}`, init),
    advance: async (ms) => {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        clock.advanceTo(Math.min(end, clock.now() + STEP_MS));
        await settled(h.runner);
      }
    },
  };
  Object.assign(h, {
    runner: new LocalRunner({
      config: config(source),
      loadConfig: async () => config(h.source),
      createSink: pickySink(sink),
      clock,
      listen: { host: '127.0.0.1', port: 0 },
      hostname: 'test-host',
      ...options,
    }),
  });
  cleanup.push(() => h.runner.stop());
  if (startIt) await h.runner.start();
  return h;
}

function seriesOf(u: RecordedUnit): string[] {
  return u.samples.map((s) => `${s.series}${s.stale ? ' stale' : ''}`).sort();
}

function value(u: RecordedUnit, series: string): number | undefined {
  return u.samples.find((s) => s.series === series && !s.stale)?.value;
}

describe('LocalRunner scheduling', () => {
  it('scrapes every target once per interval at its fixed phase, stamped with the slot time', async () => {
    const a = await target();
    const b = await target();
    const h = await start(yaml(jobYaml('j', [a.address, b.address])));
    await h.advance(3 * INTERVAL);

    for (const t of [a, b]) {
      const units = h.sink.of(t.url);
      expect(units).toHaveLength(3);
      const stamps = units.map((u) => u.meta.timestampMs);
      expect(stamps[1]! - stamps[0]!).toBe(INTERVAL);
      expect(stamps[2]! - stamps[1]!).toBe(INTERVAL);
      for (const u of units) {
        expect(u.meta.up).toBe(true);
        // Samples without their own timestamp, and the report series, carry the slot time.
        for (const s of u.samples) expect(s.timestampMs).toBe(u.meta.timestampMs);
        expect(value(u, `up{instance="${t.address}", job="j"}`)).toBe(1);
        expect(value(u, `metric_a{instance="${t.address}", job="j"}`)).toBe(1);
      }
    }
  });

  it('skips a slot while the previous scrape of the target still runs, and counts it', async () => {
    const slow = await target();
    slow.delayMs = 400;
    const h = await start(
      yaml(`
  - job_name: slow
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['${slow.address}']
`),
    );
    h.clock.advance(1_000); // the first slot starts; the scrape takes 400 ms of real time
    h.clock.advance(1_000); // the next slot comes while it runs
    await vi.waitFor(() => expect(h.sink.units).toHaveLength(1), { timeout: 5_000 });
    const { samples } = parseMetrics(await (await h.get('/metrics')).text(), 'text/plain');
    const busy = samples.get(
      'lambdascrape_scrape_slots_skipped_total{reason="busy", scrape_job="slow"}',
    );
    expect(busy).toBe(1);
    expect(slow.requests).toBe(1);
  });
});

describe('LocalRunner target set changes', () => {
  it('keeps state of unchanged targets, writes end-of-run markers for removed ones (§8.3), none for never-scraped', async () => {
    const a = await target();
    const b = await target();
    const c = await target();
    const h = await start(yaml(jobYaml('j', [a.address, b.address])));
    await h.advance(INTERVAL);
    const lastB = h.sink.of(b.url)[0]!;

    await h.runner.reload(config(yaml(jobYaml('j', [a.address, c.address]))));
    await h.runner.reload(config(yaml(jobYaml('j', [a.address])))); // c goes before its first slot
    expect(c.requests).toBe(0);

    // staleTime is b's first slot after the removal (≈ last scrape + interval); markers are
    // written one interval and a tenth later.
    const phaseB = { intervalMs: INTERVAL, offsetMs: lastB.meta.timestampMs % INTERVAL };
    const staleTime = nextScrapeTime(phaseB, h.clock.now() + 1);
    expect(staleTime - lastB.meta.timestampMs).toBeLessThanOrEqual(2 * INTERVAL);
    const writeAt = staleTime + INTERVAL + INTERVAL / 10;
    await h.advance(writeAt - 1 - h.clock.now());
    const slotsOfA = () =>
      Math.floor((h.clock.now() - h.sink.of(a.url)[0]!.meta.timestampMs) / INTERVAL) + 1;
    expect(h.sink.of(a.url)).toHaveLength(slotsOfA());
    expect(h.sink.of(b.url, 'end-of-run')).toHaveLength(0);
    await h.advance(1);
    expect(h.sink.of(b.url, 'end-of-run')).toHaveLength(1);

    const eor = h.sink.of(b.url, 'end-of-run')[0]!;
    expect(eor.meta.timestampMs).toBe(staleTime);
    expect(eor.samples.every((s) => s.stale && s.timestampMs === staleTime)).toBe(true);
    const inst = `instance="${b.address}", job="j"`;
    expect(seriesOf(eor)).toEqual(
      [
        `metric_a{${inst}} stale`,
        `metric_b{${inst}, x="y"} stale`,
        `scrape_duration_seconds{${inst}} stale`,
        `scrape_samples_post_metric_relabeling{${inst}} stale`,
        `scrape_samples_scraped{${inst}} stale`,
        `scrape_series_added{${inst}} stale`,
        `up{${inst}} stale`,
      ].sort(),
    );

    await h.advance(5 * INTERVAL);
    expect(h.sink.of(a.url)).toHaveLength(slotsOfA());
    expect(h.sink.of(c.url, 'end-of-run')).toHaveLength(0);
    expect(h.sink.of(c.url)).toHaveLength(0);
    // a was never interrupted: no stale markers, one scrape per interval.
    const aUnits = h.sink.of(a.url);
    for (const u of aUnits) expect(u.samples.some((s) => s.stale)).toBe(false);
    aUnits.slice(1).forEach((u, i) => {
      expect(u.meta.timestampMs - aUnits[i]!.meta.timestampMs).toBe(INTERVAL);
    });
  });

  it('a target that comes back before its markers are due keeps its state and gets none', async () => {
    const a = await target();
    const h = await start(yaml(jobYaml('j', [a.address])));
    await h.advance(INTERVAL);
    await h.runner.reload(config(yaml(jobYaml('j', []))));
    await h.runner.reload(config(yaml(jobYaml('j', [a.address]))));
    await h.advance(INTERVAL);
    await h.advance(3 * INTERVAL);
    expect(h.sink.of(a.url)).toHaveLength(5);
    expect(h.sink.of(a.url, 'end-of-run')).toHaveLength(0);
    for (const u of h.sink.of(a.url)) expect(u.samples.some((s) => s.stale)).toBe(false);
  });

  it('a job whose config changed keeps target state but scrapes with the new config (fresh cache)', async () => {
    const a = await target();
    const h = await start(yaml(jobYaml('j', [a.address])));
    await h.advance(INTERVAL);
    await h.advance(INTERVAL);
    const dropB = `    metric_relabel_configs:
      - source_labels: [__name__]
        regex: metric_b
        action: drop
`;
    await h.runner.reload(config(yaml(jobYaml('j', [a.address], dropB))));
    await h.advance(INTERVAL);
    const [first, , third] = h.sink.of(a.url);
    const inst = `instance="${a.address}", job="j"`;
    // The series the cache knew is now dropped by the new rule, and staled because the state
    // (previous series) survived the reload.
    expect(seriesOf(third!)).toContain(`metric_b{${inst}, x="y"} stale`);
    expect(seriesOf(third!)).toContain(`metric_a{${inst}}`);
    expect(third!.meta.timestampMs - first!.meta.timestampMs).toBe(2 * INTERVAL);
    await h.advance(3 * INTERVAL);
    expect(h.sink.of(a.url)).toHaveLength(6);
    expect(h.sink.of(a.url, 'end-of-run')).toHaveLength(0);
  });

  it('a new scrape_interval (new target id, same labels) continues the series without end-of-run markers', async () => {
    const a = await target();
    const h = await start(yaml(jobYaml('j', [a.address])));
    await h.advance(INTERVAL);
    const before = h.sink.of(a.url)[0]!;
    const changed = yaml(jobYaml('j', [a.address]).replace(`${INTERVAL / 1000}s`, '20s'));
    await h.runner.reload(config(changed));
    a.body = 'metric_a 5\n';
    await h.advance(20_000);
    const after = h.sink.of(a.url)[1]!;
    expect(after.meta.timestampMs).toBeGreaterThan(before.meta.timestampMs);
    const inst = `instance="${a.address}", job="j"`;
    expect(seriesOf(after)).toContain(`metric_b{${inst}, x="y"} stale`);
    expect(value(after, `metric_a{${inst}}`)).toBe(5);
    await h.advance(60_000);
    expect(h.sink.of(a.url)).toHaveLength(5);
    expect(h.sink.of(a.url, 'end-of-run')).toHaveLength(0);
    const stamps = h.sink
      .of(a.url)
      .slice(1)
      .map((u) => u.meta.timestampMs);
    expect(stamps[1]! - stamps[0]!).toBe(20_000);
  });

  it('re-reads file_sd every refresh_interval and is ready only once the first target list is built', async () => {
    const a = await target();
    const b = await target();
    let content = JSON.stringify([{ targets: [a.address] }]);
    let gate: (() => void) | undefined;
    const gateOpen = new Promise<void>((r) => {
      gate = r;
    });
    const fs: FileSdDeps = {
      readFile: async () => {
        await gateOpen;
        return new TextEncoder().encode(content);
      },
      readDir: async () => ['targets.json'],
    };
    const h = await start(
      `scrape_configs:
  - job_name: f
    scrape_interval: 10s
    file_sd_configs:
      - files: ['/sd/targets.json']
        refresh_interval: 30s
`,
      { discovery: { file: fs } },
      false,
    );
    const starting = h.runner.start();
    await vi.waitFor(() => expect(h.runner.url).toBeDefined());
    expect((await h.get('/-/ready')).status).toBe(503);
    expect((await h.get('/-/healthy')).status).toBe(200);
    gate!();
    await starting;
    expect((await h.get('/-/ready')).status).toBe(200);
    expect(h.runner.targetsView()[0]!.targets.map((t) => t.url)).toEqual([a.url]);

    content = JSON.stringify([{ targets: [a.address, b.address] }]);
    h.clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.runner.targetsView()[0]!.targets).toHaveLength(1);
    h.clock.advance(1_000);
    await vi.waitFor(() => expect(h.runner.targetsView()[0]!.targets).toHaveLength(2));
  });
});

describe('LocalRunner reload over HTTP', () => {
  it('applies a good config, answers 500 for a bad one and keeps running the old', async () => {
    const a = await target();
    const b = await target();
    const h = await start(yaml(jobYaml('j', [a.address])));
    const targetsOf = async () => {
      const body = (await (await h.get('/api/v1/targets')).json()) as {
        data: { activeTargets: { scrapeUrl: string }[] };
      };
      return body.data.activeTargets.map((t) => t.scrapeUrl).sort();
    };

    h.source = yaml(jobYaml('j', [a.address, b.address]));
    const good = await h.get('/-/reload', { method: 'POST' });
    expect(good.status).toBe(200);
    expect(await targetsOf()).toEqual([a.url, b.url].sort());

    h.source = 'scrape_configs:\n  - job_name: j\n    scrape_interval: soon\n';
    const bad = await h.get('/-/reload', { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe(
      'failed to reload config: <config>:3:22: not a valid duration string: "soon"\n',
    );
    expect(await targetsOf()).toEqual([a.url, b.url].sort());

    // A config that loads but cannot be applied (here: a sink that refuses it) fails the same way.
    h.source = `${yaml(jobYaml('k', [a.address]))}remote_write:\n  - url: http://127.0.0.1:1/w\n`;
    const refused = await h.get('/-/reload', { method: 'POST' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('sink refused');
    expect(h.runner.targetsView().map((j) => j.name)).toEqual(['j']);

    await h.advance(INTERVAL);
    expect(h.sink.of(a.url)).toHaveLength(1);
    expect(h.sink.of(b.url)).toHaveLength(1);

    const { samples } = parseMetrics(await (await h.get('/metrics')).text(), 'text/plain');
    expect(samples.get('lambdascrape_config_last_reload_successful')).toBe(0);
    expect(samples.get('lambdascrape_config_reloads_total{result="success"}')).toBe(2);
    expect(samples.get('lambdascrape_config_reloads_total{result="failure"}')).toBe(2);
    expect((await h.get('/-/reload')).status).toBe(405);
  });

  it('SIGHUP-style reloadFromSource reports the error without throwing', async () => {
    const h = await start(yaml(jobYaml('j', [])));
    h.source = 'global: [';
    const outcome = await h.runner.reloadFromSource();
    expect(outcome.ok).toBe(false);
    h.source = yaml(jobYaml('j2', []));
    expect(await h.runner.reloadFromSource()).toEqual({ ok: true });
    expect(h.runner.targetsView().map((j) => j.name)).toEqual(['j2']);
  });
});

/** A createSink that refuses configs with remote_write, to make a reload fail when applied. */
function pickySink(sink: RecordingSink): (c: Config) => RecordingSink {
  return (c) => {
    if (c.remoteWrite.length > 0) throw new Error('sink refused the remote_write config');
    return sink;
  };
}

describe('LocalRunner HTTP endpoints', () => {
  it('/metrics parses with our text parser and has the runner series', async () => {
    const a = await target();
    const h = await start(yaml(jobYaml('j', [a.address, '127.0.0.1:1'])));
    await h.advance(INTERVAL);
    const res = await h.get('/metrics');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { samples, types } = parseMetrics(await res.text(), res.headers.get('content-type')!);
    const want: Record<string, number> = {
      'lambdascrape_scrapes_total{result="up", scrape_job="j"}': 1,
      'lambdascrape_scrapes_total{result="down", scrape_job="j"}': 1,
      'lambdascrape_scrape_samples_scraped_total{scrape_job="j"}': 2,
      'lambdascrape_scrape_lateness_seconds_count{scrape_job="j"}': 2,
      'lambdascrape_scrape_lateness_seconds_bucket{le="0.001", scrape_job="j"}': 2,
      'lambdascrape_scrape_duration_seconds_count{scrape_job="j"}': 2,
      'lambdascrape_targets{job="j", state="up"}': 1,
      'lambdascrape_targets{job="j", state="down"}': 1,
      'lambdascrape_targets{job="j", state="unknown"}': 0,
      'lambdascrape_targets_dropped{job="j"}': 0,
      lambdascrape_config_last_reload_successful: 1,
      'lambdascrape_config_reloads_total{result="success"}': 1,
      'lambdascrape_config_reloads_total{result="failure"}': 0,
      'lambdascrape_build_info{version="0.1.0"}': 1,
      'lambdascrape_remote_write_samples_total{remote_name="fake", result="sent"}': 7,
      'lambdascrape_remote_write_samples_total{remote_name="fake", result="rejected"}': 1,
      'lambdascrape_remote_write_samples_total{remote_name="fake", result="dropped"}': 0,
      'lambdascrape_remote_write_samples_retried_total{remote_name="fake"}': 2,
      'lambdascrape_remote_write_samples_pending{remote_name="fake"}': 3,
    };
    for (const [series, v] of Object.entries(want))
      expect([series, samples.get(series)]).toEqual([series, v]);
    expect(samples.has('lambdascrape_config_last_reload_success_timestamp_seconds')).toBe(true);
    expect(types.get('lambdascrape_scrape_lateness_seconds')).toBe('histogram');
    expect(types.get('lambdascrape_scrapes_total')).toBe('counter');
    // The runner's own families, then the process-wide process_* and nodejs_* ones.
    for (const name of samples.keys()) expect(name).toMatch(/^(lambdascrape|process|nodejs)_/);
    expect(samples.has('process_resident_memory_bytes')).toBe(true);
  });

  it("/targets escapes a malicious label value; /api/v1/targets has Prometheus's shape", async () => {
    const a = await target();
    const evil = '<script>alert(1)</script>"\'&';
    const h = await start(
      yaml(
        jobYaml(
          'j',
          [a.address, '127.0.0.1:2'],
          `        labels:
          note: '${evil.replace(/'/g, "''")}'
    relabel_configs:
      - source_labels: [__address__]
        regex: '.*:2'
        action: drop
`,
        ),
      ),
    );
    await h.advance(INTERVAL);

    const page = await h.get('/targets');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    // The only script is the runner's own file, which the policy allows and nothing else.
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="/static/page.js" defer></script>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).toContain(
      'note=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&quot;',
    );
    expect(html).toContain('j <span class="count">(1/1 up)</span>');
    expect(html).toContain('1 dropped target');

    const api = await h.get('/api/v1/targets');
    expect(api.headers.get('content-type')).toBe('application/json');
    const body = (await api.json()) as Record<string, unknown>;
    expect(body).toEqual({
      status: 'success',
      data: {
        activeTargets: [
          {
            discoveredLabels: {
              __address__: a.address,
              __always_scrape_classic_histograms__: 'false',
              __convert_classic_histograms_to_nhcb__: 'false',
              __metrics_path__: '/metrics',
              __scheme__: 'http',
              __scrape_interval__: '10s',
              __scrape_native_histograms__: 'false',
              __scrape_timeout__: '5s',
              job: 'j',
              note: evil,
            },
            labels: { instance: a.address, job: 'j', note: evil },
            scrapePool: 'j',
            scrapeUrl: a.url,
            globalUrl: a.url.replace('127.0.0.1', 'test-host'),
            lastError: '',
            lastScrape: expect.stringMatching(/^2026-01-01T00:00:\d\d\.\d{3}Z$/),
            lastScrapeDuration: expect.any(Number),
            health: 'up',
            scrapeInterval: '10s',
            scrapeTimeout: '5s',
          },
        ],
        droppedTargets: [
          {
            discoveredLabels: expect.objectContaining({ __address__: '127.0.0.1:2', note: evil }),
            scrapePool: 'j',
          },
        ],
        droppedTargetCounts: { j: 1 },
      },
    });
  });

  it('answers 404 and 405 like a plain server', async () => {
    const h = await start(yaml(jobYaml('j', [])));
    expect((await h.get('/nope')).status).toBe(404);
    expect((await h.get('/metrics', { method: 'POST' })).status).toBe(405);
    const root = await h.get('/', { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/targets');
  });
});

describe('LocalRunner shutdown and output', () => {
  it('lets scrapes in progress finish, flushes and closes the sink, writes no end-of-run markers', async () => {
    const slow = await target();
    const gone = await target();
    const h = await start(yaml(jobYaml('j', [slow.address, gone.address])));
    await h.advance(INTERVAL);
    await h.runner.reload(config(yaml(jobYaml('j', [slow.address])))); // `gone` retires
    slow.delayMs = 300;
    h.clock.advance(INTERVAL); // slow's next scrape starts and takes 300 ms
    await vi.waitFor(() => expect(slow.requests).toBe(2));
    const url = h.runner.url!;
    await h.runner.stop();
    const units = h.sink.of(slow.url);
    expect(units).toHaveLength(2);
    expect(units[1]!.meta.up).toBe(true);
    expect(h.sink.calls.slice(-2)).toEqual(['flush', 'close']);
    h.clock.advance(10 * INTERVAL);
    expect(h.sink.of(gone.url, 'end-of-run')).toHaveLength(0);
    expect(h.runner.isReady).toBe(false);
    await expect(fetch(`${url}/-/healthy`)).rejects.toThrow();
    await h.runner.stop(); // idempotent
  });

  it('without remote_write prints one line per scrape to stdout', async () => {
    const a = await target();
    const out: string[] = [];
    const clock = new ManualClock(START);
    const runner = new LocalRunner({
      config: config(yaml(jobYaml('j', [a.address, '127.0.0.1:1']))),
      clock,
      hostname: 'test-host',
      stdout: (t) => out.push(t),
    });
    cleanup.push(() => runner.stop());
    await runner.start();
    clock.advance(INTERVAL);
    await vi.waitFor(() => expect(out).toHaveLength(2));
    const lines = out.join('').trimEnd().split('\n');
    lines.sort((x, y) => Number(x.includes(a.address)) - Number(y.includes(a.address)));
    expect(lines[0]).toMatch(
      /^2026-01-01T00:00:\d\d\.\d{3}Z job=j instance=127\.0\.0\.1:1 up=0 samples=0 duration=\d+ms error=".*ECONNREFUSED.*"$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^2026-01-01T00:00:\\d\\d\\.\\d{3}Z job=j instance=${a.address} up=1 samples=2 duration=\\d+ms$`,
      ),
    );
  });
});

describe('scrape_failure_log_file', () => {
  it("appends one JSON line per failed scrape to the job's file, else the global one; secrets in the URL stay out", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failure-log-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const good = await target();
    const globalFile = join(dir, 'global.log');
    const ownFile = join(dir, 'own.log');
    const h = await start(
      `global:\n  scrape_failure_log_file: ${globalFile}\n${yaml(
        jobYaml('down', ['127.0.0.1:1']),
        jobYaml(
          'own',
          ['127.0.0.1:1'],
          `    scrape_failure_log_file: ${ownFile}\n    params: { token: [s3cr3t-token-value] }`,
        ),
        jobYaml('up', [good.address]),
      )}`,
    );
    await h.advance(2 * INTERVAL);
    await h.runner.stop();
    const lines = (file: string) =>
      readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
    const global = lines(globalFile);
    const own = lines(ownFile);
    expect(global).toHaveLength(2);
    expect(own).toHaveLength(2);
    for (const line of global) {
      expect(Object.keys(line)).toEqual(['time', 'level', 'source', 'msg', 'target']);
      expect(line.level).toBe('ERROR');
      expect(line.target).toBe('http://127.0.0.1:1/metrics');
      expect(line.msg).toMatch(/ECONNREFUSED|connect|refused/i);
      expect(Number.isNaN(Date.parse(line.time!))).toBe(false);
    }
    expect(own[0]!.target).toMatch(/^http:\/\/127\.0\.0\.1:1\/metrics\?token=/);
    expect(readFileSync(ownFile, 'utf8')).not.toContain('s3cr3t-token-value');
  });
});
