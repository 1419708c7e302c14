/**
 * Fuzz: target items as read from the targets table (`targetFromItem`), treated as untrusted.
 * Whatever an item holds — attributes missing or of another type, numbers out of range, label
 * JSON that is no list of pairs, mutated or deeply nested — the only error is TargetStoreError
 * `TARGET_STORE_CORRUPT`, and a target that decodes is one the dispatcher can encode into a
 * task, of a size bounded by the item. (What `list`'s callers do with the error: the file
 * comment of dynamodb-target-store.ts.)
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TargetStoreError,
  targetFromItem,
  targetToItem,
} from '../../src/aws/dynamodb-target-store.js';
import { encodeTask } from '../../src/aws/task-codec.js';
import type { Target } from '../../src/targets/types.js';
import { arbitraryItem, attributeValue, mutatedItem } from '../support/attribute-values.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { targetArb } from './task-arbitraries.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

const NAMES = [
  'pk',
  'f',
  'job',
  'url',
  'labels',
  'publicLabels',
  'discoveredLabels',
  'intervalMs',
  'timeoutMs',
  'offsetMs',
] as const;
const LABEL_SETS = ['labels', 'publicLabels', 'discoveredLabels'] as const;

/**
 * Items as `apply` writes them, of the targets the codec tests use; drawn once (generating
 * targets costs far more than decoding them), a pool that grows with the fuzz scale.
 */
const validItem = fc.constantFrom(
  ...fc.sample(
    fc
      .array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ minLength: 1 })), {
        maxLength: 3,
      })
      .chain((shared) => targetArb(shared))
      .map((t) => targetToItem(t)),
    fuzzParams(100),
  ),
);

async function targetOrCorrupt(item: Record<string, AttributeValue>) {
  let target: Target | undefined;
  const err = await errorOf(TargetStoreError, () => {
    target = targetFromItem(item);
  });
  if (err !== undefined) {
    expect(err.code).toBe('TARGET_STORE_CORRUPT');
    return err;
  }
  const t = target!;
  // The dispatcher can send it.
  expect(() => encodeTask({ kind: 'scrape', slotMs: 0, targets: [t] })).not.toThrow();
  // Each label came from a pair of the item's JSON (at least `["",""]`, 7 characters).
  for (const name of LABEL_SETS) {
    expect(t[name].length * 7).toBeLessThanOrEqual(item[name]!.S!.length);
  }
  return t;
}

describe('targetFromItem on untrusted items', SCALED, () => {
  it('arbitrary items: TARGET_STORE_CORRUPT only', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryItem(NAMES), async (item) => {
        await targetOrCorrupt(item);
      }),
      fuzzParams(1_500),
    );
  });

  it('valid items decode to what was written', async () => {
    await fc.assert(
      fc.asyncProperty(validItem, async (item) => {
        const t = await targetOrCorrupt(item);
        expect(t).not.toBeInstanceOf(Error);
        expect(targetToItem(t as Target)).toEqual(item);
      }),
      fuzzParams(100),
    );
  });

  it('valid items with attributes replaced, dropped or added: corrupt or sendable', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedItem(validItem, NAMES), async (item) => {
        await targetOrCorrupt(item);
      }),
      fuzzParams(1_500),
    );
  });

  it('label JSON mutated, wrong-shaped or deeply nested: corrupt or sendable', async () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat(3),
      fc.constantFrom('[', ']', '"', ',', '1', 'null', '{}', '["a","b"]', '\\u0000', 'é'),
    );
    const json = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify([v])),
      fc.constantFrom(1, 100, 20_000).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    );
    await fc.assert(
      fc.asyncProperty(
        validItem,
        fc.constantFrom(...LABEL_SETS),
        fc.oneof(
          json.map((j) => () => j),
          fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => (s: string) => {
            for (const [at, del, piece] of edits) {
              const i = at % (s.length + 1);
              s = s.slice(0, i) + piece + s.slice(i + del);
            }
            return s;
          }),
        ),
        async (item, name, change) => {
          await targetOrCorrupt({ ...item, [name]: { S: change(item[name]!.S!) } });
        },
      ),
      fuzzParams(1_500),
    );
  });

  it('a label set of another attribute type is corrupt', async () => {
    await fc.assert(
      fc.asyncProperty(
        validItem,
        fc.constantFrom(...LABEL_SETS),
        attributeValue.filter((v) => v.S === undefined),
        async (item, name, value) => {
          const err = await targetOrCorrupt({ ...item, [name]: value });
          expect(err).toBeInstanceOf(TargetStoreError);
        },
      ),
      fuzzParams(300),
    );
  });
});
