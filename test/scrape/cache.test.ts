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
