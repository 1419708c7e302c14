import { randomUUID } from 'node:crypto';
import { brotliCompressSync, constants } from 'node:zlib';
import { type AttributeValue, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbScrapeStateStore,
  decodeSeriesSet,
  decodeStateHead,
  encodeSeriesSet,
  HEAD_SK,
  MAX_SERIES_SET_BYTES,
  MAX_STATE_CHUNKS,
  ScrapeStateStoreError,
} from '../../src/aws/dynamodb-state-store.js';
import { ScrapeState } from '../../src/scrape/state.js';
import { dynaliteForFile } from '../support/dynalite-file.js';

const dynamo = dynaliteForFile();

/** Realistic series keys; `random` adds a high-cardinality label so the set compresses less. */
function seriesKeys(n: number, random = false, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (let i = 0; out.size < n; i++) {
    const code = ['200', '404', '500'][i % 3];
    const rid = random ? `request_id\xfe${randomUUID()}\xff` : '';
    out.add(
      `__name__\xfe${prefix}http_requests_total\xffcode\xfe${code}\xffinstance\xfe10.0.${(i >> 8) & 255}.${i & 255}:9090\xffjob\xfeapi\xff${rid}path\xfe/api/v${i % 7}/items/${i}\xff`,
    );
  }
  return out;
}

/** `set` without its first `n` keys and with `n` new ones. */
function churn(set: ReadonlySet<string>, n: number, prefix: string): Set<string> {
  const next = new Set(set);
  let dropped = 0;
  for (const k of next) {
    if (dropped++ >= n) break;
    next.delete(k);
  }
  for (const k of seriesKeys(n, true, prefix)) next.add(k);
  return next;
}

async function itemsOf(table: string, pk: string): Promise<string[]> {
  const out: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const res = await dynamo.client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ProjectionExpression: 'sk',
        ExclusiveStartKey: start,
      }),
    );
    for (const i of res.Items ?? []) out.push(i.sk!.S!);
    start = res.LastEvaluatedKey;
  } while (start !== undefined);
  return out.sort();
}

describe('series set codec', () => {
  it('round-trips keys with shared prefixes, unicode and separators', () => {
    const keys = new Set([
      '',
      'a',
      'ab',
      'abc',
      'b',
      'x😀y',
      'x😀z',
      'x😁',
      'é:1:2',
      '\xfe\xff',
      '0:0:',
    ]);
    expect(decodeSeriesSet(encodeSeriesSet(keys).compressed)).toEqual(keys);
  });
  it('digest is order-independent and changes with the set', () => {
    const a = encodeSeriesSet(new Set(['x', 'y', 'z'])).digest;
    expect(encodeSeriesSet(new Set(['z', 'x', 'y'])).digest).toBe(a);
    expect(encodeSeriesSet(new Set(['x', 'y'])).digest).not.toBe(a);
    expect(encodeSeriesSet(new Set(['xy'])).digest).not.toBe(
      encodeSeriesSet(new Set(['x', 'y'])).digest,
    );
  });
  it('refuses lone surrogates', () => {
    expect(() => encodeSeriesSet(new Set(['a\ud800b']))).toThrow(ScrapeStateStoreError);
  });
});

