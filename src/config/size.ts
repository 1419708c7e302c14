/**
 * `<size>` values (`body_size_limit`, §1.1) in bytes, following alecthomas/units `Base2Bytes`:
 * a sequence of `<number><unit>` groups (`1GiB512MiB`, fractions allowed: `1.5KB`), where every
 * multiple is a power of 1024 whether spelled `KB` or `KiB`: B, KB/KiB, MB/MiB, GB/GiB, TB/TiB,
 * PB/PiB, EB/EiB. Units are case-sensitive (`kB`, `mb` are rejected). One spelling family per
 * value: `1KiB512B` and `1KB512B` parse, `1KiB1KB` does not (as in units, which tries the
 * `iB` family and then the `B` family). `0` alone means 0 (unlimited).
 *
 * A number without a unit other than `0` is an error (`units: unknown unit  in 1048576`), as in
 * Prometheus: `1048576B` is the way to write bytes.
 */

const KIB = 1024;

const IEC_UNITS: ReadonlyMap<string, number> = new Map([
  ['B', 1],
  ['KiB', KIB],
  ['MiB', KIB ** 2],
  ['GiB', KIB ** 3],
  ['TiB', KIB ** 4],
  ['PiB', KIB ** 5],
  ['EiB', KIB ** 6],
]);

const LEGACY_UNITS: ReadonlyMap<string, number> = new Map([
  ['B', 1],
  ['KB', KIB],
  ['MB', KIB ** 2],
  ['GB', KIB ** 3],
  ['TB', KIB ** 4],
  ['PB', KIB ** 5],
  ['EB', KIB ** 6],
]);

/** Largest value of Go's int64, the range of Base2Bytes. */
const MAX_BYTES = 2 ** 63 - 1;

export class SizeError extends Error {
  readonly code = 'INVALID_SIZE';
}

/** Parses a size to bytes (an integer). Throws {@link SizeError} with units' wording. */
export function parseSize(text: string): number {
  try {
    return parseWithUnits(text, IEC_UNITS);
  } catch {
    // Like units, fall back to the `KB` family and report that attempt's error.
    return parseWithUnits(text, LEGACY_UNITS);
  }
}

function parseWithUnits(orig: string, units: ReadonlyMap<string, number>): number {
  let s = orig;
  if (s.startsWith('-')) throw new SizeError(`units: negative size ${orig}`);
  if (s.startsWith('+')) s = s.slice(1);
  if (s === '0') return 0;
  if (s === '') throw new SizeError(`units: invalid ${orig}`);
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    const numberMatch = /^([0-9]*)(?:\.([0-9]*))?/.exec(s.slice(pos));
    const whole = numberMatch?.[1] ?? '';
    const frac = numberMatch?.[2];
    if (whole === '' && (frac === undefined || frac === '')) {
      throw new SizeError(`units: invalid ${orig}`);
    }
    pos += numberMatch?.[0].length ?? 0;
    const value = Number(`${whole === '' ? '0' : whole}.${frac ?? ''}`.replace(/\.$/, ''));
    let end = pos;
    while (end < s.length && !/[0-9.]/.test(s[end]!)) end++;
    const unit = s.slice(pos, end);
    pos = end;
    const scale = units.get(unit);
    if (scale === undefined) throw new SizeError(`units: unknown unit ${unit} in ${orig}`);
    total += value * scale;
  }
  if (total > MAX_BYTES) throw new SizeError('units: overflow parsing unit');
  return Math.trunc(total);
}
