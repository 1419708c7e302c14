import { describe, expect, it } from 'vitest';
import { ConsoleSink, formatScrapeLine } from '../../src/local/console-sink.js';
import type { UnitMeta } from '../../src/local/sink.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { SampleBatch } from '../../src/scrape/batch.js';

const base: UnitMeta = {
  kind: 'scrape',
  job: 'node',
  targetKey: 'node/0123456789abcdef',
  url: 'http://127.0.0.1:9100/metrics',
  targetLabels: labelsFromRecord({ job: 'node', instance: '127.0.0.1:9100' }),
  timestampMs: Date.UTC(2026, 10, 24, 22, 30, 15),
  up: true,
  error: undefined,
  durationSeconds: 0.0123,
  samplesScraped: 507,
};

describe('the no-remote-write line', () => {
  it.each([
    {
      name: 'a good scrape',
      meta: base,
      samples: 512,
      want: '2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 up=1 samples=507 duration=12ms',
    },
    {
      name: 'a failed scrape, with its error quoted',
      meta: {
        ...base,
        up: false,
        samplesScraped: 0,
        durationSeconds: 0.003,
        error: 'Get "http://127.0.0.1:9100/metrics": connect ECONNREFUSED',
      },
      samples: 5,
      want: '2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 up=0 samples=0 duration=3ms error="Get \\"http://127.0.0.1:9100/metrics\\": connect ECONNREFUSED"',
    },
    {
      name: 'a slow scrape in seconds',
      meta: { ...base, durationSeconds: 1.23456 },
      samples: 1,
      want: '2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 up=1 samples=507 duration=1.235s',
    },
    {
      name: 'no instance label: the URL, and a job name with a space quoted',
      meta: { ...base, job: 'my job', targetLabels: labelsFromRecord({ job: 'my job' }) },
      samples: 1,
      want: '2026-11-24T22:30:15.000Z job="my job" instance=http://127.0.0.1:9100/metrics up=1 samples=507 duration=12ms',
    },
    {
      name: 'end-of-run markers of a removed target',
      meta: { ...base, kind: 'end-of-run' as const, up: false },
      samples: 512,
      want: '2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 removed stale_markers=512',
    },
  ])('$name', ({ meta, samples, want }) => {
    expect(formatScrapeLine(meta, { length: samples })).toBe(want);
  });

  it('ConsoleSink prints one line per unit and sends nowhere', async () => {
    const out: string[] = [];
    const sink = new ConsoleSink((t) => out.push(t));
    await sink.deliver(new SampleBatch(), base);
    await sink.flush(0);
    await sink.close();
    expect(out).toEqual([
      '2026-11-24T22:30:15.000Z job=node instance=127.0.0.1:9100 up=1 samples=507 duration=12ms\n',
    ]);
    expect(sink.stats()).toEqual([]);
  });
});
