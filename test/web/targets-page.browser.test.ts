// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees (hidden rows and layout included), which is what these tests check.
/**
 * The pages of `lambdascrape run` in a real headless browser (Debian's chromium, driven by
 * playwright-core): a LocalRunner with exporters on 127.0.0.1 — two up, one on a closed port —
 * and a job whose relabeling drops a target. Checked as a person uses the pages: the search
 * and the health filter hide rows, dropped targets are listed with their discovered labels,
 * the relabeling steps of a target are shown, and auto-refresh turns a target that went down
 * DOWN without reloading the page (a marker set on `window` survives).
 *
 * Skipped when /usr/bin/chromium is absent (`apt-get install chromium`). With
 * LAMBDASCRAPE_SCREENSHOTS=<dir> it also writes the screenshots the docs show.
 */
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRunner } from '../../src/local/runner.js';
import { config, RecordingSink, startTarget, type TestTarget } from '../local/helpers.js';
import { pollUntil } from '../support/poll.js';
import { binaryAvailable, REFUSED_PORT } from '../support/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = binaryAvailable(CHROMIUM);
if (!haveChromium) {
  console.warn(`skipping the browser tests of the targets page: ${CHROMIUM} is absent`);
}
const SCREENSHOTS = process.env.LAMBDASCRAPE_SCREENSHOTS;

interface ApiTarget {
  scrapeUrl: string;
  health: string;
  scrapePool: string;
}

