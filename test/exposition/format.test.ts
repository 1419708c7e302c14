import { describe, expect, it } from 'vitest';
import { formatSampleLine } from '../../src/exposition/index.js';
import type { Labels } from '../../src/model/labels.js';

describe('formatSampleLine', () => {
  it.each<{ labels: Labels; value: number; ts?: number; want: string }>([
    { labels: [{ name: '__name__', value: 'up' }], value: 1, want: 'up 1' },
    {
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'code', value: '200' },
        { name: 'method', value: 'get' },
      ],
      value: 1027,
      ts: 1395066363000,
      want: 'http_requests_total{code="200", method="get"} 1027 1395066363000',
    },
    {
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'a', value: 'x"y\\z\nw' },
      ],
      value: 0.5,
      want: 'm{a="x\\"y\\\\z\\nw"} 0.5',
    },
    {
      labels: [
        { name: '__name__', value: 'my.metric' },
        { name: 'a.b', value: 'c' },
      ],
      value: 1,
      want: '{"my.metric", "a.b"="c"} 1',
    },
    { labels: [{ name: '__name__', value: 'a' }], value: Number.NaN, want: 'a NaN' },
    { labels: [{ name: '__name__', value: 'a' }], value: Number.POSITIVE_INFINITY, want: 'a +Inf' },
    { labels: [{ name: '__name__', value: 'a' }], value: Number.NEGATIVE_INFINITY, want: 'a -Inf' },
    { labels: [{ name: '__name__', value: 'a' }], value: 1e6, want: 'a 1e+06' },
    { labels: [{ name: '__name__', value: 'a' }], value: 1.5e-7, want: 'a 1.5e-07' },
    { labels: [{ name: '__name__', value: 'a' }], value: 0.1 + 0.2, want: 'a 0.30000000000000004' },
    { labels: [{ name: '__name__', value: 'a' }], value: -0, want: 'a -0' },
  ])('$want', ({ labels, value, ts, want }) => {
    expect(formatSampleLine(labels, value, ts)).toBe(want);
  });
});
