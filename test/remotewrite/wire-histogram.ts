/**
 * Test-side readers of native histograms on the wire, independent of our encoders: protobufjs
 * with the published .proto files (test/fixtures/proto/: prompb/types.proto and remote.proto for
 * 1.0, the 2.0 types.proto), decoding whole requests. Each `double` that may carry a NaN whose
 * bits matter (Sample.value, Histogram.sum) is decoded a second time as `fixed64` (same wire
 * type) to read its exact 64 bits.
 */

import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/proto/${name}`, import.meta.url), 'utf8');

const V1_TYPES = fixture('prometheus.types.proto');
const V1_REMOTE = fixture('prometheus.remote.proto');
const V2_TYPES = fixture('io.prometheus.write.v2.types.proto');

/** Doubles whose bits we read, rewritten as fixed64 (the same wire type). */
const asBits = (proto: string): string =>
  proto
    .replace('double value    = 1;', 'fixed64 value = 1;') // 1.0 Sample
    .replace('double value = 1;', 'fixed64 value = 1;') // 2.0 Sample
    .replace('double sum = 3;', 'fixed64 sum = 3;');

function v1Root(bits: boolean): protobuf.Type {
  const root = new protobuf.Root();
  protobuf.parse(bits ? asBits(V1_TYPES) : V1_TYPES, root, { keepCase: true });
  protobuf.parse(V1_REMOTE, root, { keepCase: true });
  return root.lookupType('prometheus.WriteRequest');
}
function v2Root(bits: boolean): protobuf.Type {
  return protobuf
    .parse(bits ? asBits(V2_TYPES) : V2_TYPES, { keepCase: true })
    .root.lookupType('io.prometheus.write.v2.Request');
}

const WriteRequest = v1Root(false);
const WriteRequestBits = v1Root(true);
const RequestV2 = v2Root(false);
const RequestV2Bits = v2Root(true);

/** toObject options: longs as numbers, enums by name, the set oneof member named. */
const OPTIONS = { longs: Number, enums: String, defaults: true, arrays: true, oneofs: true };

/** A decoded Histogram, field names as in the .proto, plus `sum_bits`. */
export interface WireHistogram {
  /** Which member of `oneof count` is on the wire. */
  count: 'count_int' | 'count_float' | undefined;
  count_int?: number;
  count_float?: number;
  sum: number;
  /** The sum's 64 bits as 16 hex digits, big-endian. */
  sum_bits: string;
  schema: number;
  zero_threshold: number;
  zero_count: 'zero_count_int' | 'zero_count_float' | undefined;
  zero_count_int?: number;
  zero_count_float?: number;
  negative_spans: { offset: number; length: number }[];
  negative_deltas: number[];
  negative_counts: number[];
  positive_spans: { offset: number; length: number }[];
  positive_deltas: number[];
  positive_counts: number[];
  reset_hint: string;
  timestamp: number;
  custom_values: number[];
  /** 2.0 only. */
  start_timestamp?: number;
}

export interface WireSample {
  value: number;
  bits: string;
  timestamp: number;
  start_timestamp?: number;
}

export interface WireSeriesV1 {
  labels: Record<string, string>;
  samples: WireSample[];
  exemplars: { labels: Record<string, string>; value: number; timestamp: number }[];
  histograms: WireHistogram[];
}

export interface WireSeriesV2 {
  labels: Record<string, string>;
  samples: WireSample[];
  exemplars: { labels: Record<string, string>; value: number; timestamp: number }[];
  histograms: WireHistogram[];
  metadata: { type: string; help: string; unit: string } | undefined;
}

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const bitsHex = (v: unknown): string =>
  BigInt(String(v ?? '0'))
    .toString(16)
    .padStart(16, '0');

function histogram(h: Obj, bits: Obj): WireHistogram {
  return { ...(h as unknown as WireHistogram), sum_bits: bitsHex(bits.sum) };
}

/** Decodes an uncompressed 1.0 WriteRequest. */
export function decodeV1(raw: Uint8Array): { timeseries: WireSeriesV1[]; metadata: Obj[] } {
  const msg = WriteRequest.toObject(WriteRequest.decode(raw), OPTIONS);
  const bits = WriteRequestBits.toObject(WriteRequestBits.decode(raw), {
    ...OPTIONS,
    longs: String,
  });
  const labels = (ls: unknown) =>
    Object.fromEntries(list(ls).map((l) => [String(l.name), String(l.value)]));
  return {
    timeseries: list(msg.timeseries).map((t, i) => {
      const tb = list(bits.timeseries)[i]!;
      return {
        labels: labels(t.labels),
        samples: list(t.samples).map((s, j) => ({
          value: s.value as number,
          bits: bitsHex(list(tb.samples)[j]!.value),
          timestamp: s.timestamp as number,
        })),
        exemplars: list(t.exemplars).map((e) => ({
          labels: labels(e.labels),
          value: e.value as number,
          timestamp: e.timestamp as number,
        })),
        histograms: list(t.histograms).map((h, j) => histogram(h, list(tb.histograms)[j]!)),
      };
    }),
    metadata: list(msg.metadata),
  };
}

/** Decodes an uncompressed 2.0 Request, refs resolved through its symbols. */
export function decodeV2Histograms(raw: Uint8Array): {
  symbols: string[];
  timeseries: WireSeriesV2[];
} {
  const msg = RequestV2.toObject(RequestV2.decode(raw), OPTIONS);
  const bits = RequestV2Bits.toObject(RequestV2Bits.decode(raw), { ...OPTIONS, longs: String });
  const symbols = (msg.symbols as string[] | undefined) ?? [];
  const sym = (ref: number): string => {
    if (ref >= symbols.length) throw new Error(`ref ${ref} outside ${symbols.length} symbols`);
    return symbols[ref]!;
  };
  const labels = (refs: unknown): Record<string, string> => {
    const r = (refs as number[] | undefined) ?? [];
    const out: Record<string, string> = {};
    for (let i = 0; i < r.length; i += 2) out[sym(r[i]!)] = sym(r[i + 1]!);
    return out;
  };
  // A message field protobufjs leaves null when absent.
  const rawTs = (RequestV2.decode(raw) as unknown as { timeseries: { metadata?: unknown }[] })
    .timeseries;
  return {
    symbols,
    timeseries: list(msg.timeseries).map((t, i) => {
      const tb = list(bits.timeseries)[i]!;
      const m = t.metadata as Obj | null | undefined;
      const present = rawTs[i]?.metadata !== undefined && rawTs[i]?.metadata !== null;
      return {
        labels: labels(t.labels_refs),
        samples: list(t.samples).map((s, j) => ({
          value: s.value as number,
          bits: bitsHex(list(tb.samples)[j]!.value),
          timestamp: s.timestamp as number,
          start_timestamp: s.start_timestamp as number,
        })),
        exemplars: list(t.exemplars).map((e) => ({
          labels: labels(e.labels_refs),
          value: e.value as number,
          timestamp: e.timestamp as number,
        })),
        histograms: list(t.histograms).map((h, j) => histogram(h, list(tb.histograms)[j]!)),
        metadata:
          present && m
            ? {
                type: String(m.type),
                help: sym(m.help_ref as number),
                unit: sym(m.unit_ref as number),
              }
            : undefined,
      };
    }),
  };
}
