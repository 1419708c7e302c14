/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG): the checksum of each record in the
 * data directory's segment files (`segment-log.ts`).
 *
 * `node:zlib` has `crc32` from Node 20.15 / 22.2 on; older Node 20 releases lack it, so a
 * table-driven version stands in (about 400 MB/s here, against a few GB/s natively: records are
 * checked once when written and once when read back, a small cost beside the send).
 */
import * as zlib from 'node:zlib';

/** CRC-32 of `data`, continuing from `crc` (the value of the bytes before `data`; 0 to start). */
export type Crc32 = (data: Uint8Array, crc?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The portable implementation; same results as zlib's. */
export const crc32Portable: Crc32 = (data, crc = 0) => {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
};

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** zlib's `crc32` where Node has it, else {@link crc32Portable}. */
export const crc32: Crc32 =
  typeof native === 'function' ? (data, crc = 0) => native(data, crc) : crc32Portable;
