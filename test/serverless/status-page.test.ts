/**
 * The status-page function's logic against a deployment's tables on dynalite, with the real
 * SDK client: the targets page of `run`, filled from the tables, redacted, standalone.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbDroppedTargetsStore,
  DynamoDbTargetHealthStore,
} from '../../src/aws/dynamodb-health-store.js';
import { DynamoDbTargetStore } from '../../src/aws/dynamodb-target-store.js';
import { DynamoDbWindowLedger } from '../../src/aws/dynamodb-window-ledger.js';
import { PAGE_SCRIPT } from '../../src/local/page-script.js';
import { DroppedTargetsRecorder, droppedSummary } from '../../src/pipeline/dropped-targets.js';
import {
  type FunctionUrlEvent,
  handleStatusPage,
  statusPageTables,
} from '../../src/serverless/status-page.js';
import type { Target } from '../../src/targets/types.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';

let db: Dynalite;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  db = await startDynalite();
  dynamo = db.client();
});
afterAll(async () => {
  await db?.stop();
});

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

const NODE = target('0a00000000000001', 'node', 'http://10.0.0.1:9100/metrics', '10.0.0.1:9100');
const SECRET = target(
  'f100000000000002',
  'api',
  'https://alice:hunter22@api.example:8443/metrics?token=t0ps3cret&module=http_2xx',
  'api.example:8443',
);
const NEW = target('5500000000000003', 'node', 'http://10.0.0.2:9100/metrics', '10.0.0.2:9100');

async function deployment(now: number, planned = true) {
  const tables = { targetsTable: `targets-${randomUUID()}`, stateTable: `state-${randomUUID()}` };
  await createTable(dynamo, tables.targetsTable, KEY_SCHEMAS.targets);
  await createTable(dynamo, tables.stateTable, KEY_SCHEMAS.state);
  await new DynamoDbTargetStore(dynamo, tables.targetsTable).apply({
    put: [NODE, SECRET, NEW],
    remove: [],
  });
  const health = new DynamoDbTargetHealthStore(dynamo, tables.stateTable);
  await health.put(NODE.id, {
    up: true,
    sinceMs: now - 3_600_000,
    slotMs: now - 3_600_000,
    error: '',
    durationSeconds: 0.012,
    latenessMs: 4,
  });
  await health.put(SECRET.id, {
    up: false,
    sinceMs: now - 300_000,
    slotMs: now - 300_000,
    error:
      'Get "https://api.example:8443/metrics?token=xxxxx&module=http_2xx": context deadline exceeded',
    durationSeconds: 10.001,
    latenessMs: 12,
  });
  await new DroppedTargetsRecorder(new DynamoDbDroppedTargetsStore(dynamo, tables.stateTable), {
    warn: () => {},
  }).record([
    droppedSummary('node', 2, [
      [
        { name: '__address__', value: 'bob:pw@10.0.0.9:9100' },
        { name: '__meta_role', value: 'db' },
      ],
    ]),
  ]);
  if (planned) {
    await new DynamoDbWindowLedger(dynamo, tables.stateTable, { ttlSeconds: 3600 }).claim(
      Math.floor(now / 60_000) * 60_000,
      0,
    );
  }
  return tables;
}

function get(path: string, query = '', method = 'GET'): FunctionUrlEvent {
  return { rawPath: path, rawQueryString: query, requestContext: { http: { method } } };
}

/** The rows of the page, as `health url` in page order, hidden ones marked. */
function rows(html: string): string[] {
  const out: string[] = [];
  const re =
    /<tr data-state="(\w+)"[^>]*?( hidden)?>\n<td class="endpoint"><(?:a|span)[^>]*>([^<]*)</g;
  for (const m of html.matchAll(re)) out.push(`${m[1]} ${m[3]}${m[2] ?? ''}`);
  return out;
}

