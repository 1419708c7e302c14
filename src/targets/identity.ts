/**
 * Target identity (§2.6) and the label-set hash it is built on (§9), reproduced byte for byte
 * so a target's identity and phase equal those Prometheus computes for the same target.
 *
 * What is in the identity, and why: the full internal label set after relabeling (so
 * `__address__`, `__scheme__`, `__param_*`, `__tmp_*` and the other `__` labels count, `__meta_*`
 * do not — they are gone by then) plus the scrape URL. Two targets that agree on both are the
 * same target; anything that changes what or how we scrape changes the identity.
 */

import { compareUtf8 } from '../model/byte-order.js';
import { fnv1a64, utf8Bytes, xxhash64 } from '../model/hash.js';
import type { Labels } from '../model/labels.js';

/** Bytes one string takes in the encoding: size prefix (1 byte below 255, else 4) + UTF-8. */
function encodedLength(byteLength: number): number {
  return (byteLength < 0xff ? 1 : 4) + byteLength;
}

/** UTF-8 length of `s`, or -1 when it is not pure ASCII (then it is encoded the slow way). */
function asciiLength(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return s.length;
}

/** Writes the size prefix: 1 byte below 255, else 0xFF + 3 bytes little-endian (§9). */
function writeSize(buf: Uint8Array, at: number, size: number): number {
  if (size < 0xff) {
    buf[at] = size;
    return at + 1;
  }
  // Sizes above 2^24 - 1 keep their low 24 bits, as the Go byte conversions do.
  buf[at] = 0xff;
  buf[at + 1] = size & 0xff;
  buf[at + 2] = (size >>> 8) & 0xff;
  buf[at + 3] = (size >>> 16) & 0xff;
  return at + 4;
}

/**
 * Prometheus's `Labels.Hash()` in its default build (§9): xxHash64 over, for each label in
 * UTF-8 byte order of names, `size(name) name size(value) value`.
 */
export function labelsHash(labels: Labels): bigint {
  const sorted = [...labels].sort((a, b) => compareUtf8(a.name, b.name));
  // Each string as its ASCII length (written straight from char codes) or its UTF-8 bytes.
  const parts: (string | Uint8Array)[] = [];
  let total = 0;
  for (const { name, value } of sorted) {
    for (const s of [name, value]) {
      const n = asciiLength(s);
      const part = n < 0 ? utf8Bytes(s) : s;
      parts.push(part);
      total += encodedLength(n < 0 ? (part as Uint8Array).length : n);
    }
  }
  const buf = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    at = writeSize(buf, at, part.length);
    if (typeof part === 'string') {
      for (let i = 0; i < part.length; i++) buf[at + i] = part.charCodeAt(i);
    } else {
      buf.set(part, at);
    }
    at += part.length;
  }
  return xxhash64(buf);
}

/**
 * The target hash (§2.6): FNV-1a 64 over the decimal labels hash zero-padded to at least 16
 * digits (Go `%016d`), followed by the scrape URL.
 */
export function targetHash(labels: Labels, url: string): bigint {
  return fnv1a64(labelsHash(labels).toString().padStart(16, '0') + url);
}

/** A target hash as the 16 lowercase hex digits used for `Target.id`. */
export function formatTargetId(hash: bigint): string {
  return hash.toString(16).padStart(16, '0');
}
