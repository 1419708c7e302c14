/**
 * Arbitrary DynamoDB AttributeValues for the fuzz suites of the item decoders: every member of
 * the union, with the wrong-but-plausible values a corrupt or foreign item holds (numbers as
 * text that is no number, huge and negative numbers, empty and large binaries, long lists).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';

/** Text a DynamoDB number attribute may hold — and what a corrupt one may. */
export const numberText = fc.oneof(
  fc.integer().map(String),
  fc.nat().map(String),
  fc.double().map(String),
  fc.constantFrom(
    '',
    '0',
    '-0',
    '-1',
    '1.5',
    '1e308',
    '1e400',
    '-1e400',
    'Infinity',
    'NaN',
    '0x10',
    ' 7 ',
    '9007199254740993',
    '1000000000',
    '99999999999999999999999999999999999999',
    'abc',
  ),
);

const scalar: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((S) => ({ S })),
  numberText.map((N) => ({ N })),
  fc.uint8Array({ maxLength: 64 }).map((B) => ({ B })),
  fc.boolean().map((BOOL) => ({ BOOL })),
  fc.constant({ NULL: true }),
  fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }).map((SS) => ({ SS })),
  fc.array(numberText, { maxLength: 5 }).map((NS) => ({ NS })),
  fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }).map((BS) => ({ BS })),
);

/** Any AttributeValue, lists and maps nested a little, now and then a long list. */
export const attributeValue: fc.Arbitrary<AttributeValue> = fc.letrec<{ v: AttributeValue }>(
  (tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('v'), { maxLength: 4 }).map((L) => ({ L })),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 4 }).map((M) => ({ M })),
      fc.constant({ L: Array.from({ length: 10_000 }, () => ({ N: '1' })) }),
      fc.constant({ SS: Array.from({ length: 10_000 }, (_, i) => `m${i}`) }),
    ),
  }),
).v;

/**
 * `valid` with attributes replaced by arbitrary values, removed, or added under `names` (or
 * other names): a corrupt or foreign item in the shape of a real one.
 */
export function mutatedItem(
  valid: fc.Arbitrary<Record<string, AttributeValue>>,
  names: readonly string[],
): fc.Arbitrary<Record<string, AttributeValue>> {
  const edit = fc.tuple(
    fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 4 })),
    fc.option(attributeValue, { nil: undefined }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([item, edits]) => {
    const out = { ...item };
    for (const [name, value] of edits) {
      if (value === undefined) delete out[name];
      else out[name] = value;
    }
    return out;
  });
}

/** An item of arbitrary attributes, named like the real ones or not. */
export function arbitraryItem(
  names: readonly string[],
): fc.Arbitrary<Record<string, AttributeValue>> {
  return fc.dictionary(
    fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 4 })),
    attributeValue,
    { maxKeys: names.length + 2 },
  );
}
