/**
 * Float parsing and formatting with Go's semantics (§5.1, §13), shared by the parsers, the
 * remote-write and protobuf code and the CLI.
 *
 * JS's `Number()` is not Go's `strconv.ParseFloat`: it trims whitespace, accepts `''` (→ 0),
 * `Infinity`, `0x10`, `0b1`, `0o7`, and rejects `inf`/`nan`. JS's `toString()` switches to
 * exponent form at 1e21 / 1e-7 and writes `1e+6`, where Go writes `1e+06` from 1e6 on.
 * Everything here is written against the Go rules instead.
 */

/** 10^0 … 10^22: every one is an exact double, so `m * 10^k` / `m / 10^k` round correctly. */
export const POW10: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];

/**
 * Parses `s[start, end)` as Prometheus's text parsers do (§5.1): Go `strconv.ParseFloat(s, 64)`
 * after rejecting `p`, `P` and `_`. Accepted: `[+-]digits[.digits][(e|E)[+-]digits]` (at least
 * one mantissa digit, `1.` and `.5` included), `[+-]inf`, `[+-]infinity` and `nan`, all
 * case-insensitive. Rejected: hex/binary/octal forms, underscores, whitespace, the empty string,
 * `+nan`, and finite spellings that overflow (Go's ErrRange; underflow to 0 is fine).
 *
 * Returns `undefined` when the text is not a float; `NaN` is a valid result.
 */
export function parseGoFloat(s: string, start = 0, end: number = s.length): number | undefined {
  if (start >= end) return undefined;
  let i = start;
  let c = s.charCodeAt(i);
  let neg = false;
  if (c === 43 || c === 45) {
    neg = c === 45;
    i++;
    if (i >= end) return undefined;
  }
  let mant = 0;
  let digits = 0;
  let frac = 0;
  let dot = false;
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits === 0) return parseSpecial(s, start, end);
  let exp = 0;
  if (i < end) {
    if (c !== 101 && c !== 69) return undefined;
    i++;
    if (i >= end) return undefined;
    c = s.charCodeAt(i);
    let expNeg = false;
    if (c === 43 || c === 45) {
      expNeg = c === 45;
      i++;
      if (i >= end) return undefined;
    }
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      if (exp < 1e6) exp = exp * 10 + (c - 48);
    }
    if (expNeg) exp = -exp;
  }
  const e10 = exp - frac;
  let v: number;
  if (digits <= 15 && e10 >= -22 && e10 <= 22) {
    // Clinger's fast path: both operands exact, one correctly rounded operation.
    v = e10 >= 0 ? mant * POW10[e10]! : mant / POW10[-e10]!;
    return neg ? -v : v;
  }
  v = Number(s.slice(start, end));
  if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) return undefined;
  return v;
}

function parseSpecial(s: string, start: number, end: number): number | undefined {
  let i = start;
  const c = s.charCodeAt(i);
  let sign = 1;
  if (c === 43 || c === 45) {
    if (c === 45) sign = -1;
    i++;
  }
  const n = end - i;
  if ((n === 3 || n === 8) && equalsIgnoreCase(s, i, n === 3 ? 'inf' : 'infinity')) {
    return sign * Number.POSITIVE_INFINITY;
  }
  if (i === start && n === 3 && equalsIgnoreCase(s, i, 'nan')) return Number.NaN;
  return undefined;
}

/** `s[at, at + lower.length)` equals `lower` ignoring ASCII case (`lower` is lower-case ASCII). */
function equalsIgnoreCase(s: string, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((s.charCodeAt(at + k) | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)` with Go's spelling of the specials (`+Inf`, `-Inf`,
 * `NaN`): the shortest digits that round-trip, in exponent form iff the decimal exponent is
 * < -4 or ≥ 6 (Go uses precision 6 for that decision in shortest mode, §13), the exponent
 * written with a sign and at least two digits. `1e6` → `1e+06`, `123456` → `123456`,
 * `0.0001` → `0.0001`, `0.00001` → `1e-05`, `-0` → `-0`.
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-trip digits, which are the
  // digits Go's shortest mode produces: "-d.ddde+N".
  const e = f.toExponential();
  const neg = e.charCodeAt(0) === 45;
  const ePos = e.indexOf('e');
  const mantissa = e.slice(neg ? 1 : 0, ePos);
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
  const exp = Number(e.slice(ePos + 1));
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const abs = exp < 0 ? -exp : exp;
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${head}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * The canonical OpenMetrics spelling Prometheus uses for `le`/`quantile` values (§5.1) and for
 * the classic buckets/quantiles it builds from protobuf (§5.3): `1.0`, `0.0`, `-1.0`, `NaN`,
 * `+Inf`, `-Inf`, otherwise {@link formatGoFloat} with `.0` appended when the result has neither
 * `.` nor `e`. `1e3` → `1000.0`, `100000` → `100000.0`, `1000000` → `1e+06`, `-0` → `0.0`.
 */
export function formatOpenMetricsFloat(f: number): string {
  if (f === 1) return '1.0';
  if (f === 0) return '0.0';
  if (f === -1) return '-1.0';
  const s = formatGoFloat(f);
  if (Number.isNaN(f) || f === Number.POSITIVE_INFINITY || f === Number.NEGATIVE_INFINITY) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 101) return s;
  }
  return `${s}.0`;
}
