/**
 * Test-side reader of remote write 2.0 (§11.4), independent of our encoder: protobufjs with the
 * published .proto (test/fixtures/proto/, copied from Prometheus with its license and source).
 * Values are decoded twice: as doubles, and as the raw 64 bits (the same proto with `Sample`'s
 * `double value` read as `fixed64`, which has the same wire type), so that a StaleNaN can be told
 * from another NaN.
 *
 * Also a receiver that answers like a 2.0 receiver (204 with the written-count headers), like a
 * 1.x receiver that checks Content-Type (415 to 2.0), or like one that does not (204 without
 * headers, having decoded nothing: Prometheus 2.42).
 */

import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import { type DecodedWriteRequest, decodeWriteRequest } from './wire.js';

const PROTO = readFileSync(
  new URL('../fixtures/proto/io.prometheus.write.v2.types.proto', import.meta.url),
  'utf8',
);
const Request = protobuf
  .parse(PROTO, { keepCase: true })
  .root.lookupType('io.prometheus.write.v2.Request');
const RequestBits = protobuf
  .parse(PROTO.replace('double value = 1;', 'fixed64 value = 1;'), { keepCase: true })
  .root.lookupType('io.prometheus.write.v2.Request');

export interface V2Sample {
  value: number;
  /** The value's 64 bits as 16 hex digits, big-endian (e.g. 7ff0000000000002). */
  bits: string;
  timestamp: number;
  start_timestamp: number;
}
export interface V2Exemplar {
  labels_refs: number[];
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}
export interface V2Metadata {
  type: number;
  help_ref: number;
  unit_ref: number;
  help: string;
  unit: string;
}
export interface V2Series {
  labels_refs: number[];
  /** labels_refs resolved through the symbols, in order. */
  labels: [string, string][];
  samples: V2Sample[];
  histograms: unknown[];
  exemplars: V2Exemplar[];
  /** undefined when the field is absent. */
  metadata: V2Metadata | undefined;
}
export interface V2Request {
  symbols: string[];
  timeseries: V2Series[];
}

interface RawSeries {
  labels_refs?: number[];
  samples?: { value?: number; timestamp?: number; start_timestamp?: number }[];
  histograms?: unknown[];
  exemplars?: { labels_refs?: number[]; value?: number; timestamp?: number }[];
  metadata?: { type?: number; help_ref?: number; unit_ref?: number } | null;
}
interface RawRequest {
  symbols?: string[];
  timeseries?: RawSeries[];
}

const OBJECT_OPTIONS = { longs: Number, enums: Number, defaults: true, arrays: true } as const;

/** Decodes an uncompressed 2.0 Request; refs outside the symbols throw. */
export function decodeV2(raw: Uint8Array): V2Request {
  const msg = Request.toObject(Request.decode(raw), OBJECT_OPTIONS) as RawRequest;
  const bits = RequestBits.toObject(RequestBits.decode(raw), {
    ...OBJECT_OPTIONS,
    longs: String,
  }) as { timeseries?: { samples?: { value?: string }[] }[] };
  const symbols = msg.symbols ?? [];
  const sym = (ref: number): string => {
    if (ref >= symbols.length) throw new Error(`ref ${ref} outside ${symbols.length} symbols`);
    return symbols[ref]!;
  };
  const pairs = (refs: number[]): [string, string][] => {
    if (refs.length % 2 !== 0) throw new Error('odd labels_refs');
    const out: [string, string][] = [];
    for (let i = 0; i < refs.length; i += 2) out.push([sym(refs[i]!), sym(refs[i + 1]!)]);
    return out;
  };
  return {
    symbols,
    timeseries: (msg.timeseries ?? []).map((t, i) => ({
      labels_refs: t.labels_refs ?? [],
      labels: pairs(t.labels_refs ?? []),
      samples: (t.samples ?? []).map((s, j) => ({
        value: s.value ?? 0,
        bits: BigInt(bits.timeseries?.[i]?.samples?.[j]?.value ?? '0')
          .toString(16)
          .padStart(16, '0'),
        timestamp: s.timestamp ?? 0,
        start_timestamp: s.start_timestamp ?? 0,
      })),
      histograms: t.histograms ?? [],
      exemplars: (t.exemplars ?? []).map((e) => ({
        labels_refs: e.labels_refs ?? [],
        labels: Object.fromEntries(pairs(e.labels_refs ?? [])),
        value: e.value ?? 0,
        timestamp: e.timestamp ?? 0,
      })),
      metadata:
        t.metadata === undefined || t.metadata === null
          ? undefined
          : {
              type: t.metadata.type ?? 0,
              help_ref: t.metadata.help_ref ?? 0,
              unit_ref: t.metadata.unit_ref ?? 0,
              help: sym(t.metadata.help_ref ?? 0),
              unit: sym(t.metadata.unit_ref ?? 0),
            },
    })),
  };
}