// Found by test/aws/dynamodb-state-store.fuzz.test.ts: items are decoded as untrusted.
describe('corrupt items', () => {
  const corrupt = (message: string | RegExp) =>
    expect.objectContaining({
      code: 'SCRAPE_STATE_CORRUPT',
      message: expect.stringMatching(message),
    });

  it('a decompression bomb is refused at MAX_SERIES_SET_BYTES, not inflated', () => {
    // 405 bytes of brotli for 256 MiB.
    const bomb = brotliCompressSync(Buffer.alloc(256 * 1024 * 1024, '0'), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
    });
    expect(bomb.length).toBeLessThan(1024);
    expect(() => decodeSeriesSet(bomb)).toThrow(
      corrupt(`decompresses to more than ${MAX_SERIES_SET_BYTES} bytes`),
    );
  });

  it('front coding cannot expand a small text into keys past MAX_SERIES_SET_BYTES', () => {
    // One key of 8,192 characters, then entries of 9 bytes that each repeat it but its last
    // three characters: 8,193 keys of 8 Ki characters (64 Mi and one more key) from 72 KB.
    const long = 8192;
    const parts = [`0:${long.toString(36)}:${'k'.repeat(long)}`];
    for (let i = 0; i < 8192; i++) {
      parts.push(`${(long - 3).toString(36)}:3:${i.toString(36).padStart(3, '0')}`);
    }
    const small = brotliCompressSync(Buffer.from(parts.join('')), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5 },
    });
    expect(small.length).toBeLessThan(20_000);
    expect(() => decodeSeriesSet(small)).toThrow(
      corrupt(`keys exceed ${MAX_SERIES_SET_BYTES} characters`),
    );
  });

  it.each<[string, Record<string, AttributeValue>, string]>([
    ['a chunk count of 10^9', { c: { N: '1000000000' } }, `not in \\[1, ${MAX_STATE_CHUNKS}\\]`],
    ['an infinite chunk count', { c: { N: 'Infinity' } }, 'chunk count "Infinity"'],
    ['a fractional chunk count', { c: { N: '1.5' } }, 'chunk count "1.5"'],
    ['a chunk count as text', { c: { S: '2' } }, 'chunk count undefined'],
    ['a base size over the limit', { z: { N: String(MAX_SERIES_SET_BYTES + 1) } }, 'base size'],
    ['a base size smaller than its chunks', { z: { N: '1' } }, 'base size "1"'],
    ['a time that is no number', { t: { N: 'soon' } }, 'time is no number'],
    ['a delta that is no binary', { a: { S: 'x' } }, 'not binary'],
  ])('a head with %s is corrupt', (_name, patch, message) => {
    const head = {
      f: { N: '1' },
      v: { N: '3' },
      d: { S: 'x' },
      g: { S: 'g' },
      c: { N: '2' },
      z: { N: '9' },
    };
    expect(decodeStateHead('t1', head)).toMatchObject({ chunks: 2, baseBytes: 9 });
    expect(() => decodeStateHead('t1', { ...head, ...patch })).toThrow(corrupt(message));
  });

  it('getMany refuses a head claiming 10^9 chunks at once, without building their keys', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: 'huge' },
          sk: { S: HEAD_SK },
          f: { N: '1' },
          v: { N: '1' },
          d: { S: 'x' },
          g: { S: 'g' },
          c: { N: '1000000000' },
          z: { N: '1000000000' },
        },
      }),
    );
    await expect(store.getMany(['huge'])).rejects.toThrow(corrupt('chunk count'));
  });

  it(`put refuses a set over MAX_SERIES_SET_BYTES: nothing is written`, async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table);
    const key = 'k'.repeat(1024 * 1024);
    const keys = new Set<string>();
    for (let i = 0; i < 64; i++) keys.add(`${i.toString(36).padStart(2, '0')}${key}`.slice(0, -2));
    keys.add('x');
    await expect(store.put('big', new ScrapeState(1, keys), undefined)).rejects.toThrow(
      expect.objectContaining({
        code: 'SCRAPE_STATE_TOO_LARGE',
        message: expect.stringContaining(`more than the limit of ${MAX_SERIES_SET_BYTES}`),
      }),
    );
    expect(await itemsOf(table, 'big')).toEqual([]);
  });
});

