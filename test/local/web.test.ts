import { describe, expect, it } from 'vitest';
import { createSecret } from '../../src/config/index.js';
import { configEqual } from '../../src/local/config-equal.js';
import { parseListenAddress } from '../../src/local/web.js';

describe('parseListenAddress', () => {
  it.each([
    { text: '127.0.0.1:9099', want: { host: '127.0.0.1', port: 9099 } },
    { text: ':9090', want: { host: '', port: 9090 } },
    { text: 'localhost:0', want: { host: 'localhost', port: 0 } },
    { text: '[::1]:9099', want: { host: '::1', port: 9099 } },
    { text: '0.0.0.0:80', want: { host: '0.0.0.0', port: 80 } },
  ])('$text', ({ text, want }) => {
    expect(parseListenAddress(text)).toEqual(want);
  });

  it.each(['9099', 'host', 'host:', 'host:65536', '::1:9099', 'a b:1', 'host:-1'])(
    'rejects %s',
    (text) => {
      expect(() => parseListenAddress(text)).toThrow(
        expect.objectContaining({ code: 'LOCAL_INVALID_LISTEN_ADDRESS' }),
      );
    },
  );
});

describe('configEqual', () => {
  it.each([
    { name: 'equal nested', a: { x: [1, { y: 'z' }] }, b: { x: [1, { y: 'z' }] }, want: true },
    { name: 'different value', a: { x: 1 }, b: { x: 2 }, want: false },
    { name: 'extra key', a: { x: 1 }, b: { x: 1, y: 2 }, want: false },
    { name: 'undefined key = absent', a: { x: 1, y: undefined }, b: { x: 1 }, want: true },
    { name: 'array vs object', a: [1], b: { 0: 1 }, want: false },
    {
      name: 'same secret value',
      a: { p: createSecret('a') },
      b: { p: createSecret('a') },
      want: true,
    },
    {
      name: 'changed secret value',
      a: { p: createSecret('a') },
      b: { p: createSecret('b') },
      want: false,
    },
    { name: 'secret vs string', a: { p: createSecret('a') }, b: { p: 'a' }, want: false },
    { name: 'NaN', a: Number.NaN, b: Number.NaN, want: true },
  ])('$name', ({ a, b, want }) => {
    expect(configEqual(a, b)).toBe(want);
  });
});
