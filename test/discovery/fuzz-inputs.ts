/**
 * Inputs shared by the service-discovery fuzz suites (`*.fuzz.test.ts` in this folder): edits
 * of valid seed documents, JSON-ish fragments to splice in, and JSON values shaped like target
 * groups, so random cases reach past the first type check.
 */
import fc from 'fast-check';
import type { TargetGroup } from '../../src/discovery/types.js';

/** One edit: at position (mod length + 1), delete up to n chars, insert a piece. */
export type Edit = [at: number, del: number, piece: string];

export function edits(pieces: readonly string[], maxLength = 6): fc.Arbitrary<Edit[]> {
  return fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...pieces)), {
    minLength: 1,
    maxLength,
  });
}

export function mutate(seed: string, list: readonly Edit[]): string {
  let s = seed;
  for (const [at, del, piece] of list) {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    s = s.slice(0, i) + piece + s.slice(i + del);
  }
  return s;
}

/** Fragments that matter to JSON decoders (and to YAML, a JSON superset). */
export const JSON_PIECES = [
  '"',
  '\\',
  '\\u',
  '\\ud800',
  '\\udc00',
  '\\u0000',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  ' ',
  '\n',
  'null',
  'true',
  '1',
  '-0',
  '1e309',
  '9007199254740993',
  '0.5',
  '""',
  '"targets"',
  '"labels"',
  '"Targets"',
  '"LABELS"',
  '"__proto__"',
  '"constructor"',
  '"__address__"',
  '"\u017ftargets"',
  '[]',
  '{}',
  '[null]',
  '{"a":"b"}',
  'é',
  '\ud800',
  '😀',
  '\ufeff',
  '\u0000',
];

/** Any JSON value, with object keys that collide with Object.prototype now and then. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

/** A string that is sometimes a well-known awkward one. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  fc.constantFrom(
    '',
    ' ',
    '.',
    ':',
    '::1',
    '__proto__',
    'constructor',
    '__address__',
    '\u0000',
    '\ud800',
    'a\nb',
    '[::1]:80',
    'ü',
  ),
);

/** A JSON value shaped like a list of target groups, wrong in random places. */
export const groupsLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.array(groupLike(), { maxLength: 5 }) },
  anyJson,
);

function groupLike(): fc.Arbitrary<unknown> {
  const target = fc.oneof({ weight: 6, arbitrary: oddString }, fc.constant(null), anyJson);
  const labelValue = fc.oneof({ weight: 6, arbitrary: oddString }, fc.constant(null), anyJson);
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          targets: fc.oneof({ weight: 5, arbitrary: fc.array(target, { maxLength: 6 }) }, anyJson),
          labels: fc.oneof(
            { weight: 5, arbitrary: fc.dictionary(oddString, labelValue, { maxKeys: 6 }) },
            anyJson,
          ),
          Targets: fc.array(fc.string(), { maxLength: 2 }),
          other: anyJson,
        },
        { requiredKeys: [] },
      ),
    },
    fc.constant(null),
    anyJson,
  );
}

/**
 * The "0 unbounded allocations" check of a parse result: at most `maxTargets` targets in all,
 * every label name and value a string no longer than `maxLength`, every target with an address.
 */
export function expectBounded(
  groups: readonly TargetGroup[],
  maxTargets: number,
  maxLength: number,
): void {
  let targets = 0;
  const check = (record: Readonly<Record<string, string>>, what: string) => {
    for (const [name, value] of Object.entries(record)) {
      if (typeof value !== 'string') throw new Error(`${what}: ${name} is not a string`);
      if (name.length > maxLength || value.length > maxLength) {
        throw new Error(`${what}: label ${name.slice(0, 40)} longer than ${maxLength}`);
      }
    }
  };
  for (const group of groups) {
    if (typeof group.source !== 'string') throw new Error('source is not a string');
    check(group.labels, `group ${group.source}`);
    for (const target of group.targets) {
      if (typeof target.__address__ !== 'string') throw new Error('target without __address__');
      check(target, `target of ${group.source}`);
      targets++;
    }
  }
  if (targets > maxTargets) throw new Error(`${targets} targets, more than ${maxTargets}`);
}
