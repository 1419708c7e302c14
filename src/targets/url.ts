/**
 * The scrape URL of a target (§2.5), rendered byte for byte as Go's `url.URL.String()` renders
 * it in Prometheus, because the URL string is part of the target identity (§2.6) and thus of
 * the scrape phase (§9).
 */

import { compareUtf8 } from '../model/byte-order.js';
import { getLabel, type Labels } from '../model/labels.js';

export const PARAM_LABEL_PREFIX = '__param_';

/** The parts of a URL Go escapes differently (net/url `encoding` modes we need). */
const EscapeMode = {
  host: 0,
  path: 1,
  queryComponent: 2,
} as const;
type EscapeMode = (typeof EscapeMode)[keyof typeof EscapeMode];

const HEX = '0123456789ABCDEF';
const utf8 = new TextEncoder();

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/**
 * Whether byte `c` is percent-escaped in `mode`, per RFC 3986 as Go applies it: unreserved
 * characters never; a host additionally keeps sub-delims, `:`, `[`, `]`, `<`, `>`, `"`; a path
 * keeps every reserved character except `?`; a query component escapes all reserved ones.
 * Bytes of multi-byte UTF-8 sequences are always escaped.
 */
function shouldEscape(c: number, mode: EscapeMode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === EscapeMode.host && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === EscapeMode.path) return ch === '?';
    return true;
  }
  return true;
}

function percentEscape(text: string, mode: EscapeMode): string {
  const bytes = utf8.encode(text);
  let needs = false;
  for (const c of bytes) {
    if (shouldEscape(c, mode)) {
      needs = true;
      break;
    }
  }
  if (!needs) return text;
  let out = '';
  for (const c of bytes) {
    if (c === 0x20 && mode === EscapeMode.queryComponent) out += '+';
    else if (shouldEscape(c, mode)) out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Go `url.QueryEscape`: form encoding, space → `+`, everything but `[A-Za-z0-9-_.~]` → `%XX`. */
export function queryEscape(text: string): string {
  return percentEscape(text, EscapeMode.queryComponent);
}

/**
 * Go `url.Values.Encode`: keys in byte order, each value of a key as `key=value` in its list
 * order, joined by `&`. A key with no values contributes nothing.
 */
export function encodeQuery(params: ReadonlyMap<string, readonly string[]>): string {
  const keys = [...params.keys()].sort(compareUtf8);
  const parts: string[] = [];
  for (const key of keys) {
    const escapedKey = queryEscape(key);
    for (const value of params.get(key) ?? []) parts.push(`${escapedKey}=${queryEscape(value)}`);
  }
  return parts.join('&');
}

/**
 * Query parameters of a target (§2.5): a copy of the job's `params`, then for each internal
 * label `__param_<k>`: replace the FIRST value of `k` when `k` has values, else set `k` to
 * that single value. Later values of a multi-valued param are kept.
 */
export function targetParams(
  labels: Labels,
  configParams: Readonly<Record<string, readonly string[]>>,
): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const key of Object.keys(configParams)) params.set(key, [...(configParams[key] ?? [])]);
  for (const { name, value } of labels) {
    if (!name.startsWith(PARAM_LABEL_PREFIX)) continue;
    const key = name.slice(PARAM_LABEL_PREFIX.length);
    const values = params.get(key);
    if (values !== undefined && values.length > 0) values[0] = value;
    else params.set(key, [value]);
  }
  return params;
}

/**
 * The scrape URL (§2.5) as Go's `URL.String()` renders `{Scheme: __scheme__, Host:
 * __address__, Path: __metrics_path__, RawQuery: encoded params}`:
 * `scheme:` (when non-empty) + `//` + escaped host + escaped path (a `/` is inserted when the
 * path does not start with one) + `?query` (when non-empty). The path `*` is kept as is.
 * The host is `__address__` verbatim apart from escaping; no port is added (§2.4).
 */
export function scrapeUrl(
  labels: Labels,
  configParams: Readonly<Record<string, readonly string[]>>,
): string {
  const scheme = getLabel(labels, '__scheme__');
  const host = getLabel(labels, '__address__');
  const path = getLabel(labels, '__metrics_path__');
  const query = encodeQuery(targetParams(labels, configParams));

  let out = '';
  if (scheme !== '') out += `${scheme}:`;
  if (scheme !== '' || host !== '') out += `//${percentEscape(host, EscapeMode.host)}`;
  const escapedPath = path === '*' ? '*' : percentEscape(path, EscapeMode.path);
  if (escapedPath !== '' && !escapedPath.startsWith('/') && host !== '') out += '/';
  if (out === '') {
    // Go guards a first path segment containing `:` from reading as a scheme. Unreachable for
    // targets (the address is never empty) but kept so the function is total.
    const slash = escapedPath.indexOf('/');
    const segment = slash < 0 ? escapedPath : escapedPath.slice(0, slash);
    if (segment.includes(':')) out += './';
  }
  out += escapedPath;
  if (query !== '') out += `?${query}`;
  return out;
}
