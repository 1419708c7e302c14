import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedUtf16, isWellFormedUtf16Scan } from '../../src/model/labels.js';

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
