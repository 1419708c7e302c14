import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isWellFormedUtf16,
  isWellFormedUtf16Scan,
  labelsFromKey,
  labelsKey,
} from '../../src/model/labels.js';

describe('isWellFormedUtf16', () => {
  it.each([
    ['', true],
    ['abc', true],
    ['é', true],
    ['\u{1F600}', true],
    ['a\ud800', false],
    ['\udc00a', false],
    ['\ud800\ud800', false],
    ['\udc00\ud800', false],
    ['x\u{1F600}\ud83d', false],
  ])('%j → %s', (s, want) => {
    expect(isWellFormedUtf16(s)).toBe(want);
    expect(isWellFormedUtf16Scan(s)).toBe(want);
  });

  it('agrees with the hand-written scan on strings with lone and paired surrogates', () => {
    const unit = fc.constantFrom('a', 'é', '\ud800', '\udbff', '\udc00', '\udfff', '\u{1F600}');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 8 }), (units) => {
        const s = units.join('');
        expect(isWellFormedUtf16(s)).toBe(isWellFormedUtf16Scan(s));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('labelsKey', () => {
  const text = fc.string({
    unit: fc.constantFrom('a', '_', ' ', '\xfd', '\xfe', '\xff', '\x01', '\x02', '\x03', 'é'),
  });
  const labelSet = fc.array(fc.record({ name: text, value: text }), { maxLength: 5 });

  it('labelsFromKey(labelsKey(l)) gives l back, also with þ, ÿ and ý in names and values', () => {
    fc.assert(
      fc.property(labelSet, (labels) => {
        expect(labelsFromKey(labelsKey(labels))).toEqual(labels);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective: different label sets have different keys', () => {
    fc.assert(
      fc.property(labelSet, labelSet, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(labelsKey(a)).not.toBe(labelsKey(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the key of a label set without the three characters (persisted keys stay valid)', () => {
    const labels = [
      { name: '__name__', value: 'up' },
      { name: 'instance', value: 'host:9100' },
    ];
    expect(labelsKey(labels)).toBe('__name__\xfeup\xffinstance\xfehost:9100\xff');
  });

  it('escapes þ and ÿ in a value: they once split it into a wrong label set', () => {
    const labels = [
      { name: 'a', value: 'þÿx' },
      { name: 'b', value: 'y' },
    ];
    expect(labelsKey(labels)).toBe('a\xfe\xfd\x02\xfd\x03x\xffb\xfey\xff');
    expect(labelsFromKey(labelsKey(labels))).toEqual(labels);
  });
});
