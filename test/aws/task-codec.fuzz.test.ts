/**
 * Fuzz: SQS scrape-task bodies (`decodeTask`, untrusted per docs/design.md decision 9). Whatever
 * the body — random text, random JSON, a valid encoding mutated byte- or value-wise, numbers
 * that claim huge counts, deep nesting — the only exception is TaskCodecError, and a body that
 * decodes is a task `encodeTask` accepts again, of a size bounded by the body and the limits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTask,
  encodeTask,
  MAX_DECODE_BYTES,
  MAX_DECODE_LABELS,
  TaskCodecError,
} from '../../src/aws/task-codec.js';
import type { ScrapeTask } from '../../src/ports.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { retireArb, scrapeArb } from './task-arbitraries.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

/** Decodes; on success checks the task is one the encoder accepts and its size is bounded. */
async function decodesOrRefuses(body: string): Promise<TaskCodecError | undefined> {
  let task: ScrapeTask | undefined;
  const err = await errorOf(TaskCodecError, () => {
    task = decodeTask(body);
  });
  if (err !== undefined) {
    expect(err.code).toMatch(/^TASK_(MALFORMED|UNSUPPORTED_VERSION)$/);
    // A clear, bounded message: never the whole body echoed back.
    expect(err.message.length).toBeLessThan(400 + Math.min(body.length, 400));
    return err;
  }
  const t = task!;
  expect(() => encodeTask(t)).not.toThrow();
  const targets = t.kind === 'scrape' ? t.targets : [t.target];
  let labels = 0;
  for (const x of targets) {
    labels += x.labels.length + x.discoveredLabels.length + x.publicLabels.length;
  }
  // Common labels are shared by every target (bounded by the limit), the rest come from the body.
  expect(labels).toBeLessThanOrEqual(2 * MAX_DECODE_LABELS + body.length);
  expect(targets.length).toBeLessThanOrEqual(body.length);
  return undefined;
}

/**
 * Valid encodings to mutate, drawn once (generating tasks costs more than decoding them); the
 * pool grows with the fuzz scale like the cases do.
 */
const validBody = fc.constantFrom(
  ...fc.sample(
    fc.oneof(scrapeArb, retireArb).map((t) => encodeTask(t)),
    fuzzParams(100),
  ),
);

/** Values that break types or claim huge sizes; nesting depth is from cheap to stack-breaking. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    -0,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    4294967296,
    1e-300,
    '',
    '1',
    'x'.repeat(5000),
    null,
    true,
    [],
    {},
    { length: 1e9 },
    [1e9],
  ),
  fc.jsonValue({ maxDepth: 3 }),
);
const depth = fc.constantFrom(1, 10, 1_000, 20_000);
const nested = (kind: 'array' | 'object', n: number): string =>
  kind === 'array' ? '['.repeat(n) + ']'.repeat(n) : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

/** Every value position in a parsed body: [container, key]. */
function positions(root: unknown): [Record<string | number, unknown>, string | number][] {
  const out: [Record<string | number, unknown>, string | number][] = [];
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string | number, unknown>;
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      out.push([o, k]);
      walk(o[k]);
    }
  };
  walk(root);
  return out;
}

describe('decodeTask on untrusted bodies', SCALED, () => {
  it('random text and random JSON: TaskCodecError only', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.json({ maxDepth: 4 }),
          fc.jsonValue().map((v) => JSON.stringify({ v: 1, k: 's', s: 1, t: [v] })),
        ),
        async (body) => {
          await decodesOrRefuses(body);
        },
      ),
      fuzzParams(1_500),
    );
  });

  it('valid encodings mutated character-wise: TaskCodecError only', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat(3),
      fc.constantFrom('"', '[', ']', '{', '}', ',', ':', '0', '-', '9e9', '\\', 'é', '\ud800'),
    );
    await fc.assert(
      fc.asyncProperty(validBody, fc.array(edit, { minLength: 1, maxLength: 4 }), async (b, e) => {
        let s = b;
        for (const [at, del, piece] of e) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + piece + s.slice(i + del);
        }
        await decodesOrRefuses(s);
      }),
      fuzzParams(2_000),
    );
  });

  it('valid encodings with one value replaced (wrong type, huge count, deep nesting)', async () => {
    await fc.assert(
      fc.asyncProperty(
        validBody,
        fc.nat(),
        fc.oneof(
          hostileValue.map((v) => ({ raw: JSON.stringify(v) })),
          fc
            .tuple(fc.constantFrom('array' as const, 'object' as const), depth)
            .map(([k, n]) => ({ raw: nested(k, n) })),
        ),
        async (body, pick, { raw }) => {
          const parsed = JSON.parse(body);
          const all = positions(parsed);
          const [container, key] = all[pick % all.length]!;
          container[key] = '\u0000HOLE';
          const mutated = JSON.stringify(parsed).replace('"\\u0000HOLE"', () => raw);
          await decodesOrRefuses(mutated);
        },
      ),
      fuzzParams(500),
    );
  });

  it('bodies up to the size limit decode in bounded time; one byte over is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(3), fc.integer({ min: 1, max: 3 }), async (pad, width) => {
        const unit = ['a', 'é', '€'][width - 1]!;
        // A JSON string of exactly limit + 1 + pad bytes (2 quotes + n units of `width` bytes).
        const n = Math.ceil((MAX_DECODE_BYTES - 1 + pad) / width);
        const body = `"${unit.repeat(n)}"`;
        const bytes = Buffer.byteLength(body);
        const err = await decodesOrRefuses(body);
        expect(err?.message).toBe(
          bytes > MAX_DECODE_BYTES
            ? `body of ${bytes} bytes exceeds the limit of ${MAX_DECODE_BYTES}`
            : 'body is not a JSON object',
        );
      }),
      fuzzParams(8),
    );
  });

  const oneTarget = JSON.parse(
    encodeTask({
      kind: 'scrape',
      slotMs: 0,
      targets: [
        {
          job: 'j',
          labels: [],
          publicLabels: [],
          discoveredLabels: [],
          url: 'http://x/',
          intervalMs: 1000,
          timeoutMs: 1000,
          offsetMs: 0,
          id: '0123456789abcdef',
        },
      ],
    }),
  );
  /** `targets` copies of one target sharing `common` labels (and `discovered` in `cd`). */
  const sharing = (common: number, discovered: number, targets: number): string => {
    const o = structuredClone(oneTarget);
    const names = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => [`${p}${i.toString(36).padStart(4, '0')}`, 'v']).flat();
    o.cl = names(common, 'c');
    o.cd = names(discovered, 'd');
    o.t = Array.from({ length: targets }, () => o.t[0]);
    return JSON.stringify(o);
  };

  it('common labels claimed for many targets: just past the limit is refused, with it', async () => {
    await fc.assert(
      fc.asyncProperty(
        // From 256 common labels on, the targets fit the body size limit.
        fc.integer({ min: 256, max: 16_384 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        async (per, split, over) => {
          const common = Math.round(per * split);
          const discovered = per - common;
          const targets = Math.floor(MAX_DECODE_LABELS / per) + over;
          const err = await decodesOrRefuses(sharing(common, discovered, targets));
          expect(err?.message).toBe(
            `t: ${targets} targets × ${per} common labels exceed the limit of ${MAX_DECODE_LABELS} labels`,
          );
        },
      ),
      fuzzParams(30),
    );
  });

  it('common labels × targets exactly at the limit decode', async () => {
    // One case: 4M labels take about a second to build.
    expect(await decodesOrRefuses(sharing(3072, 1024, MAX_DECODE_LABELS / 4096))).toBeUndefined();
  });
});