/** Whether a request's metadata field is on the wire (protobufjs leaves absent messages null). */
export function hasMetadataField(raw: Uint8Array, series: number): boolean {
  const msg = Request.decode(raw) as unknown as { timeseries: { metadata?: unknown }[] };
  const m = msg.timeseries[series]?.metadata;
  return m !== undefined && m !== null;
}

export const V2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

export interface ReceivedV2 {
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  /** Which message the request said it held (by Content-Type). */
  message: 'v1' | 'v2';
  /** What the receiver decoded: per its message. */
  v2: V2Request | undefined;
  v1: DecodedWriteRequest | undefined;
  /** The status it answered. */
  status: number;
}

/**
 * How the receiver treats a 2.0 request: `v2` takes it (204 and the written headers), `v1-415`
 * refuses it with 415, `v1-silent` answers 204 without headers having stored nothing (a 1.x
 * receiver that ignores Content-Type, like Prometheus 2.42). 1.0 requests always get 204.
 */
export type ReceiverMode = 'v2' | 'v1-415' | 'v1-silent';

/** One answer instead of the mode's, for the next request. */
export type Override = (res: ServerResponse, got: ReceivedV2) => void;

export interface V2Receiver {
  readonly url: string;
  readonly requests: ReceivedV2[];
  mode: ReceiverMode;
  /** Answers used in order, one per request, before the mode's. */
  override(...o: Override[]): void;
  /** Samples the receiver stored, by series key (labels JSON), in arrival order. */
  stored(): Map<string, { value: number; bits: string; timestamp: number }[]>;
  close(): Promise<void>;
}

const key = (labels: [string, string][]): string => JSON.stringify(labels);

export async function startV2Receiver(mode: ReceiverMode = 'v2'): Promise<V2Receiver> {
  const requests: ReceivedV2[] = [];
  const overrides: Override[] = [];
  const stored = new Map<string, { value: number; bits: string; timestamp: number }[]>();
  const store = (
    labels: [string, string][],
    s: { value: number; bits: string; timestamp: number },
  ) => {
    const k = key(labels);
    let list = stored.get(k);
    if (list === undefined) {
      list = [];
      stored.set(k, list);
    }
    list.push(s);
  };
  const rx: V2Receiver = {
    url: '',
    requests,
    mode,
    override: (...o) => overrides.push(...o),
    stored: () => stored,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const message = req.headers['content-type'] === V2_CONTENT_TYPE ? 'v2' : 'v1';
      const got: ReceivedV2 = {
        headers: req.headers,
        body,
        message,
        v2: undefined,
        v1: undefined,
        status: 0,
      };
      requests.push(got);
      const raw = snappyDecompress(body);
      const answer = (status: number, headers: Record<string, string> = {}) => {
        got.status = status;
        res.writeHead(status, headers);
        res.end();
      };
      const override = overrides.shift();
      if (message === 'v2') got.v2 = decodeV2(raw);
      else got.v1 = decodeWriteRequest(raw);
      if (override !== undefined) {
        override(res, got);
        got.status = res.statusCode;
        return;
      }
      if (message === 'v1') {
        for (const t of got.v1!.timeseries) {
          const labels = t.labels.map((l) => [l.name, l.value] as [string, string]);
          for (const s of t.samples) {
            store(labels, { value: s.value, bits: hexBits(s.valueHex), timestamp: s.timestamp });
          }
        }
        answer(204);
        return;
      }
      if (rx.mode === 'v1-415') {
        answer(415);
        return;
      }
      if (rx.mode === 'v1-silent') {
        answer(204);
        return;
      }
      let samples = 0;
      let histograms = 0;
      let exemplars = 0;
      for (const t of got.v2!.timeseries) {
        for (const s of t.samples) store(t.labels, s);
        samples += t.samples.length;
        histograms += t.histograms.length;
        exemplars += t.exemplars.length;
      }
      answer(204, {
        'X-Prometheus-Remote-Write-Samples-Written': String(samples),
        'X-Prometheus-Remote-Write-Histograms-Written': String(histograms),
        'X-Prometheus-Remote-Write-Exemplars-Written': String(exemplars),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  (rx as { url: string }).url = `http://127.0.0.1:${port}/api/v1/write`;
  return rx;
}

/** wire.ts's little-endian value hex ('' when absent: +0.0) as big-endian bits. */
function hexBits(le: string): string {
  if (le === '') return '0'.padStart(16, '0');
  return (le.match(/../g) ?? []).reverse().join('');
}

/** A sample's 64 bits as 16 hex digits, big-endian. */
export function bitsOf(v: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

export const STALE_BITS = '7ff0000000000002';
export const PROMETHEUS_NAN_BITS = '7ff8000000000001';
