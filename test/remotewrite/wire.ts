/**
 * Test-side readers of what goes on the wire: a small protobuf decoder for remote write 1.0
 * (§11.2) and a local `node:http` receiver that decompresses with our snappy decoder, decodes,
 * and records every request. Independent of the encoder on purpose: it walks tags generically.
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';

export interface DecodedLabel {
  name: string;
  value: string;
}
export interface DecodedSample {
  value: number;
  /** The 8 value bytes as hex, little-endian as on the wire ('' when the field is absent). */
  valueHex: string;
  timestamp: number;
}
export interface DecodedExemplar {
  labels: DecodedLabel[];
  value: number;
  timestamp: number;
}
export interface DecodedSeries {
  labels: DecodedLabel[];
  samples: DecodedSample[];
  exemplars: DecodedExemplar[];
}
export interface DecodedMetadata {
  type: number;
  metricFamilyName: string;
  help: string;
  unit: string;
}
export interface DecodedWriteRequest {
  timeseries: DecodedSeries[];
  metadata: DecodedMetadata[];
}

type Field = { field: number; wire: number; varint: bigint; bytes: Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, varint: varint(), bytes: new Uint8Array(0) };
    else if (wire === 1) {
      yield { field, wire, varint: 0n, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('length past end');
      yield { field, wire, varint: 0n, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));
const double = (b: Uint8Array): number =>
  new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decodeLabel(buf: Uint8Array): DecodedLabel {
  const l = { name: '', value: '' };
  for (const f of fields(buf)) {
    if (f.field === 1) l.name = utf8.decode(f.bytes);
    else if (f.field === 2) l.value = utf8.decode(f.bytes);
  }
  return l;
}

export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  const out: DecodedWriteRequest = { timeseries: [], metadata: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) {
      const ts: DecodedSeries = { labels: [], samples: [], exemplars: [] };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) ts.labels.push(decodeLabel(g.bytes));
        else if (g.field === 2) {
          const s: DecodedSample = { value: 0, valueHex: '', timestamp: 0 };
          for (const h of fields(g.bytes)) {
            if (h.field === 1) {
              s.value = double(h.bytes);
              s.valueHex = hex(h.bytes);
            } else if (h.field === 2) s.timestamp = int64(h.varint);
          }
          ts.samples.push(s);
        } else if (g.field === 3) {
          const e: DecodedExemplar = { labels: [], value: 0, timestamp: 0 };
          for (const h of fields(g.bytes)) {
            if (h.field === 1) e.labels.push(decodeLabel(h.bytes));
            else if (h.field === 2) e.value = double(h.bytes);
            else if (h.field === 3) e.timestamp = int64(h.varint);
          }
          ts.exemplars.push(e);
        }
      }
      out.timeseries.push(ts);
    } else if (f.field === 3) {
      const m: DecodedMetadata = { type: 0, metricFamilyName: '', help: '', unit: '' };
      for (const g of fields(f.bytes)) {
        if (g.field === 1) m.type = Number(g.varint);
        else if (g.field === 2) m.metricFamilyName = utf8.decode(g.bytes);
        else if (g.field === 4) m.help = utf8.decode(g.bytes);
        else if (g.field === 5) m.unit = utf8.decode(g.bytes);
      }
      out.metadata.push(m);
    }
  }
  return out;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  /** undefined when the body did not decompress/decode. */
  decoded: DecodedWriteRequest | undefined;
  at: number;
}

/** Answers one request; return after writing the response (or destroying the socket). */
export type Responder = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Responders used in order, one per request; after them every request gets 204. */
  respond(...responders: Responder[]): void;
  close(): Promise<void>;
}

export const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

export async function startReceiver(): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: Responder[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      let decoded: DecodedWriteRequest | undefined;
      try {
        decoded = decodeWriteRequest(snappyDecompress(body));
      } catch {
        decoded = undefined;
      }
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        decoded,
        at: Date.now(),
      });
      (queue.shift() ?? reply(204))(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests,
    respond: (...r) => queue.push(...r),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
