import { describe, expect, it } from 'vitest';
import { formatGoFloat, formatOpenMetricsFloat, parseGoFloat } from '../../src/exposition/index.js';

describe('parseGoFloat: Go ParseFloat minus p/P/_ (§5.1)', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['+5', 5],
    ['1.5', 1.5],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['007', 7],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['1.5e+2', 150],
    ['4.9351e-05', 4.9351e-5],
    ['7.424100000000001e-05', 7.424100000000001e-5],
    ['0.1', 0.1],
    ['123456789012345', 123456789012345],
    ['1234567890123456789', Number(1234567890123456789n)],
    ['9223372036854775808', 2 ** 63],
    ['0000000000000000000000000000000000000000001.2e-1', 0.12],
    ['1520879607.789', 1520879607.789],
    ['1e-400', 0],
    ['Inf', Number.POSITIVE_INFINITY],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['inf', Number.POSITIVE_INFINITY],
    ['+INF', Number.POSITIVE_INFINITY],
    ['infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%j → %d', (text, want) => {
    expect(parseGoFloat(text)).toBe(want);
  });

  it('keeps the sign of zero', () => {
    expect(Object.is(parseGoFloat('-0'), -0)).toBe(true);
    expect(Object.is(parseGoFloat('-0.0e5'), -0)).toBe(true);
  });

  it.each(['NaN', 'nan', 'NAN', 'nAn'])('%j → NaN', (text) => {
    expect(parseGoFloat(text)).toBeNaN();
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '+',
    '-',
    '.',
    'e5',
    '1e',
    '1e+',
    '1.2.3',
    '1_000',
    '0x10',
    '0X1',
    '0x1p-3',
    '0b1',
    '0o7',
    '1p3',
    'Infinity1',
    'infin',
    '+nan',
    '-NaN',
    'true',
    '1e400',
    '-1e309',
    '１',
  ])('rejects %j', (text) => {
    expect(parseGoFloat(text)).toBeUndefined();
  });

  it('parses a slice of a larger string', () => {
    expect(parseGoFloat('a 12.5 b', 2, 6)).toBe(12.5);
  });
});

describe("formatGoFloat: strconv.FormatFloat(f, 'g', -1, 64)", () => {
  it.each<[number, string]>([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1, '-1'],
    [0.5, '0.5'],
    [1.5, '1.5'],
    [100, '100'],
    [123456, '123456'],
    [999999, '999999'],
    [1000000, '1e+06'],
    [1234567, '1.234567e+06'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [0.0001, '0.0001'],
    [0.00012, '0.00012'],
    [0.00001, '1e-05'],
    [1.1e-5, '1.1e-05'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
    [2.478268416e9, '2.478268416e+09'],
    [-2.5e-7, '-2.5e-07'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])('%d → %s', (f, want) => {
    expect(formatGoFloat(f)).toBe(want);
  });
});

describe('formatOpenMetricsFloat: canonical le/quantile values (§5.1)', () => {
  it.each<[number, string]>([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '0.0'],
    [-1, '-1.0'],
    [1e3, '1000.0'],
    [0.5, '0.5'],
    [100000, '100000.0'],
    [1000000, '1e+06'],
    [0.00001, '1e-05'],
    [0.0001, '0.0001'],
    [2.5, '2.5'],
    [10, '10.0'],
    [0.005, '0.005'],
    [1e-11, '1e-11'],
    [1e10, '1e+10'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ])('%d → %s', (f, want) => {
    expect(formatOpenMetricsFloat(f)).toBe(want);
  });

  it('round-trips through parseGoFloat', () => {
    for (const f of [0.1, 1 / 3, 123.456, 9.99e-5, 6.02214076e23, 2 ** -1074, Number.MAX_VALUE]) {
      expect(parseGoFloat(formatOpenMetricsFloat(f))).toBe(f);
      expect(parseGoFloat(formatGoFloat(f))).toBe(f);
    }
  });
});