describe.skipIf(!haveChromium)('the targets page in a browser', () => {
  let up: TestTarget;
  let flaky: TestTarget;
  const closedPort = REFUSED_PORT;
  let runner: LocalRunner;
  let browser: Browser;
  let page: Page;

  const api = async (): Promise<ApiTarget[]> => {
    const res = await fetch(`${runner.url}/api/v1/targets?state=active`);
    return ((await res.json()) as { data: { activeTargets: ApiTarget[] } }).data.activeTargets;
  };
  const visibleRows = (p: Page) =>
    p
      .locator('#content tr[data-text]:visible')
      .evaluateAll((rows) =>
        rows.map((r) =>
          (r.querySelector('td') as unknown as { innerText: string }).innerText.trim(),
        ),
      );

  beforeAll(async () => {
    up = await startTarget('up_metric 1\n');
    flaky = await startTarget('flaky_metric 1\n');
    runner = new LocalRunner({
      config: config(`
global: { scrape_interval: 1s, scrape_timeout: 800ms }
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["${up.address}", "${flaky.address}"]
        labels: { env: prod }
    relabel_configs:
      - source_labels: [__address__]
        regex: '.*:(\\d+)'
        target_label: port
        replacement: 'p$1'
  - job_name: web
    static_configs:
      - targets: ["127.0.0.1:${closedPort}"]
        labels: { team: web }
      - targets: ["dropme.invalid:9"]
        labels: { team: gone }
    relabel_configs:
      - source_labels: [team]
        regex: gone
        action: drop
`),
      listen: { host: '127.0.0.1', port: 0 },
      createSink: () => new RecordingSink(),
      subtitle: 'browser test',
    });
    await runner.start();
    await pollUntil(async () => {
      const targets = await api();
      return targets.length === 3 && targets.every((t) => t.health !== 'unknown')
        ? true
        : undefined;
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  });

  afterAll(async () => {
    await browser?.close();
    await runner?.stop();
    await up?.close();
    await flaky?.close();
  });

  it('lists every target with its state, interval and timeout', async () => {
    await page.goto(`${runner.url}/targets`);
    expect(await visibleRows(page)).toHaveLength(3);
    const row = page.locator('tr', { hasText: up.url });
    await expect.poll(() => row.locator('.state').innerText()).toBe('UP');
    expect(await row.locator('td.every').innerText()).toBe('1s / 800ms');
    const down = page.locator('tr', { hasText: `127.0.0.1:${closedPort}/metrics` });
    expect(await down.locator('.state').innerText()).toBe('DOWN');
    expect(await page.locator('#content').innerText()).toContain('1 dropped target');
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: join(SCREENSHOTS, 'targets-page.png') });
    }
  });

  it('search filters rows as one types, and the address keeps the query', async () => {
    await page.goto(`${runner.url}/targets`);
    const port = up.address.split(':')[1]!;
    await page.fill('input[name=search]', `port="p${port}"`);
    expect(await visibleRows(page)).toEqual([up.url]);
    expect(new URL(page.url()).searchParams.get('search')).toBe(`port="p${port}"`);
    // The `web` job has no matching row: its section is hidden.
    expect(await page.locator('section[data-job]:visible').count()).toBe(1);
    await page.fill('input[name=search]', 'no such target');
    expect(await visibleRows(page)).toEqual([]);
    expect(await page.locator('#no-match').isVisible()).toBe(true);
    // The server applies the same query: a reload shows the same rows.
    await page.goto(`${runner.url}/targets?search=${encodeURIComponent(`env="prod"`)}`);
    expect((await visibleRows(page)).sort()).toEqual([flaky.url, up.url].sort());
  });

  it('the health filter shows only the ticked states', async () => {
    await page.goto(`${runner.url}/targets`);
    await page.check('input[name=health][value=down]');
    expect(await visibleRows(page)).toEqual([`http://127.0.0.1:${closedPort}/metrics`]);
    await page.check('input[name=health][value=up]');
    expect(await visibleRows(page)).toHaveLength(3);
    await page.uncheck('input[name=health][value=down]');
    expect((await visibleRows(page)).sort()).toEqual([flaky.url, up.url].sort());
    expect(new URL(page.url()).searchParams.getAll('health')).toEqual(['up']);
  });

  it('lists dropped targets with their discovered labels', async () => {
    await page.goto(`${runner.url}/targets`);
    await page.click('text=1 dropped target');
    await page.waitForURL(/\/service-discovery\?state=dropped/);
    const rows = page.locator('#content tr[data-text]:visible');
    expect(await rows.count()).toBe(1);
    const text = await rows.first().innerText();
    expect(text).toContain('__address__="dropme.invalid:9"');
    expect(text).toContain('team="gone"');
    expect(text).toContain('DROPPED');
    // Search and the Show filter work here too: the dropped target among all of them.
    await page.uncheck('input[name=state][value=dropped]');
    expect(await rows.count()).toBe(4);
    await page.fill('input[name=search]', 'team="gone"');
    expect(await rows.count()).toBe(1);
    await page.fill('input[name=search]', '');
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: join(SCREENSHOTS, 'service-discovery-page.png') });
    }
  });

  it('shows the relabeling steps of a target', async () => {
    await page.goto(`${runner.url}/targets`);
    const port = up.address.split(':')[1]!;
    await page.locator('tr', { hasText: up.url }).locator('a.relabel').click();
    await page.waitForURL(/\/relabel-steps\?/);
    const step = page.locator('[data-step="1"]');
    expect(await step.innerText()).toContain('target_label');
    const added = step.locator('tr.added');
    expect(await added.count()).toBe(1);
    expect(await added.innerText()).toMatch(new RegExp(`port\\s+p${port}`));
    expect(await page.locator('#verdict').innerText()).toMatch(/^Kept/);
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: join(SCREENSHOTS, 'relabel-steps-page.png'), fullPage: true });
    }

    // A dropped target: the rule that dropped it says so.
    await page.goto(`${runner.url}/service-discovery?state=dropped`);
    await page.locator('#content tr[data-text]:visible a.relabel').click();
    await page.waitForURL(/\/relabel-steps\?/);
    expect(await page.locator('[data-step="1"]').innerText()).toContain('Dropped by this rule');
    expect(await page.locator('#verdict').innerText()).toMatch(/^Dropped/);
  });

  it('auto-refresh shows a target that went down, without reloading the page', async () => {
    await page.goto(`${runner.url}/targets`);
    const state = () => page.locator('tr', { hasText: flaky.url }).locator('.state').innerText();
    expect(await state()).toBe('UP');
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    await page.check('#auto-refresh');
    await flaky.close();
    await pollUntil(async () =>
      (await api()).some((t) => t.scrapeUrl === flaky.url && t.health === 'down')
        ? true
        : undefined,
    );
    await expect.poll(state, { timeout: 12_000, interval: 250 }).toBe('DOWN');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(
      42,
    );
    // The toggle is remembered, and it can be turned off.
    await page.reload();
    expect(await page.isChecked('#auto-refresh')).toBe(true);
    await page.uncheck('#auto-refresh');
  }, 30_000);
});