describe('DynamoDbScrapeStateStore', () => {
  it('round-trips an empty set and 1,000 series, inline in the head', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable());
    expect((await store.getMany(['a'])).size).toBe(0);
    const empty = new ScrapeState(undefined, new Set());
    const w0 = await store.put('a', empty, undefined);
    expect(w0).toMatchObject({ written: true, version: 1 });
    const keys = seriesKeys(1000);
    const w1 = await store.put('b', new ScrapeState(1_700_000_000_123, keys), undefined);
    expect(w1.written).toBe(true);
    const got = await store.getMany(['a', 'b', 'missing']);
    expect(got.size).toBe(2);
    expect(got.get('a')!.state.series).toEqual(new Set());
    expect(got.get('a')!.state.lastScrapeTimeMs).toBeUndefined();
    expect(got.get('b')!.state.series).toEqual(keys);
    expect(got.get('b')!.state.lastScrapeTimeMs).toBe(1_700_000_000_123);
    expect(got.get('b')!.version).toBe(1);
    expect(w1.written && got.get('b')!.digest).toBe(w1.written && w1.digest);
  });

  it('chunks a 200,000-series set; churn writes deltas, compaction replaces the base', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table);
    const keys = seriesKeys(200_000, true);
    const w = await store.put('big', new ScrapeState(5, keys), undefined);
    expect(w.written).toBe(true);
    const skA = await itemsOf(table, 'big');
    expect(skA.filter((s) => s.startsWith('c#')).length).toBeGreaterThan(1);
    const got = (await store.getMany(['big'])).get('big')!;
    expect(got.state.series).toEqual(keys);

    // 1% churn: only the head is written (a delta); the base chunks stay.
    const next = churn(keys, 2000, 'new_');
    const before = dynamo.sent.length;
    const w2 = await store.put('big', new ScrapeState(6, next), got);
    expect(w2).toMatchObject({ written: true, version: 2 });
    expect(dynamo.sent.slice(before)).toEqual(['PutItemCommand']);
    expect(await itemsOf(table, 'big')).toEqual(skA);
    expect((await store.getMany(['big'])).get('big')!.state.series).toEqual(next);

    // Another delta from an expected the caller built from put's result (warm container).
    const third = churn(next, 2000, 'newer_');
    const mine = {
      state: new ScrapeState(6, next),
      version: 2,
      digest: w2.written ? w2.digest : '',
    };
    // A state object the store did not write has no known base: the store compacts.
    const compactStore = new DynamoDbScrapeStateStore(dynamo.client, table, { compactRatio: 0 });
    const viaOwn = await store.put('big', new ScrapeState(7, third), mine);
    expect(viaOwn).toMatchObject({ written: true, version: 3 });
    const skC = await itemsOf(table, 'big');
    expect(skC.filter((s) => !skA.includes(s)).length).toBeGreaterThan(1); // a new generation
    expect(skC.filter((s) => skA.includes(s))).toEqual([HEAD_SK]);
    const after3 = (await store.getMany(['big'])).get('big')!;
    expect(after3.state.series).toEqual(third);

    // Compaction by ratio: the old generation's chunks go.
    const fourth = churn(third, 10, 'x_');
    const c = (await compactStore.getMany(['big'])).get('big')!;
    expect(await compactStore.put('big', new ScrapeState(8, fourth), c)).toMatchObject({
      written: true,
      version: 4,
    });
    const skD = await itemsOf(table, 'big');
    expect(skD.filter((s) => skC.includes(s))).toEqual([HEAD_SK]);
    expect((await store.getMany(['big'])).get('big')!.state.series).toEqual(fourth);

    // Shrinking to an inline set drops every chunk.
    const small = (await store.getMany(['big'])).get('big')!;
    await store.put('big', new ScrapeState(9, new Set(['one'])), small);
    expect(await itemsOf(table, 'big')).toEqual([HEAD_SK]);
    expect((await store.getMany(['big'])).get('big')!.state.series).toEqual(new Set(['one']));
  }, 120_000);

  it('a delta builds on the state put returned, cumulatively against the base', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table, {
      chunkBytes: 30_000,
      inlineBytes: 1000,
    });
    const base0 = seriesKeys(20_000, true);
    let set: Set<string> = base0;
    let state = new ScrapeState(1, set);
    const w = await store.put('t', state, undefined);
    const chunks = await itemsOf(table, 't');
    let expected = { state, version: 1, digest: w.written ? w.digest : '' };
    for (let round = 0; round < 4; round++) {
      // Remove some base keys and some previously added keys, add new ones, re-add a removed one.
      const next = churn(set, 50, `r${round}_`);
      state = new ScrapeState(2 + round, next);
      const before = dynamo.sent.length;
      const r = await store.put('t', state, expected);
      expect(r).toMatchObject({ written: true, version: 2 + round });
      expect(dynamo.sent.slice(before)).toEqual(['PutItemCommand']);
      expected = { state, version: 2 + round, digest: r.written ? r.digest : '' };
      set = next;
      const got = (await store.getMany(['t'])).get('t')!;
      expect(got.state.series).toEqual(set);
      expect(got.digest).toBe(expected.digest);
    }
    expect(await itemsOf(table, 't')).toEqual(chunks);
    // Back to exactly the base: an empty delta, still only the head.
    const before = dynamo.sent.length;
    const r = await store.put('t', new ScrapeState(9, base0), expected);
    expect(r).toMatchObject({ written: true, version: 6 });
    expect(dynamo.sent.slice(before)).toEqual(['PutItemCommand']);
    expect((await store.getMany(['t'])).get('t')!.state.series).toEqual(base0);
  }, 60_000);

  it('two delta writers with the same expected: one wins', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table, {
      chunkBytes: 30_000,
      inlineBytes: 1000,
    });
    const keys = seriesKeys(20_000, true);
    await store.put('t', new ScrapeState(1, keys), undefined);
    const expected = (await store.getMany(['t'])).get('t')!;
    const a = churn(keys, 100, 'a_');
    const b = churn(keys, 300, 'b_');
    const [ra, rb] = await Promise.all([
      store.put('t', new ScrapeState(2, a), expected),
      store.put('t', new ScrapeState(3, b), expected),
    ]);
    expect([ra.written, rb.written].filter(Boolean).length).toBe(1);
    const got = (await store.getMany(['t'])).get('t')!;
    expect(got.state.series).toEqual(ra.written ? a : b);
    expect(got.state.lastScrapeTimeMs).toBe(ra.written ? 2 : 3);
  }, 60_000);

  it('a stale expected from before a remove conflicts with the re-created state', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table, {
      chunkBytes: 30_000,
      inlineBytes: 1000,
    });
    const keys = seriesKeys(20_000, true);
    await store.put('t', new ScrapeState(1, keys), undefined);
    const stale = (await store.getMany(['t'])).get('t')!;
    await store.remove('t');
    const fresh = seriesKeys(20_000, true, 'fresh_');
    await store.put('t', new ScrapeState(2, fresh), undefined);
    // Same version number (1), other generation: the delta must not apply to the new base.
    expect(await store.put('t', new ScrapeState(3, churn(keys, 10, 'z_')), stale)).toEqual({
      written: false,
      reason: 'conflict',
    });
    expect((await store.getMany(['t'])).get('t')!.state.series).toEqual(fresh);
  }, 60_000);

  it('sends no request at all when the digest is unchanged', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable());
    const keys = seriesKeys(1000);
    await store.put('t', new ScrapeState(1, keys), undefined);
    const stored = (await store.getMany(['t'])).get('t')!;
    const before = dynamo.sent.length;
    const res = await store.put('t', new ScrapeState(2, new Set([...keys].reverse())), stored);
    expect(res).toEqual({ written: false, reason: 'unchanged' });
    expect(dynamo.sent.length).toBe(before);
    expect((await store.getMany(['t'])).get('t')!.version).toBe(1);
  });

  it('trusts a digest carried by the state: equal to expected means unchanged, unhashed', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable());
    await store.put('t', new ScrapeState(1, seriesKeys(1000)), undefined);
    const stored = (await store.getMany(['t'])).get('t')!;
    expect(stored.state.seriesDigest).toBe(stored.digest);
    // The carried digest is the contract (the scrape tracked the same entries): the store does
    // not look at the keys, so a state claiming the stored digest is never written.
    const claims = new ScrapeState(2, new Set(['other']), undefined, stored.digest);
    const before = dynamo.sent.length;
    expect(await store.put('t', claims, stored)).toEqual({ written: false, reason: 'unchanged' });
    expect(dynamo.sent.length).toBe(before);
    // Without a carried digest the keys decide, and the computed digest is recorded.
    const plain = new ScrapeState(3, new Set(['other']));
    const r = await store.put('t', plain, stored);
    expect(r).toMatchObject({ written: true, version: 2 });
    expect(plain.seriesDigest).toBe(r.written ? r.digest : 'unwritten');
  });

  it('an unchanged put passes the base on: the next change is still a delta', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table, { inlineBytes: 1000 });
    const base = seriesKeys(20_000, true);
    const first = new ScrapeState(1, base);
    const w = await store.put('t', first, undefined);
    // A later scrape with the same series: a new state object carrying the digest.
    const same = new ScrapeState(2, base, undefined, first.seriesDigest);
    const expected = { state: first, version: 1, digest: w.written ? w.digest : '' };
    expect(await store.put('t', same, expected)).toEqual({ written: false, reason: 'unchanged' });
    const changed = churn(base, 20, 'u_');
    const before = dynamo.sent.length;
    const r = await store.put('t', new ScrapeState(3, changed), { ...expected, state: same });
    expect(r).toMatchObject({ written: true, version: 2 });
    expect(dynamo.sent.slice(before)).toEqual(['PutItemCommand']);
    expect((await store.getMany(['t'])).get('t')!.state.series).toEqual(changed);
  }, 60_000);

  it('an eventually consistent read returns the same state for half the read units', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable());
    const keys = seriesKeys(1000);
    await store.put('s', new ScrapeState(1, keys), undefined);
    const before = store.consumedCapacity().readUnits;
    const strong = (await store.getMany(['s'])).get('s')!;
    const strongUnits = store.consumedCapacity().readUnits - before;
    const eventual = (await store.getMany(['s'], { consistent: false })).get('s')!;
    const eventualUnits = store.consumedCapacity().readUnits - before - strongUnits;
    expect(eventualUnits).toBeGreaterThan(0);
    expect(eventualUnits).toBe(strongUnits / 2);
    expect([...eventual.state.series].sort()).toEqual([...strong.state.series].sort());
    expect(eventual.version).toBe(strong.version);
  });

  it('reports consumed capacity: unchanged puts cost nothing, writes and reads cost units', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable(), {
      chunkBytes: 20_000,
      inlineBytes: 5000,
    });
    expect(store.consumedCapacity()).toEqual({ readUnits: 0, writeUnits: 0 });
    const keys = seriesKeys(1000);
    await store.put('small', new ScrapeState(1, keys), undefined);
    const afterPut = store.consumedCapacity();
    expect(afterPut.writeUnits).toBeGreaterThan(0);
    expect(afterPut.readUnits).toBe(0);

    const stored = (await store.getMany(['small'])).get('small')!;
    const afterGet = store.consumedCapacity();
    expect(afterGet.readUnits).toBeGreaterThan(0);
    expect(afterGet.writeUnits).toBe(afterPut.writeUnits);

    // Unchanged: no request, no units.
    await store.put('small', new ScrapeState(2, new Set(keys)), stored);
    expect(store.consumedCapacity()).toEqual(afterGet);

    // Chunked: a full write costs its size; a small change afterwards only its delta.
    const big = seriesKeys(5000, true);
    const w = await store.put('big', new ScrapeState(1, big), undefined);
    expect(w.written).toBe(true);
    const fullUnits = store.consumedCapacity().writeUnits - afterGet.writeUnits;
    expect(fullUnits).toBeGreaterThan(10);
    const bigStored = (await store.getMany(['big'])).get('big')!;
    const beforeDelta = store.consumedCapacity().writeUnits;
    const r = await store.put('big', new ScrapeState(2, churn(big, 5, 'n_')), bigStored);
    expect(r.written).toBe(true);
    const deltaUnits = store.consumedCapacity().writeUnits - beforeDelta;
    expect(deltaUnits).toBeGreaterThan(0);
    expect(deltaUnits).toBeLessThan(fullUnits / 5);

    // remove: a Query (read) and deletes (write).
    const beforeRemove = store.consumedCapacity();
    await store.remove('big');
    const afterRemove = store.consumedCapacity();
    expect(afterRemove.readUnits).toBeGreaterThan(beforeRemove.readUnits);
    expect(afterRemove.writeUnits).toBeGreaterThan(beforeRemove.writeUnits);
  }, 60_000);

  for (const size of [1000, 60_000]) {
    it(`two writers with the same expected: one wins, no loser chunks remain (${size} series)`, async () => {
      const table = await dynamo.newTable();
      const store = new DynamoDbScrapeStateStore(dynamo.client, table, {
        chunkBytes: 20_000,
        inlineBytes: 5000,
      });
      const big = size > 1000;
      await store.put('t', new ScrapeState(1, seriesKeys(size, big)), undefined);
      const expected = (await store.getMany(['t'])).get('t')!;
      const a = seriesKeys(size, big, 'a_');
      const b = seriesKeys(size, big, 'b_');
      const [ra, rb] = await Promise.all([
        store.put('t', new ScrapeState(2, a), expected),
        store.put('t', new ScrapeState(3, b), expected),
      ]);
      const results = [ra, rb];
      expect(results.filter((r) => r.written).length).toBe(1);
      expect(results.filter((r) => !r.written && r.reason === 'conflict').length).toBe(1);
      const winner = ra.written ? a : b;
      const got = (await store.getMany(['t'])).get('t')!;
      expect(got.state.series).toEqual(winner);
      expect(got.version).toBe(2);
      // Only the head and the winner's chunks are left.
      const head = await itemsOf(table, 't');
      const chunks = head.filter((s) => s !== HEAD_SK);
      const gens = new Set(chunks.map((s) => s.split('#')[1]));
      expect(gens.size).toBeLessThanOrEqual(1);
      if (size > 1000) expect(chunks.length).toBeGreaterThan(1);
      else expect(chunks).toEqual([]);
      // A stale expected conflicts too, and a missing expected for an existing target.
      expect(await store.put('t', new ScrapeState(4, new Set(['x'])), expected)).toEqual({
        written: false,
        reason: 'conflict',
      });
      expect(await store.put('t', new ScrapeState(4, new Set(['x'])), undefined)).toEqual({
        written: false,
        reason: 'conflict',
      });
      expect((await itemsOf(table, 't')).length).toBe(head.length);
    }, 60_000);
  }

  it('getMany over 150 targets batches heads and chunks', async () => {
    const store = new DynamoDbScrapeStateStore(dynamo.client, await dynamo.newTable(), {
      chunkBytes: 1000,
      inlineBytes: 500,
    });
    const want = new Map<string, Set<string>>();
    await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const keys = seriesKeys(i % 10 === 0 ? 200 : 20, i % 10 === 0, `j${i}_`);
        want.set(`target-${i}`, keys);
        await store.put(`target-${i}`, new ScrapeState(i, keys), undefined);
      }),
    );
    const before = dynamo.sent.length;
    const got = await store.getMany([...want.keys(), 'absent']);
    const calls = dynamo.sent.slice(before);
    expect(calls.filter((c) => c === 'BatchGetItemCommand').length).toBeGreaterThanOrEqual(3);
    expect(got.size).toBe(150);
    for (const [id, keys] of want) {
      expect(got.get(id)!.state.series).toEqual(keys);
      expect(got.get(id)!.state.lastScrapeTimeMs).toBe(Number(id.slice(7)));
    }
  });

  it('remove deletes the head and every chunk, orphans included', async () => {
    const table = await dynamo.newTable();
    const store = new DynamoDbScrapeStateStore(dynamo.client, table, { chunkBytes: 2000 });
    await store.put('t', new ScrapeState(1, seriesKeys(500, true)), undefined);
    await store.put('u', new ScrapeState(1, new Set(['keep'])), undefined);
    expect((await itemsOf(table, 't')).length).toBeGreaterThan(2);
    await store.remove('t');
    expect(await itemsOf(table, 't')).toEqual([]);
    expect((await store.getMany(['t', 'u'])).size).toBe(1);
    await store.remove('never-existed');
    // After removal the target starts over with no expected state.
    expect(await store.put('t', new ScrapeState(2, new Set(['a'])), undefined)).toMatchObject({
      written: true,
      version: 1,
    });
  });
});
