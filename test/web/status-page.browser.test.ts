// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees.
/**
 * The deployed stack's targets page in a real headless browser: the status-page function's
 * handler (src/serverless/status-page.ts) behind a local HTTP server that turns each request
 * into a function-URL event, reading a deployment's tables on dynalite with the real SDK
 * client. Checked as a person uses it: every target with its health, the search and the health
 * filter hiding rows (the page's script, allowed by its CSP), and no secret on the page.
 *
 * Skipped when /usr/bin/chromium is absent (`apt-get install chromium`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTargetHealthStore } from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../../src/aws/dynamodb-window-ledger.js';
import { handleStatusPage } from '../../src/serverless/status-page.js';
import type { Target } from '../../src/targets/types.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { binaryAvailable } from '../support/processes.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = binaryAvailable(CHROMIUM);

function target(id: string, job: string, url: string, instance: string): Target {
  const labels = [
    { name: 'instance', value: instance },
    { name: 'job', value: job },
  ];
  return {
    id,
    job,
    url,
    labels,
    publicLabels: labels,
    discoveredLabels: [{ name: '__address__', value: instance }],
    intervalMs: 15_000,
    timeoutMs: 10_000,
    offsetMs: 0,
  };
}

const TARGETS = [
  target('0a00000000000001', 'node', 'http://10.0.0.1:9100/metrics', '10.0.0.1:9100'),
  target('0a00000000000002', 'node', 'http://10.0.0.2:9100/metrics', '10.0.0.2:9100'),
  target(
    'f100000000000003',
    'api',
    'https://alice:hunter22@api.example:8443/metrics?token=t0ps3cret',
    'api.example:8443',
  ),
];

describe.skipIf(!haveChromium)('the deployed targets page in a browser', () => {
  let db: Dynalite;
  let dynamo: DynamoDBClient;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    db = await startDynalite();
    dynamo = db.client();
    const tables = { targetsTable: `targets-${randomUUID()}`, stateTable: `state-${randomUUID()}` };
    await createTable(dynamo, tables.targetsTable, KEY_SCHEMAS.targets);
    await createTable(dynamo, tables.stateTable, KEY_SCHEMAS.state);
    await new DynamoDbTargetStore(dynamo, tables.targetsTable).apply({ put: TARGETS, remove: [] });
    const now = Date.now();
    const health = new DynamoDbTargetHealthStore(dynamo, tables.stateTable);
    const record = (up: boolean, error = '') => ({
      up,
      sinceMs: now - 60_000,
      slotMs: now - 60_000,
      error,
      durationSeconds: 0.01,
      latenessMs: 3,
    });
    await health.put(TARGETS[0]!.id, record(true));
    await health.put(TARGETS[1]!.id, record(false, 'connection refused'));
    await health.put(TARGETS[2]!.id, record(true));
    await new DynamoDbWindowLedger(dynamo, tables.stateTable, { ttlSeconds: 3600 }).claim(
      Math.floor(now / 60_000) * 60_000,
      0,
    );
    // A function URL in front of the handler: method, path and query become the event.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      void handleStatusPage(
        {
          rawPath: url.pathname,
          rawQueryString: url.search.slice(1),
          requestContext: { http: { method: req.method ?? 'GET' } },
        },
        { client: dynamo, tables, now: () => Date.now() },
      ).then((r) => {
        res.writeHead(r.statusCode, r.headers);
        res.end(r.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await db?.stop();
  });

  it('lists the targets with their health; search and the health filter hide rows', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/targets`);
    const visible = () =>
      page
        .locator('#content tr[data-text]:visible')
        .evaluateAll((rows) =>
          rows.map((r) =>
            (r.querySelector('td') as unknown as { innerText: string }).innerText.trim(),
          ),
        );
    expect(await visible()).toEqual([
      'https://api.example:8443/metrics?token=xxxxx',
      'http://10.0.0.1:9100/metrics',
      'http://10.0.0.2:9100/metrics',
    ]);
    const text = await page.locator('body').innerText();
    expect(text).toContain('connection refused');
    for (const secret of ['hunter22', 'alice', 't0ps3cret']) expect(text).not.toContain(secret);

    await page.locator('input[type=search]').fill('10.0.0.2');
    await expect.poll(visible).toEqual(['http://10.0.0.2:9100/metrics']);
    await page.locator('input[type=search]').fill('');
    await page.locator('input[type=checkbox][value=up]').check();
    await expect
      .poll(visible)
      .toEqual(['https://api.example:8443/metrics?token=xxxxx', 'http://10.0.0.1:9100/metrics']);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
