import { describe, expect, it } from 'vitest';
import {
  Counter,
  escapeMetricLabelValue,
  formatValue,
  Gauge,
  GaugeFunc,
  Histogram,
  MetricsRegistry,
  TEXT_FORMAT_CONTENT_TYPE,
} from '../../src/local/metrics.js';
import { parseMetrics } from './helpers.js';

describe('metrics registry', () => {
  it.each([
    { v: 0, want: '0' },
    { v: 12, want: '12' },
    { v: 0.25, want: '0.25' },
    { v: Number.NaN, want: 'NaN' },
    { v: Number.POSITIVE_INFINITY, want: '+Inf' },
    { v: Number.NEGATIVE_INFINITY, want: '-Inf' },
    { v: 1e-7, want: '1e-7' },
  ])('formats $v as $want', ({ v, want }) => {
    expect(formatValue(v)).toBe(want);
  });

  it('escapes label values', () => {
    expect(escapeMetricLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('renders a body our text parser reads back', () => {
    const r = new MetricsRegistry();
    const c = r.register(new Counter('x_total', 'Things.\nTwo lines.', ['job']));
    const g = r.register(new Gauge('y', 'A gauge.'));
    const h = r.register(new Histogram('z_seconds', 'Durations.', ['job'], [0.1, 1]));
    r.register(new GaugeFunc('w', 'Computed.', ['a', 'b'], () => [[['1', '2'], 5]]));
    c.inc(['we"ird\njob\\'], 2);
    c.touch(['zero']);
    g.set([], 0.5);
    h.observe(['a'], 0.05);
    h.observe(['a'], 0.5);
    h.observe(['a'], 3);
    const { samples, types } = parseMetrics(r.render(), TEXT_FORMAT_CONTENT_TYPE);
    expect(Object.fromEntries(samples)).toEqual({
      'x_total{job="we\\"ird\\njob\\\\"}': 2,
      'x_total{job="zero"}': 0,
      y: 0.5,
      'z_seconds_bucket{job="a", le="0.1"}': 1,
      'z_seconds_bucket{job="a", le="1.0"}': 2, // the parser normalises le (§5.1)
      'z_seconds_bucket{job="a", le="+Inf"}': 3,
      'z_seconds_sum{job="a"}': 3.55,
      'z_seconds_count{job="a"}': 3,
      'w{a="1", b="2"}': 5,
    });
    expect(Object.fromEntries(types)).toEqual({
      x_total: 'counter',
      y: 'gauge',
      z_seconds: 'histogram',
      w: 'gauge',
    });
  });

  it('rejects a duplicate family and a wrong label count', () => {
    const r = new MetricsRegistry();
    r.register(new Gauge('a', 'h'));
    expect(() => r.register(new Gauge('a', 'h'))).toThrow(RangeError);
    expect(() => new Counter('c_total', 'h', ['job']).inc([])).toThrow(RangeError);
  });
});
