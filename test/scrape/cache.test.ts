import { describe, expect, it } from 'vitest';
import { createSeriesEntry } from '../../src/scrape/batch.js';
import { ScrapeCache } from '../../src/scrape/cache.js';

/** One scrape meeting `texts` (new ones added as series); `success` as endScrape takes it. */
function scrape(cache: ScrapeCache, texts: string[], success = true): void {
  cache.beginScrape();
  for (const t of texts) {
    const slot = cache.lookup(t);
    if (slot === undefined) cache.addSeries(t, createSeriesEntry([{ name: '__name__', value: t }]));
    else cache.markSeen(slot);
  }
  cache.endScrape(success, texts.length === 0);
}

describe('ScrapeCache eviction (§6.4)', () => {
  it('keeps exactly the texts of the last good scrape; a failed or empty one evicts nothing', () => {
    const cache = new ScrapeCache();
    scrape(cache, ['a', 'b', 'c', 'd']);
    expect(cache.size).toBe(4);
    scrape(cache, ['b', 'd', 'e']);
    expect(cache.size).toBe(3);
    expect(cache.lookup('a')).toBeUndefined();
    expect(cache.lookup('c')).toBeUndefined();
    for (const t of ['b', 'd', 'e']) expect(cache.lookup(t)?.text).toBe(t);
    scrape(cache, ['f'], false);
    expect(cache.size).toBe(4);
    scrape(cache, []);
    expect(cache.size).toBe(4);
  });
});

describe('ScrapeCache compaction (series keep only their keys)', () => {
  const labelsOf = (t: string) => [
    { name: '__name__', value: t },
    { name: 'city', value: 'Þórshöfn ÿ ý' },
  ];

  it('a compacted entry gives the same labels and key, rebuilt from the key on each read', () => {
    const cache = new ScrapeCache();
    cache.beginScrape();
    cache.lookup('a');
    const entry = createSeriesEntry(labelsOf('a'));
    cache.addSeries('a', entry);
    cache.endScrape(true, false);
    const key = entry.key;
    expect(entry.labels).toBe(entry.labels); // the array the scrape made, until compacted
    cache.compactNew();
    expect(entry.labels).not.toBe(entry.labels);
    expect(entry.labels).toEqual(labelsOf('a'));
    expect(entry.key).toBe(key);
    expect(cache.lookup('a')?.entry).toBe(entry);
  });

  it('with a promise, compacts when it settles (resolved or rejected); the next scrape compacts what is left', async () => {
    const cache = new ScrapeCache();
    const add = (t: string) => {
      cache.lookup(t);
      const e = createSeriesEntry(labelsOf(t));
      cache.addSeries(t, e);
      return e;
    };
    cache.beginScrape();
    const a = add('a');
    cache.endScrape(true, false);
    let fail!: (err: Error) => void;
    const delivered = new Promise<void>((_, reject) => {
      fail = reject;
    });
    cache.compactNew(delivered);
    expect(a.labels).toBe(a.labels);
    fail(new Error('delivery broke its promise'));
    await delivered.catch(() => {});
    expect(a.labels).not.toBe(a.labels);

    cache.beginScrape();
    const b = add('b');
    cache.endScrape(true, false);
    expect(b.labels).toBe(b.labels);
    cache.beginScrape();
    expect(b.labels).not.toBe(b.labels);
    expect(b.labels).toEqual(labelsOf('b'));
  });

  it('series new on the first scrape and later (their texts copied) are both found by their text', () => {
    const cache = new ScrapeCache();
    const window = `${'x'.repeat(100)}m{a="1"}m{a="2"}${'y'.repeat(100)}`;
    const first = window.slice(100, 108);
    const later = window.slice(108, 116);
    scrape(cache, [first]);
    cache.beginScrape();
    cache.markSeen(cache.lookup(first)!);
    expect(cache.lookup(later)).toBeUndefined();
    cache.addSeries(later, createSeriesEntry(labelsOf(later)));
    cache.endScrape(true, false);
    expect(cache.lookup('m{a="1"}')?.text).toBe(first);
    expect(cache.lookup('m{a="2"}')?.text).toBe(later);
  });
});
