import { describe, expect, it } from 'vitest';
import type { JobView, TargetView } from '../../src/local/target-view.js';
import { globalUrl, targetsApiResponse, ZERO_TIME } from '../../src/local/targets-api.js';
import {
  escapeHtml,
  formatAgo,
  formatScrapeDuration,
  relabelStepsHref,
  renderRelabelStepsPage,
  renderServiceDiscoveryPage,
  renderTargetsPage,
  rowMatches,
} from '../../src/local/targets-page.js';
import { labelsFromRecord } from '../../src/model/labels.js';

const NOW = Date.UTC(2026, 10, 24, 22, 30, 0);
const EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>\'&';

function target(overrides: Partial<TargetView> = {}): TargetView {
  return {
    url: 'http://127.0.0.1:9100/metrics',
    health: 'up',
    labels: labelsFromRecord({ instance: '127.0.0.1:9100', job: 'node' }),
    discoveredLabels: labelsFromRecord({ __address__: '127.0.0.1:9100', job: 'node' }),
    lastScrapeMs: NOW - 3_200,
    lastDurationSeconds: 0.0123,
    lastError: undefined,
    intervalMs: 15_000,
    timeoutMs: 10_000,
    ...overrides,
  };
}

const jobs: JobView[] = [
  {
    name: 'node',
    targets: [
      target(),
      target({
        url: 'http://127.0.0.1:9101/metrics',
        health: 'down',
        lastError: 'connect ECONNREFUSED <127.0.0.1>',
      }),
      target({
        url: 'http://localhost:9102/metrics',
        health: 'unknown',
        lastScrapeMs: undefined,
        lastDurationSeconds: undefined,
      }),
    ],
    dropped: [labelsFromRecord({ __address__: 'x:1' })],
    droppedCount: 4,
    problems: [],
  },
  {
    name: `evil${EVIL}`,
    targets: [
      target({
        url: `http://h/${EVIL}`,
        labels: labelsFromRecord({ [`name${EVIL}`]: EVIL, job: 'evil' }),
        discoveredLabels: labelsFromRecord({ __meta_x: EVIL }),
        lastError: EVIL,
      }),
    ],
    dropped: [],
    droppedCount: 0,
    problems: [EVIL],
  },
];

describe('/targets page', () => {
  it.each([
    { at: undefined, want: 'never' },
    { at: NOW - 850, want: '850ms ago' },
    { at: NOW - 3_249, want: '3.2s ago' },
    { at: NOW - 59_999, want: '59.9s ago' },
    { at: NOW - 252_000, want: '4m 12s ago' },
    { at: NOW - 7_500_000, want: '2h 5m ago' },
    { at: NOW - 3 * 86_400_000 - 4 * 3_600_000, want: '3d 4h ago' },
    { at: NOW + 5, want: '0ms ago' },
  ])('formatAgo($at) = $want', ({ at, want }) => {
    expect(formatAgo(at, NOW)).toBe(want);
  });

  it.each([
    { s: undefined, want: '–' },
    { s: 0.0123, want: '12.3ms' },
    { s: 1.2041, want: '1.204s' },
  ])('formatScrapeDuration($s) = $want', ({ s, want }) => {
    expect(formatScrapeDuration(s)).toBe(want);
  });

  it('escapes every untrusted string', () => {
    expect(escapeHtml(EVIL)).toBe(
      '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;',
    );
    const html = renderTargetsPage(jobs, { nowMs: NOW, subtitle: EVIL });
    // The only script is the runner's own file.
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="/static/page.js" defer></script>');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/"\s*onerror=/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain(EVIL);
    // In attribute position (the discovered labels tooltip) too.
    expect(html).toContain('title="discovered: __meta_x=&quot;&quot;&gt;&lt;script&gt;');
  });

  it('shows a section per job with its up count, states, chips, times and errors', () => {
    const html = renderTargetsPage(jobs, { nowMs: NOW });
    expect(html).toContain('node <span class="count bad">(1/3 up)</span>');
    expect(html).toContain('4 dropped targets');
    expect(html).toContain('<span class="state up">UP</span>');
    expect(html).toContain('<span class="state down">DOWN</span>');
    expect(html).toContain('<span class="state unknown">UNKNOWN</span>');
    expect(html).toContain('<span class="chip">instance=&quot;127.0.0.1:9100&quot;</span>');
    expect(html).toContain('3.2s ago');
    expect(html).toContain('12.3ms');
    expect(html).toContain('connect ECONNREFUSED &lt;127.0.0.1&gt;');
    expect(html).toContain('2/4 up in 2 jobs');
  });
});

