import {
  createParser,
  EntryKind,
  type ExpositionFormat,
  type ExpositionParserOptions,
} from '../../src/exposition/index.js';

/** One parsed entry as a plain object, for table comparisons. */
export type Entry =
  | {
      kind: 'series';
      series: string;
      labels: Record<string, string>;
      value: number;
      timestampMs: number | null;
      exemplar?: { labels: Record<string, string>; value: number; timestampMs: number | null };
      startTimestampMs?: number;
    }
  | { kind: 'help'; family: string; help: string }
  | { kind: 'type'; family: string; type: string }
  | { kind: 'unit'; family: string; unit: string }
  | { kind: 'comment'; comment: string };

/** Parses a whole body into entries (throws what the parser throws). */
export function collect(
  format: ExpositionFormat,
  body: string | Uint8Array,
  options: ExpositionParserOptions = {},
): Entry[] {
  const p = createParser(format, body, options);
  const out: Entry[] = [];
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    switch (k) {
      case EntryKind.Series: {
        const e: Entry = {
          kind: 'series',
          series: p.seriesText(),
          labels: Object.fromEntries(p.labels().map((l) => [l.name, l.value])),
          value: p.value(),
          timestampMs: p.timestampMs() ?? null,
        };
        const ex = p.exemplar();
        if (ex !== undefined) {
          e.exemplar = {
            labels: Object.fromEntries(ex.labels.map((l) => [l.name, l.value])),
            value: ex.value,
            timestampMs: ex.timestampMs ?? null,
          };
        }
        const st = p.startTimestampMs();
        if (st !== undefined) e.startTimestampMs = st;
        out.push(e);
        break;
      }
      case EntryKind.Help:
        out.push({ kind: 'help', family: p.metricFamily(), help: p.help() });
        break;
      case EntryKind.Type:
        out.push({ kind: 'type', family: p.metricFamily(), type: p.metricType() });
        break;
      case EntryKind.Unit:
        out.push({ kind: 'unit', family: p.metricFamily(), unit: p.unit() });
        break;
      case EntryKind.Comment:
        out.push({ kind: 'comment', comment: p.comment() });
        break;
    }
  }
  return out;
}

/** Runs a body to the end, touching every accessor a scrape would; returns the sample count. */
export function consume(
  format: ExpositionFormat,
  body: string | Uint8Array,
  options: ExpositionParserOptions = {},
): number {
  const p = createParser(format, body, options);
  let n = 0;
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k !== EntryKind.Series) continue;
    n++;
    p.seriesText();
    p.labels();
    p.value();
    p.timestampMs();
    p.exemplar();
    p.metricType();
  }
  return n;
}
