/**
 * Fixed scrape phase (§9). Each target is scraped at the wall-clock instants T with
 * `T mod interval = offset`, where `offset = (targetHash XOR offsetSeed) mod interval` and the
 * seed depends on the host name and external labels, so HA pairs scrape at different phases.
 *
 * Precision: Prometheus computes the offset in nanoseconds. We compute it in nanoseconds too
 * and keep the whole milliseconds (floor). Intervals are whole milliseconds (§1.1), so
 * `k·interval + offsetMs` equals `floor((k·interval_ns + offset_ns) / 1e6)` — exactly the
 * millisecond timestamp Prometheus stamps on the samples of its ideal tick. Integer
 * milliseconds also keep {@link nextScrapeTime} exact.
 */

import { compareUtf8 } from '../model/byte-order.js';
import { fnv1a64 } from '../model/hash.js';
import { isLegacyLabelName } from '../model/labels.js';

const NS_PER_MS = 1_000_000n;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/**
 * Go `strconv.Quote`: double quotes; `"` and `\` backslashed; printable characters (Unicode
 * letters, marks, numbers, punctuation, symbols and the ASCII space) kept; `\a \b \f \n \r \t
 * \v` short escapes; other characters below U+0020 and U+007F as `\xhh`; other non-printable
 * characters as `\uhhhh` or `\Uhhhhhhhh`. A lone surrogate (not representable in Go's UTF-8
 * strings) renders as `\ufffd`.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === ' ' || PRINTABLE.test(ch)) out += ch;
    else if (SHORT_ESCAPES[ch] !== undefined) out += SHORT_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/**
 * External labels as Prometheus's `Labels.String()` prints them (§9): `{a="x", b="y"}` in
 * byte order of names, `", "` between pairs, values Go-quoted, names quoted only when they
 * are not legacy-valid; `{}` when empty. Labels with empty values are printed too (config
 * keeps an external label whose `$VAR` expanded to nothing, §1.2).
 */
export function formatExternalLabels(externalLabels: Readonly<Record<string, string>>): string {
  const names = Object.keys(externalLabels).sort(compareUtf8);
  const pairs = names.map((name) => {
    const printedName = isLegacyLabelName(name) ? name : goQuote(name);
    return `${printedName}=${goQuote(externalLabels[name] ?? '')}`;
  });
  return `{${pairs.join(', ')}}`;
}

/**
 * The per-server offset seed (§9): FNV-1a 64 of the host name (Prometheus uses the FQDN)
 * immediately followed by {@link formatExternalLabels}.
 */
export function computeOffsetSeed(
  hostname: string,
  externalLabels: Readonly<Record<string, string>>,
): bigint {
  return fnv1a64(hostname + formatExternalLabels(externalLabels));
}

/**
 * The phase of a target within its interval, in whole ms in `[0, intervalMs)`:
 * `floor(((targetHash XOR offsetSeed) mod interval_ns) / 1e6)`. `intervalMs` must be a
 * positive integer.
 */
export function scrapeOffsetMs(targetHash: bigint, offsetSeed: bigint, intervalMs: number): number {
  const intervalNs = BigInt(intervalMs) * NS_PER_MS;
  const offsetNs = BigInt.asUintN(64, targetHash ^ offsetSeed) % intervalNs;
  return Number(offsetNs / NS_PER_MS);
}

/** A scrape phase no scheduler can run (both drivers check phases with {@link phaseProblem}). */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  readonly code = 'SCHEDULE_INVALID_PHASE';
}

/**
 * Why `phase` cannot be scheduled, or undefined when it can: the interval must be a positive
 * whole number of ms and the offset a whole number of ms in `[0, interval)`, which is what
 * {@link nextScrapeTime} needs to be exact. Callers throw {@link ScheduleError} with it.
 */
export function phaseProblem(phase: {
  readonly intervalMs: number;
  readonly offsetMs: number;
}): string | undefined {
  const { intervalMs, offsetMs } = phase;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    return `interval must be a positive whole number of ms, got ${intervalMs}`;
  }
  if (!Number.isSafeInteger(offsetMs) || offsetMs < 0 || offsetMs >= intervalMs) {
    return `offset must be a whole number of ms in [0, ${intervalMs}), got ${offsetMs}`;
  }
  return undefined;
}

/**
 * The first wall-clock instant `T ≥ nowMs` (Unix ms) with `T mod intervalMs = offsetMs` (§9).
 * Unlike Prometheus's first sleep, which waits a whole interval when `now` falls exactly on a
 * slot, an exact hit returns `now`: a scheduler asking for the next slot from `now` may use it.
 * A fractional `nowMs` is rounded up first, so `T` is always an integer ≥ `nowMs`.
 */
export function nextScrapeTime(
  target: { readonly intervalMs: number; readonly offsetMs: number },
  nowMs: number,
): number {
  const { intervalMs, offsetMs } = target;
  const now = Math.ceil(nowMs);
  const sinceSlot = (((now - offsetMs) % intervalMs) + intervalMs) % intervalMs;
  return sinceSlot === 0 ? now : now - sinceSlot + intervalMs;
}
