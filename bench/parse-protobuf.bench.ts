/**
 * Protobuf vs text parse cost per sample on the same data (§5.1, §5.3):
 *
 *   npx tsx bench/parse-protobuf.bench.ts [N] [--out=PATH]
 *
 * The shared 100,000-series text body (bench/lib/target-server.mjs `ensureBigTarget`) is read
 * with the text parser and written again as delimited MetricFamily messages with protobufjs
 * (test/fixtures/proto/metrics.proto; the histogram family as classic histograms without the
 * +Inf bucket, the way client_golang writes them, so both bodies yield the same samples). Then,
 * for each format:
 *
 * - warm: every sample's seriesText() + value() + timestampMs(): all series in the scrape cache;
 * - cold: the same plus labels(): a scrape that meets every series for the first time.
 *
 * Prints the median and best of 15 rounds in ms, ns/sample and MB/s of body.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { createParser, loadParser } from '../src/exposition/parser.js';
import { EntryKind, type ExpositionFormat } from '../src/exposition/types.js';
// @ts-expect-error: plain ESM JavaScript helper without types
import { ensureBigTarget } from './lib/target-server.mjs';

await loadParser('protobuf');

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
/** `--out=PATH` also writes the protobuf body there (for profiling the parser alone). */
const OUT = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const ROUNDS = 15;
const WARMUP = 3;

const TYPES: Record<string, number> = {
  counter: 0,
  gauge: 1,
  summary: 2,
  untyped: 3,
  histogram: 4,
};

interface Family {
  name: string;
  help: string;
  type: string;
  metrics: object[];
  /** Histogram families: metric by label key, filled from _bucket/_sum/_count series. */
  byKey: Map<
    string,
    { label: object[]; histogram: { bucket: object[]; sampleCount?: number; sampleSum?: number } }
  >;
}

/** The text body as protobuf: one MetricFamily per text family, samples in the same order. */
function toProtobuf(text: Uint8Array): Uint8Array {
  const families: Family[] = [];
  const byName = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = byName.get(name);
    if (f === undefined) {
      f = { name, help: '', type: 'untyped', metrics: [], byKey: new Map() };
      byName.set(name, f);
      families.push(f);
    }
    return f;
  };
  const p = createParser('prometheus-text', text);
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k === EntryKind.Help) family(p.metricFamily()).help = p.help();
    else if (k === EntryKind.Type) family(p.metricFamily()).type = p.metricType();
    if (k !== EntryKind.Series) continue;
    const name = p.metricName();
    const hist = /^(.*)_(bucket|sum|count)$/.exec(name);
    const histFamily = hist !== null ? byName.get(hist[1]!) : undefined;
    if (hist !== null && histFamily?.type === 'histogram') {
      const labels = p.labels().filter((l) => l.name !== '__name__' && l.name !== 'le');
      const key = JSON.stringify(labels);
      let m = histFamily.byKey.get(key);
      if (m === undefined) {
        m = {
          label: labels.map((l) => ({ name: l.name, value: l.value })),
          histogram: { bucket: [] },
        };
        histFamily.byKey.set(key, m);
        histFamily.metrics.push(m);
      }
      if (hist[2] === 'bucket') {
        const le = p.labels().find((l) => l.name === 'le')!.value;
        if (le !== '+Inf')
          m.histogram.bucket.push({ cumulativeCount: p.value(), upperBound: Number(le) });
      } else if (hist[2] === 'sum') m.histogram.sampleSum = p.value();
      else m.histogram.sampleCount = p.value();
      continue;
    }
    const f = family(name);
    const label = p
      .labels()
      .filter((l) => l.name !== '__name__')
      .map((l) => ({ name: l.name, value: l.value }));
    const value = { value: p.value() };
    f.metrics.push(
      f.type === 'counter'
        ? { label, counter: value }
        : f.type === 'gauge'
          ? { label, gauge: value }
          : { label, untyped: value },
    );
  }
  const proto = fileURLToPath(new URL('../test/fixtures/proto/metrics.proto', import.meta.url));
  const MetricFamily = protobuf.loadSync(proto).lookupType('io.prometheus.client.MetricFamily');
  const w = protobuf.Writer.create();
  for (const f of families) {
    const message = { name: f.name, help: f.help, type: TYPES[f.type] ?? 3, metric: f.metrics };
    MetricFamily.encodeDelimited(MetricFamily.fromObject(message), w);
  }
  return w.finish();
}

type Mode = 'warm' | 'cold';

function pass(
  format: ExpositionFormat,
  body: Uint8Array,
  mode: Mode,
): { samples: number; check: number } {
  const p = createParser(format, body);
  let samples = 0;
  let check = 0;
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k !== EntryKind.Series) continue;
    samples++;
    check += p.seriesText().length + p.value() + (p.timestampMs() ?? 0);
    if (mode === 'cold') check += p.labels().length;
  }
  return { samples, check };
}

function measure(label: string, format: ExpositionFormat, body: Uint8Array, mode: Mode): number {
  const times: number[] = [];
  let samples = 0;
  let sink = 0;
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const res = pass(format, body, mode);
    const ns = Number(process.hrtime.bigint() - start);
    sink += res.check;
    samples = res.samples;
    if (r >= WARMUP) times.push(ns);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const min = times[0]!;
  const perSample = (ns: number) => `${(ns / samples).toFixed(0)} ns`;
  const mbps = (ns: number) => `${(body.length / 1e6 / (ns / 1e9)).toFixed(0)} MB/s`;
  console.log(
    [
      label.padEnd(22),
      `${samples}`.padStart(7),
      `${(median / 1e6).toFixed(1)} ms`.padStart(9),
      perSample(median).padStart(8),
      mbps(median).padStart(9),
      `| ${(min / 1e6).toFixed(1)} ms`.padStart(11),
      perSample(min).padStart(8),
      mbps(min).padStart(9),
      sink === Number.NEGATIVE_INFINITY ? '!' : '',
    ].join(' '),
  );
  return samples;
}

const text = new Uint8Array(readFileSync(ensureBigTarget({ series: N }) as string));
const proto = toProtobuf(text);
if (OUT !== undefined) writeFileSync(OUT, proto);
console.log(
  `text ${(text.length / 1e6).toFixed(1)} MB, protobuf ${(proto.length / 1e6).toFixed(1)} MB; node ${process.version}; ${ROUNDS} rounds`,
);
console.log(
  `${''.padEnd(22)} ${'samples'.padStart(7)} ${'median'.padStart(27)} | ${'best'.padStart(26)}`,
);
const counts = [
  measure('text: warm', 'prometheus-text', text, 'warm'),
  measure('protobuf: warm', 'protobuf', proto, 'warm'),
  measure('text: cold', 'prometheus-text', text, 'cold'),
  measure('protobuf: cold', 'protobuf', proto, 'cold'),
];
if (new Set(counts).size !== 1)
  throw new Error(`the two bodies yield different sample counts: ${counts}`);
