import { describe, expect, it } from 'vitest';
import type { ScrapeProtocol } from '../../src/config/types.js';
import { parseMediaType } from '../../src/exposition/content-type.js';
import { type SelectedFormat, selectFormat } from '../../src/exposition/index.js';

const PROTO =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

describe('selectFormat: Content-Type → parser (§4.4)', () => {
  it.each<{ header: string | undefined; fallback?: ScrapeProtocol; want: SelectedFormat }>([
    { header: 'text/plain; version=0.0.4', want: { format: 'prometheus-text' } },
    {
      header: 'text/plain;version=1.0.0;escaping=allow-utf-8',
      want: { format: 'prometheus-text' },
    },
    { header: 'TEXT/Plain', want: { format: 'prometheus-text' } },
    { header: 'text/plain;', want: { format: 'prometheus-text' } },
    { header: 'text/plain; charset="utf-8"', want: { format: 'prometheus-text' } },
    { header: 'text/plain; version=9.9.9', want: { format: 'prometheus-text' } },
    {
      header: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
      want: { format: 'openmetrics' },
    },
    { header: 'application/openmetrics-text;version=0.0.1', want: { format: 'openmetrics' } },
    {
      header: undefined,
      want: {
        error:
          'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
      },
    },
    {
      header: '',
      fallback: 'OpenMetricsText1.0.0',
      want: {
        format: 'openmetrics',
        warning:
          'non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "application/openmetrics-text"',
      },
    },
    {
      header: 'application/json',
      want: {
        error:
          'received unsupported Content-Type "application/json" and no fallback_scrape_protocol specified for target',
      },
    },
    {
      header: 'text/html; charset=utf-8',
      fallback: 'PrometheusText0.0.4',
      want: {
        format: 'prometheus-text',
        warning:
          'received unsupported Content-Type "text/html; charset=utf-8", using fallback_scrape_protocol "text/plain"',
      },
    },
    {
      header: 'text/plain; version',
      want: {
        error:
          'cannot parse Content-Type "text/plain; version" and no fallback_scrape_protocol for target\nmime: invalid media parameter',
      },
    },
    {
      header: 'text/plain; version',
      fallback: 'PrometheusText1.0.0',
      want: {
        format: 'prometheus-text',
        warning:
          'could not parse received Content-Type "text/plain; version", using fallback_scrape_protocol "text/plain"\nmime: invalid media parameter',
      },
    },
    { header: PROTO, want: { format: 'protobuf' } },
    // Only the media type counts: other `proto=` or `encoding=` values are not looked at.
    { header: 'application/vnd.google.protobuf; encoding=text', want: { format: 'protobuf' } },
    { header: PROTO, fallback: 'PrometheusText0.0.4', want: { format: 'protobuf' } },
    {
      header: undefined,
      fallback: 'PrometheusProto',
      want: {
        format: 'protobuf',
        warning:
          'non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol "application/vnd.google.protobuf"',
      },
    },
    {
      header: 'application/json',
      fallback: 'PrometheusProto',
      want: {
        format: 'protobuf',
        warning:
          'received unsupported Content-Type "application/json", using fallback_scrape_protocol "application/vnd.google.protobuf"',
      },
    },
  ])('$header (fallback $fallback)', ({ header, fallback, want }) => {
    expect(selectFormat(header, fallback)).toEqual(want);
  });
});

describe('parseMediaType: Go mime.ParseMediaType rules', () => {
  it.each<[string, string]>([
    ['text/plain', 'text/plain'],
    [' Text/Plain ; a=b', 'text/plain'],
    ['text', 'text'],
    ['text/plain; a=b; a=b', 'text/plain'],
    ['text/plain; a="x;y"', 'text/plain'],
  ])('%j → %s', (header, mediaType) => {
    expect(parseMediaType(header)).toEqual({ mediaType });
  });

  it.each<[string, string]>([
    ['', 'mime: no media type'],
    ['/plain', 'mime: no media type'],
    ['text/', 'mime: expected token after slash'],
    ['text plain', 'mime: expected slash after first token'],
    ['text/plain/x', 'mime: unexpected content after media subtype'],
    ['text/plain; a=1; a=2', 'mime: duplicate parameter name'],
    ['text/plain; =1', 'mime: invalid media parameter'],
    ['text/plain; a="unterminated', 'mime: invalid media parameter'],
    ['text/plain x', 'mime: unexpected content after media subtype'],
    ['text/plain;;', 'mime: invalid media parameter'],
  ])('%j → %s', (header, error) => {
    expect(parseMediaType(header)).toEqual({ error });
  });
});
