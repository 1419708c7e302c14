/**
 * Deep equality of config values, for deciding on reload what changed. Secrets compare by their
 * revealed value (their printed form is always `<secret>`, so a changed password would otherwise
 * look unchanged); the values themselves never leave this function.
 */
export function configEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = revealer(a);
  const rb = revealer(b);
  if (ra !== undefined || rb !== undefined) {
    return ra !== undefined && rb !== undefined && ra.call(a) === rb.call(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => configEqual(v, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) &&
      configEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function revealer(v: object): (() => unknown) | undefined {
  const reveal = (v as { reveal?: unknown }).reveal;
  return typeof reveal === 'function' ? (reveal as () => unknown) : undefined;
}
