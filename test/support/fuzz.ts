/**
 * The one convention of the fuzz suites (`test/**\/*.fuzz.test.ts`, run by `npx vitest run fuzz`).
 *
 * Each property states the cases it gets in an ordinary CI run; `LAMBDASCRAPE_FUZZ_SCALE=N`
 * multiplies every count for a longer run (the figures in docs/security.md were taken with it),
 * and `LAMBDASCRAPE_FUZZ_SEED` replays a run that failed (fast-check prints the seed).
 */
import type fc from 'fast-check';

const scale = positiveNumber(process.env.LAMBDASCRAPE_FUZZ_SCALE) ?? 1;
const seed = integer(process.env.LAMBDASCRAPE_FUZZ_SEED);

/** fast-check parameters for a property worth `ciRuns` cases in CI. */
export function fuzzParams<T>(ciRuns: number): fc.Parameters<T> {
  return {
    numRuns: Math.max(1, Math.round(ciRuns * scale)),
    ...(seed === undefined ? {} : { seed }),
  };
}

/**
 * Runs `fn` and returns its error, failing the test if it returned normally or threw anything
 * that is not an instance of `expected` — the shape of "bad input is a clear error".
 */
export async function errorOf<E extends Error>(
  expected: abstract new (...args: never[]) => E,
  fn: () => unknown,
): Promise<E | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (err instanceof expected) return err;
    throw err;
  }
}

function positiveNumber(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`LAMBDASCRAPE_FUZZ_SCALE: not a positive number: ${raw}`);
  return n;
}

function integer(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`LAMBDASCRAPE_FUZZ_SEED: not an integer: ${raw}`);
  return n;
}