describe('filters, /service-discovery and /relabel-steps', () => {
  it.each([
    { filter: undefined, want: true },
    { filter: { search: '  ' }, want: true },
    { filter: { search: 'ENV="PROD" 9100' }, want: true },
    { filter: { search: 'env="prod" 9101' }, want: false },
    { filter: { states: ['down', 'unknown'] }, want: false },
    { filter: { states: ['up'], search: '9100' }, want: true },
  ])('rowMatches($filter) = $want', ({ filter, want }) => {
    expect(rowMatches('http://h:9100/metrics env="prod"', 'up', filter)).toBe(want);
  });

  it('marks the rows and sections a filter hides, and says when nothing matches', () => {
    const down = renderTargetsPage(jobs, { nowMs: NOW, filter: { states: ['down'] } });
    expect(down.match(/<tr data-state="[a-z]+" data-text="[^"]*">/g)).toHaveLength(1);
    expect(down).toContain('<tr data-state="down" data-text="http://127.0.0.1:9101/metrics');
    expect(down).toContain('<section id="job-1" data-job hidden>');
    expect(down).toContain('<p class="empty" id="no-match" hidden>');
    expect(down).toContain('value="down" checked');
    const none = renderTargetsPage(jobs, { nowMs: NOW, filter: { search: 'nothing' } });
    expect(none).toContain('<p class="empty" id="no-match">');
    expect(none).toContain(`value="nothing"`);
    expect(renderTargetsPage(jobs, { nowMs: NOW })).not.toMatch(/<(tr|section) [^>]*hidden>/);
  });

  it('shows interval and timeout, and links the relabeling steps and dropped targets', () => {
    const html = renderTargetsPage(jobs, { nowMs: NOW });
    expect(html).toContain('>15s / 10s</td>');
    const href = relabelStepsHref('node', jobs[0]!.targets[0]!.discoveredLabels);
    const url = new URL(href, 'http://x');
    expect(url.pathname).toBe('/relabel-steps');
    expect(url.searchParams.get('scrapePool')).toBe('node');
    expect(JSON.parse(url.searchParams.get('labels')!)).toEqual({
      __address__: '127.0.0.1:9100',
      job: 'node',
    });
    expect(html).toContain(`href="${escapeHtml(href)}"`);
    expect(html).toContain(
      '<a href="/service-discovery?state=dropped#job-0">4 dropped targets</a>',
    );
  });

  it('/service-discovery lists active and dropped targets with their discovered labels', () => {
    const html = renderServiceDiscoveryPage(jobs, { nowMs: NOW, subtitle: EVIL });
    expect(html).toContain('node <span class="count">(3 active, 4 dropped)</span>');
    expect(html).toMatch(/<tr data-state="dropped" data-text="[^"]*__address__=&quot;x:1&quot;/);
    expect(html).toContain('<span class="state dropped">DROPPED</span>');
    expect(html).toContain('3 more dropped targets not kept (keep_dropped_targets).');
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).not.toContain(EVIL);
    const dropped = renderServiceDiscoveryPage(jobs, {
      nowMs: NOW,
      filter: { states: ['dropped'] },
    });
    expect(dropped.match(/<tr data-state="active"[^>]* hidden>/g)).toHaveLength(4);
  });

  it('/relabel-steps marks what each rule added, changed and removed, and escapes it all', () => {
    const html = renderRelabelStepsPage(
      {
        scrapePool: EVIL,
        input: labelsFromRecord({ a: '1', b: '2', [EVIL]: EVIL }),
        steps: [
          {
            rule: { action: 'replace', regex: EVIL, target_label: 'c' },
            output: labelsFromRecord({ a: '9', c: '3', [EVIL]: EVIL }),
            keep: true,
          },
          { rule: { action: 'drop' }, output: [], keep: false },
          { rule: { action: 'keep' }, output: [], keep: false },
        ],
      },
      NOW,
    );
    expect(html).toContain('<tr class="changed"><td class="mark">~</td><th>a</th><td>9</td></tr>');
    expect(html).toContain('<tr class="removed"><td class="mark">−</td><th>b</th><td>2</td></tr>');
    expect(html).toContain('<tr class="added"><td class="mark">+</td><th>c</th><td>3</td></tr>');
    expect(html).toContain('Dropped by this rule.');
    expect(html).toContain('Rule 3 · not applied (dropped before)');
    expect(html).toContain('Dropped: the target is not scraped.');
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
  });
});

describe('/api/v1/targets', () => {
  it("has the shape of Prometheus's API", () => {
    const body = targetsApiResponse(jobs.slice(0, 1), 'box.example');
    expect(body.status).toBe('success');
    expect(body.data.activeTargets[0]).toEqual({
      discoveredLabels: { __address__: '127.0.0.1:9100', job: 'node' },
      labels: { instance: '127.0.0.1:9100', job: 'node' },
      scrapePool: 'node',
      scrapeUrl: 'http://127.0.0.1:9100/metrics',
      globalUrl: 'http://box.example:9100/metrics',
      lastError: '',
      lastScrape: new Date(NOW - 3_200).toISOString(),
      lastScrapeDuration: 0.0123,
      health: 'up',
      scrapeInterval: '15s',
      scrapeTimeout: '10s',
    });
    expect(body.data.activeTargets[2]).toMatchObject({
      health: 'unknown',
      lastScrape: ZERO_TIME,
      lastScrapeDuration: 0,
      lastError: '',
    });
    expect(body.data.droppedTargets).toEqual([
      { discoveredLabels: { __address__: 'x:1' }, scrapePool: 'node' },
    ]);
    expect(body.data.droppedTargetCounts).toEqual({ node: 4 });
  });

  it.each([
    { query: { state: 'active' }, active: 4, dropped: 0 },
    { query: { state: 'dropped' }, active: 0, dropped: 1 },
    { query: { state: 'any' }, active: 4, dropped: 1 },
    { query: { scrapePool: 'node' }, active: 3, dropped: 1 },
    { query: { scrapePool: 'nope' }, active: 0, dropped: 0 },
  ])('filters by $query', ({ query, active, dropped }) => {
    const body = targetsApiResponse(jobs, 'h', query);
    expect(body.data.activeTargets).toHaveLength(active);
    expect(body.data.droppedTargets).toHaveLength(dropped);
  });

  it.each([
    { url: 'http://127.0.0.1:9100/metrics', want: 'http://box:9100/metrics' },
    { url: 'http://localhost:9100/metrics?a=b', want: 'http://box:9100/metrics?a=b' },
    { url: 'https://[::1]:443/m', want: 'https://box/m' },
    { url: 'http://10.0.0.1:9100/metrics', want: 'http://10.0.0.1:9100/metrics' },
    { url: 'not a url', want: 'not a url' },
  ])('globalUrl($url)', ({ url, want }) => {
    expect(globalUrl(url, 'box')).toBe(want);
  });
});
