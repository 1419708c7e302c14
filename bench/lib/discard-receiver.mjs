/**
 * A remote-write receiver for benchmarks that keeps nothing: it accepts POSTs on any path,
 * reads the body, answers 204 and counts requests and body bytes (what travelled on the wire
 * after snappy, without HTTP headers).
 *
 * While decoding is on (`decode: true`, or `setDecode(true)`) it also counts samples: it
 * snappy-decompresses each body and walks the protobuf WriteRequest just deep enough to count the
 * TimeSeries and the Sample entries inside them (labels, exemplars and metadata are skipped by
 * length, never decoded). That is not free: 0.5–2 µs per sample on this machine kind, the same
 * order as a scraper's own cost per sample, so the whole-path harness decodes only outside its
 * measured windows unless told otherwise. `decodeMs` in the counts says what it cost.
 *
 * Remote write 1.0 bodies only (snappy block format, `prometheus.WriteRequest`). A body with
 * another Content-Encoding (zstd, say) is counted in bytes and requests but not in samples.
 */

import { createServer } from 'node:http';

/**
 * Decompress a snappy block-format buffer (not the framed/stream format).
 * @param {Uint8Array} src
 * @returns {Uint8Array}
 */
export function snappyDecompress(src) {
  let pos = 0;
  // Preamble: uncompressed length as a little-endian base-128 varint.
  let len = 0;
  let shift = 0;
  for (;;) {
    if (pos >= src.length) throw new Error('snappy: truncated length');
    const b = src[pos++];
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 35) throw new Error('snappy: length varint too long');
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (pos + extra > src.length) throw new Error('snappy: truncated literal length');
        n = 0;
        for (let i = 0; i < extra; i++) n += src[pos + i] * 2 ** (8 * i);
        pos += extra;
      }
      n += 1;
      if (pos + n > src.length || o + n > len) throw new Error('snappy: literal out of range');
      if (n < 32) {
        // Short literals are the common case: a loop beats creating a subarray for each.
        for (let i = 0; i < n; i++) out[o++] = src[pos++];
      } else {
        out.set(src.subarray(pos, pos + n), o);
        pos += n;
        o += n;
      }
      continue;
    }
    let n;
    let off;
    if (kind === 1) {
      if (pos >= src.length) throw new Error('snappy: truncated copy');
      n = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | src[pos++];
    } else if (kind === 2) {
      if (pos + 2 > src.length) throw new Error('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      off = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw new Error('snappy: truncated copy');
      n = (tag >>> 2) + 1;
      off = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 2 ** 24;
      pos += 4;
    }
    if (off === 0 || off > o || o + n > len) throw new Error('snappy: copy out of range');
    if (n >= 32 && off >= n) {
      out.copyWithin(o, o - off, o - off + n);
      o += n;
    } else {
      // Short copies, and overlapping ones (runs), byte by byte as the format intends.
      for (let i = 0; i < n; i++, o++) out[o] = out[o - off];
    }
  }
  if (o !== len) throw new Error(`snappy: decoded ${o} bytes, preamble said ${len}`);
  return out;
}

/**
 * Count TimeSeries and Samples in a serialized prometheus.WriteRequest.
 *   WriteRequest: 1 = repeated TimeSeries, 3 = repeated MetricMetadata
 *   TimeSeries:   1 = repeated Label, 2 = repeated Sample, 3 = exemplars, 4 = histograms
 *   Sample:       1 = double value, 2 = int64 timestamp (ms)
 * With `perTimestamp`, also adds one per sample to the entry of its timestamp: every sample of
 * one scrape carries the scrape's timestamp, so the largest entry is the samples of one scrape.
 * @param {Uint8Array} buf
 * @param {Map<number, number>} [perTimestamp]
 * @returns {{ series: number, samples: number, metadata: number }}
 */
export function countWriteRequest(buf, perTimestamp) {
  let series = 0;
  let samples = 0;
  let metadata = 0;
  let pos = 0;
  const end = buf.length;
  // Varint reader for keys and lengths (lengths stay far below 2^53).
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= end) throw new Error('protobuf: truncated varint');
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
    }
  };
  const skip = (wire, limit) => {
    if (wire === 0) {
      while (pos < limit && buf[pos] >= 0x80) pos++;
      pos++;
    } else if (wire === 1) pos += 8;
    else if (wire === 2) {
      // Not `pos += varint()`: that would add to the value pos had before the length was read.
      const n = varint();
      pos += n;
    } else if (wire === 5) pos += 4;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
    if (pos > limit) throw new Error('protobuf: field past end');
  };
  while (pos < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1 && wire === 2) {
      const n = varint();
      const tsEnd = pos + n;
      if (tsEnd > end) throw new Error('protobuf: TimeSeries past end');
      series++;
      while (pos < tsEnd) {
        const k = varint();
        const w = k & 7;
        if (k >>> 3 === 2 && w === 2) {
          samples++;
          if (perTimestamp) {
            const sEnd = pos + varint();
            let ts = 0;
            while (pos < sEnd) {
              const sk = varint();
              // int64 as a varint; timestamps in ms are positive and well below 2^53.
              if (sk === 16) ts = varint();
              else skip(sk & 7, sEnd);
            }
            perTimestamp.set(ts, (perTimestamp.get(ts) ?? 0) + 1);
            continue;
          }
        }
        skip(w, tsEnd);
      }
    } else {
      if (field === 3 && wire === 2) metadata++;
      skip(wire, end);
    }
  }
  return { series, samples, metadata };
}

