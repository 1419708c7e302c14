import { describe, expect, it } from 'vitest';
import { toLowerSimple, toUpperSimple } from '../../src/relabel/case-mapping.js';

describe('toUpperSimple (Go strings.ToUpper, §3 uppercase)', () => {
  it.each([
    ['', ''],
    ['bAr123Foo', 'BAR123FOO'],
    ['already UPPER', 'ALREADY UPPER'],
    ['héllo wörld', 'HÉLLO WÖRLD'],
    ['straße', 'STRAßE'], // no simple uppercase for ß (JS gives SS)
    ['ﬁle', 'ﬁLE'], // ligature stays (JS gives FI)
    ['ŉ', 'ŉ'],
    ['ǰ', 'ǰ'],
    ['ΐ', 'ΐ'],
    ['ᾳ', 'ᾼ'], // simple mapping is the titlecase letter (JS gives ΑΙ)
    ['ᾀ', 'ᾈ'],
    ['ᾈ', 'ᾈ'],
    ['ῳ', 'ῼ'],
    ['ǆ', 'Ǆ'],
    ['ǅ', 'Ǆ'],
    ['ſ', 'S'],
    ['ı', 'I'],
    ['ͅ', 'Ι'], // combining ypogegrammeni
    ['µ', 'Μ'],
    ['ÿ', 'Ÿ'],
    ['𐐨', '𐐀'], // astral (Deseret)
    ['a😀b', 'A😀B'],
    ['日本', '日本'],
    ['a\uD800b', 'A\uFFFDB'], // a lone surrogate becomes U+FFFD, like invalid UTF-8 in Go
  ])('%j → %j', (input, expected) => {
    expect(toUpperSimple(input)).toBe(expected);
  });
});

describe('toLowerSimple (Go strings.ToLower, §3 lowercase)', () => {
  it.each([
    ['', ''],
    ['bAr123Foo', 'bar123foo'],
    ['HÉLLO', 'héllo'],
    ['ΑΣ', 'ασ'], // no final-sigma rule (JS gives ας)
    ['ΟΔΥΣΣΕΥΣ', 'οδυσσευσ'],
    ['İ', 'i'], // simple mapping (JS gives i + U+0307)
    ['İstanbul', 'istanbul'],
    ['ẞ', 'ß'],
    ['K', 'k'], // Kelvin sign
    ['Ω', 'ω'], // Ohm sign
    ['ǅ', 'ǆ'],
    ['ᾈ', 'ᾀ'],
    ['𐐀', '𐐨'],
    ['A😀B', 'a😀b'],
    ['already lower', 'already lower'],
    ['\uDC00X', '\uFFFDx'],
  ])('%j → %j', (input, expected) => {
    expect(toLowerSimple(input)).toBe(expected);
  });

  it('returns the input itself when nothing changes', () => {
    const s = 'déjà vu';
    expect(toLowerSimple(s)).toBe(s);
  });
});