describe('status page function', () => {
  it('GET /targets: every job and target with its health, URLs redacted, no secret', async () => {
    const now = Date.now();
    const tables = await deployment(now);
    const res = await handleStatusPage(get('/targets'), { client: dynamo, tables, now: () => now });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const html = res.body;
    expect(rows(html)).toEqual([
      'down https://api.example:8443/metrics?token=xxxxx&amp;module=http_2xx',
      'up http://10.0.0.1:9100/metrics',
      'unknown http://10.0.0.2:9100/metrics',
    ]);
    expect(html).toContain('1/3 up in 2 jobs');
    expect(html).toContain('api <span class="count bad">(0/1 up)</span>');
    expect(html).toContain('node <span class="count bad">(1/2 up)</span>');
    expect(html).toContain('<span class="dropped">2 dropped targets</span>');
    expect(html).toContain('context deadline exceeded');
    expect(html).toContain('10.001s');
    for (const secret of ['hunter22', 'alice', 't0ps3cret', 'bob:pw', 'pw@']) {
      expect(html).not.toContain(secret);
    }
    // Standalone: the script, no link to the runner's other pages.
    expect(html).toContain('<script src="/static/page.js" defer></script>');
    expect(html).not.toContain('/service-discovery');
    expect(html).not.toContain('/relabel-steps');
  });

  it('applies ?search= and ?health= as the runner does', async () => {
    const now = Date.now();
    const tables = await deployment(now);
    const res = await handleStatusPage(get('/targets', 'health=up&health=unknown&search=10.0.0'), {
      client: dynamo,
      tables,
      now: () => now,
    });
    expect(rows(res.body)).toEqual([
      'down https://api.example:8443/metrics?token=xxxxx&amp;module=http_2xx hidden',
      'up http://10.0.0.1:9100/metrics',
      'unknown http://10.0.0.2:9100/metrics',
    ]);
    expect(res.body).toContain('value="up" checked');
  });

  it('says when no window was planned lately, and shows no last scrape then', async () => {
    const now = Date.now();
    const tables = await deployment(now, false);
    const res = await handleStatusPage(get('/targets'), { client: dynamo, tables, now: () => now });
    expect(res.body).toContain('no scrape window planned lately');
    expect(res.body).not.toMatch(/<td class="when">[^<]*ago</);
  });

  it('serves the page script, redirects /, 404 elsewhere, 405 for writes', async () => {
    const deps = {
      client: dynamo,
      tables: { targetsTable: 'absent', stateTable: 'absent' },
      now: () => 0,
    };
    const script = await handleStatusPage(get('/static/page.js'), deps);
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe(PAGE_SCRIPT);
    expect((await handleStatusPage(get('/'), deps)).headers.location).toBe('/targets');
    for (const path of ['/service-discovery', '/api/v1/targets', '/metrics', '/targets/']) {
      expect((await handleStatusPage(get(path), deps)).statusCode).toBe(404);
    }
    expect((await handleStatusPage(get('/targets', '', 'POST'), deps)).statusCode).toBe(405);
    expect((await handleStatusPage(get('/targets', '', 'HEAD'), deps)).body).toBe('');
  });

  it('a failed read is a 500 with a fixed text, the error only logged', async () => {
    const logged: unknown[] = [];
    const res = await handleStatusPage(get('/targets'), {
      client: dynamo,
      tables: { targetsTable: 'no-such-table', stateTable: 'no-such-table' },
      now: () => Date.now(),
      logError: (_m, e) => logged.push(e),
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('no-such-table');
    expect(logged).toHaveLength(1);
  });

  it('reads the tables from TARGETS_TABLE and STATE_TABLE', () => {
    expect(statusPageTables({ TARGETS_TABLE: 't', STATE_TABLE: 's' })).toEqual({
      targetsTable: 't',
      stateTable: 's',
    });
    expect(() => statusPageTables({ TARGETS_TABLE: 't' })).toThrow(/STATE_TABLE/);
  });
});
