/**
 * A value decoded from an untrusted body, as an error message may quote it: bounded (strings
 * cut at 64 characters) and never recursive. `JSON.stringify` or `String` of a deeply nested
 * array — which `JSON.parse` builds from a small body without limit — overflows the stack, and
 * the `RangeError` would replace the decoder's own clear error.
 */
export function shownValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string' && value.length > SHOWN_CHARS) {
    return `${JSON.stringify(value.slice(0, SHOWN_CHARS))}…`;
  }
  return JSON.stringify(value) ?? String(value);
}

const SHOWN_CHARS = 64;