/**
 * @typedef {{
 *   requests: number, bytes: number, decodedBytes: number,
 *   series: number, samples: number, metadata: number,
 *   emptyRequests: number, undecoded: number, decodeErrors: number, decodeMs: number,
 * }} ReceiverCounts
 */

/**
 * Start the receiver on a free 127.0.0.1 port.
 * @param {{ decode?: boolean, port?: number }} [opts]
 * @returns {Promise<{ url: string, port: number, counts: () => ReceiverCounts,
 *   setDecode: (on: boolean) => void, setDown: (on: boolean) => void, refused: () => number,
 *   resetTimestamps: () => void,
 *   maxSamplesPerTimestamp: () => number, lastRequestAt: () => number,
 *   firstDecodeError: () => string, firstRequest: (timeoutMs: number) => Promise<void>,
 *   close: () => Promise<void> }>}
 */
export async function startDiscardReceiver(opts = {}) {
  let decode = opts.decode ?? true;
  /** @type {ReceiverCounts} */
  const c = {
    requests: 0,
    bytes: 0,
    decodedBytes: 0,
    series: 0,
    samples: 0,
    metadata: 0,
    emptyRequests: 0,
    undecoded: 0,
    decodeErrors: 0,
    decodeMs: 0,
  };
  let lastAt = 0;
  let firstError = '';
  /** While set, every POST is answered 503 (an outage of the backend) and not counted. */
  let down = false;
  let refused = 0;
  /** Samples per timestamp while decoding (the newest few hundred timestamps). */
  const perTimestamp = new Map();
  /** @type {Array<() => void>} */
  let waiters = [];

  const server = createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    if (down) {
      refused++;
      req.resume();
      req.on('end', () => res.writeHead(503).end('down'));
      return;
    }
    const chunks = [];
    let size = 0;
    // Whether to decode is decided when a request starts, so a toggle never sees half a body.
    const decodeThis = decode;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (decodeThis) chunks.push(chunk);
    });
    req.on('end', () => {
      c.requests++;
      c.bytes += size;
      lastAt = Date.now();
      if (decodeThis) {
        const enc = String(req.headers['content-encoding'] ?? 'snappy').toLowerCase();
        if (enc === 'snappy') {
          const t0 = performance.now();
          try {
            const raw = snappyDecompress(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
            const r = countWriteRequest(raw, perTimestamp);
            if (perTimestamp.size > 512) {
              const old = [...perTimestamp.keys()].sort((x, y) => x - y).slice(0, 256);
              for (const k of old) perTimestamp.delete(k);
            }
            c.decodedBytes += raw.length;
            c.series += r.series;
            c.samples += r.samples;
            c.metadata += r.metadata;
            if (r.samples === 0) c.emptyRequests++;
          } catch (err) {
            c.decodeErrors++;
            if (!firstError) firstError = String(err);
          }
          c.decodeMs += performance.now() - t0;
        } else {
          c.undecoded++;
        }
      }
      res.writeHead(204).end();
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 65_000;
  // Large snappy bodies from batching senders: no request timeout of our own.
  server.requestTimeout = 0;

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    port,
    counts: () => ({ ...c }),
    setDecode: (on) => {
      decode = on;
    },
    /** Answer 503 to everything while `on` (a backend outage); `refused()` counts them. */
    setDown: (on) => {
      down = on;
    },
    refused: () => refused,
    /** Forget the per-timestamp tallies (before a new scraper starts). */
    resetTimestamps: () => perTimestamp.clear(),
    /** The most samples seen with one timestamp: the samples of one complete scrape. */
    maxSamplesPerTimestamp: () => Math.max(0, ...perTimestamp.values()),
    lastRequestAt: () => lastAt,
    firstDecodeError: () => firstError,
    firstRequest: (timeoutMs) =>
      new Promise((ok, fail) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((f) => f !== done);
          fail(new Error(`no remote-write request within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          ok(undefined);
        };
        waiters.push(done);
      }),
    close: () =>
      new Promise((ok) => {
        waiters = [];
        server.close(() => ok(undefined));
        server.closeAllConnections();
      }),
  };
}

/** Difference of two count snapshots (b - a), field by field. */
export function diffCounts(a, b) {
  /** @type {Record<string, number>} */
  const d = {};
  for (const k of Object.keys(b)) d[k] = b[k] - (a[k] ?? 0);
  return /** @type {ReceiverCounts} */ (d);
}
