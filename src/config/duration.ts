/**
 * Prometheus durations (§1.1): `<int><unit>` groups with units y w d h m s ms, each at most once
 * and in decreasing order; the bare `0` is allowed. Values are milliseconds.
 */

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];

/** Go's time.Duration is int64 nanoseconds: ~292 years. */
const MAX_DURATION_MS = 9_223_372_036_854;

export class DurationError extends Error {
  readonly code = 'INVALID_DURATION';
}

/** Parses a duration string to ms. Throws {@link DurationError} with Prometheus's wording. */
export function parseDuration(text: string): number {
  if (text === '') throw new DurationError('empty duration string');
  if (text === '0') return 0;
  let pos = 0;
  let total = 0;
  let lastUnit = -1;
  while (pos < text.length) {
    const digitsStart = pos;
    while (pos < text.length && text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
    if (pos === digitsStart) throw new DurationError(`not a valid duration string: "${text}"`);
    const digits = text.slice(digitsStart, pos);
    // `ms` must be tried before `m`.
    let unitIndex = -1;
    if (text.startsWith('ms', pos)) unitIndex = 6;
    else {
      const c = text[pos];
      unitIndex = UNITS.findIndex(([u]) => u === c);
    }
    if (unitIndex < 0) throw new DurationError(`not a valid duration string: "${text}"`);
    if (unitIndex <= lastUnit) throw new DurationError(`not a valid duration string: "${text}"`);
    lastUnit = unitIndex;
    pos += UNITS[unitIndex]![0].length;
    const value = Number(digits) * UNITS[unitIndex]![1];
    total += value;
    if (!Number.isSafeInteger(total) || total > MAX_DURATION_MS) {
      throw new DurationError('duration out of range');
    }
  }
  return total;
}

/**
 * Formats ms as Prometheus does (§1.1): `0s` for zero; `y` and `w` only when they divide the
 * remainder exactly, then `d h m s ms` greedily. 90s → `1m30s`, 8d → `8d`, 7d → `1w`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Seconds as Go's strconv.FormatFloat(x, 'f', -1, 64): shortest decimal, no exponent. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  // Shortest round-trip digits in fixed notation; toString gives exponents only outside 1e-7..1e21.
  return Number.isInteger(s) ? String(s) : s.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}
