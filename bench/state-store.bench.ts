/**
 * Scrape-state store costs (docs/design.md decision 4), against an in-process dynalite with the real
 * `@aws-sdk/client-dynamodb`:
 *
 *   npx tsx bench/state-store.bench.ts
 *
 * - codec: raw and stored bytes, encode/decode time for 1,000 and 200,000 series, realistic
 *   keys (`low` entropy: a Prometheus-like histogram target) and `high` entropy (a request_id
 *   UUID label per series, the worst case for compression).
 * - writes: requests and write capacity units per put, as dynalite accounts them (a middleware
 *   asks every request for `ReturnConsumedCapacity: TOTAL`; deletes of replaced chunks count):
 *   first write, unchanged (must be 0 requests), 1% churn (a delta), another 1% (the delta is
 *   cumulative against the base), 10% churn (compacts: a new base).
 * - reads: getMany of 50 targets of 1,000 series (median of 5 rounds).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbScrapeStateStore,
  decodeSeriesSet,
  encodeSeriesSet,
} from '../src/aws/dynamodb-state-store.js';
import { ScrapeState } from '../src/scrape/state.js';
import { createTable, KEY_SCHEMAS, startDynalite } from '../test/support/dynalite.js';

const HANDLERS = ['/api/v1/query', '/api/v1/query_range', '/metrics', '/-/healthy', '/federate'];
const LES = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

function keys(n: number, high: boolean, gen = 0): Set<string> {
  const out = new Set<string>();
  for (let i = 0; out.size < n; i++) {
    const inst = i >> 8;
    const h = HANDLERS[i % HANDLERS.length];
    const code = ['200', '400', '500', '503'][(i >> 3) % 4];
    const le = LES[i % LES.length];
    const rid = high ? `request_id\xfe${randomUUID()}\xff` : '';
    out.add(
      `__name__\xfehttp_request_duration_seconds_bucket\xffcode\xfe${code}\xffhandler\xfe${h}\xffinstance\xfe10.0.${inst >> 8}.${inst & 255}:9090\xffjob\xfeapi-server\xffle\xfe${le}\xffpod\xfeapi-server-7d9f8c6b5-g${gen}-${i.toString(36)}\xff${rid}`,
    );
  }
  return out;
}

function churn(set: ReadonlySet<string>, fraction: number, high: boolean, gen: number) {
  const n = Math.round(set.size * fraction);
  const next = new Set(set);
  let dropped = 0;
  for (const k of next) {
    if (dropped++ >= n) break;
    next.delete(k);
  }
  for (const k of keys(n, high, gen)) next.add(k);
  return next;
}

function ms(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

const db = await startDynalite();
try {
  const client: DynamoDBClient = db.client();
  let requests = 0;
  let wcu = 0;
  let rcu = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      requests++;
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const res = await next(args);
      const out = res.output as {
        ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
      };
      const cc = out.ConsumedCapacity;
      const units = (Array.isArray(cc) ? cc : cc ? [cc] : []).reduce(
        (s, c) => s + (c.CapacityUnits ?? 0),
        0,
      );
      if ('Item' in input || 'RequestItems' in input || 'Key' in input) {
        if ('RequestItems' in input && JSON.stringify(input).includes('"Keys"')) rcu += units;
        else wcu += units;
      } else rcu += units;
      return res;
    },
    { step: 'initialize', name: 'capacity' },
  );

  console.log('## codec');
  for (const n of [1000, 200_000]) {
    for (const high of [false, true]) {
      const set = keys(n, high);
      let enc = encodeSeriesSet(set);
      const te = ms(() => {
        enc = encodeSeriesSet(set);
      });
      const td = ms(() => decodeSeriesSet(enc.compressed));
      const raw = [...set].reduce((s, k) => s + Buffer.byteLength(k) + 1, 0);
      console.log(
        `${n} series ${high ? 'high' : 'low '} entropy: keys ${raw} B, front-coded ${enc.rawBytes} B, stored ${enc.compressed.length} B (${(raw / enc.compressed.length).toFixed(0)}x), encode+digest ${te.toFixed(0)} ms, decode ${td.toFixed(0)} ms`,
      );
    }
  }

  console.log('\n## writes (write capacity units as dynalite accounts them)');
  for (const n of [1000, 200_000]) {
    for (const high of [false, true]) {
      const table = `t-${randomUUID()}`;
      await createTable(client, table, KEY_SCHEMAS.state);
      const store = new DynamoDbScrapeStateStore(client, table);
      const row = (what: string, f: () => Promise<unknown>) => async () => {
        const [r0, w0] = [requests, wcu];
        const t = performance.now();
        const res = await f();
        console.log(
          `${n} ${high ? 'high' : 'low '} ${what}: ${requests - r0} requests, ${(wcu - w0).toFixed(0)} WCU, ${(performance.now() - t).toFixed(0)} ms ${JSON.stringify(res).slice(0, 60)}`,
        );
      };
      let set = keys(n, high);
      await row('first write', () => store.put('t', new ScrapeState(1, set), undefined))();
      let stored = (await store.getMany(['t'])).get('t')!;
      await row('unchanged', () => store.put('t', new ScrapeState(2, new Set(set)), stored))();
      set = churn(set, 0.01, high, 1);
      await row('1% churn', () => store.put('t', new ScrapeState(3, set), stored))();
      stored = (await store.getMany(['t'])).get('t')!;
      set = churn(set, 0.01, high, 3);
      await row('1% more (delta is cumulative)', () =>
        store.put('t', new ScrapeState(3, set), stored),
      )();
      stored = (await store.getMany(['t'])).get('t')!;
      set = churn(set, 0.1, high, 2);
      await row('10% churn', () => store.put('t', new ScrapeState(4, set), stored))();
    }
  }

  console.log('\n## reads');
  const table = `t-${randomUUID()}`;
  await createTable(client, table, KEY_SCHEMAS.state);
  const store = new DynamoDbScrapeStateStore(client, table);
  const ids = Array.from({ length: 50 }, (_, i) => `target-${i}`);
  for (const id of ids) await store.put(id, new ScrapeState(1, keys(1000, false)), undefined);
  const times: number[] = [];
  let r0 = 0;
  let c0 = 0;
  for (let round = 0; round < 5; round++) {
    [r0, c0] = [requests, rcu];
    const t = performance.now();
    const got = await store.getMany(ids);
    times.push(performance.now() - t);
    if (got.size !== 50) throw new Error('lost a state');
  }
  times.sort((a, b) => a - b);
  console.log(
    `getMany 50 × 1,000 series: median ${times[2]!.toFixed(0)} ms (best ${times[0]!.toFixed(0)}), ${requests - r0} requests, ${(rcu - c0).toFixed(1)} RCU`,
  );
} finally {
  await db.stop();
}
