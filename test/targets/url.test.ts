import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import { encodeQuery, queryEscape, scrapeUrl } from '../../src/targets/index.js';

describe('queryEscape (Go url.QueryEscape)', () => {
  it.each([
    ['', ''],
    ['abcXYZ019-_.~', 'abcXYZ019-_.~'],
    ['a b', 'a+b'],
    ['+&=?/#%:@$,;', '%2B%26%3D%3F%2F%23%25%3A%40%24%2C%3B'],
    ["!'()*", '%21%27%28%29%2A'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
  ])('%j → %s', (text, escaped) => {
    expect(queryEscape(text)).toBe(escaped);
  });
});

describe('encodeQuery (Go url.Values.Encode)', () => {
  it('sorts keys by bytes, keeps value order, skips keys without values', () => {
    const params = new Map<string, string[]>([
      ['b', ['2', '1']],
      ['a', ['x']],
      ['none', []],
      ['\u{1f600}', ['astral']],
      ['\uff5e', ['bmp']],
    ]);
    expect(encodeQuery(params)).toBe('a=x&b=2&b=1&%EF%BD%9E=bmp&%F0%9F%98%80=astral');
  });
});

describe('scrapeUrl (§2.5)', () => {
  const base = { __scheme__: 'http', __address__: 'a:1', __metrics_path__: '/metrics' };
  it.each<{
    name: string;
    labels: Record<string, string>;
    params: Record<string, string[]>;
    url: string;
  }>([
    { name: 'plain', labels: base, params: {}, url: 'http://a:1/metrics' },
    {
      name: 'IPv6 host kept, zone percent escaped',
      labels: { ...base, __address__: '[fe80::1%eth0]:9100' },
      params: {},
      url: 'http://[fe80::1%25eth0]:9100/metrics',
    },
    {
      name: 'host keeps sub-delims, escapes space',
      labels: { ...base, __address__: "a!$&'()*+,;=b c" },
      params: {},
      url: "http://a!$&'()*+,;=b%20c/metrics",
    },
    {
      name: 'path keeps reserved characters except ?',
      labels: { ...base, __metrics_path__: "/a:b@c&d=e+f$g,h;i/j?k#l%m n!'()*~" },
      params: {},
      url: 'http://a:1/a:b@c&d=e+f$g,h;i/j%3Fk%23l%25m%20n%21%27%28%29%2A~',
    },
    {
      name: 'path with non-ASCII',
      labels: { ...base, __metrics_path__: '/métriques' },
      params: {},
      url: 'http://a:1/m%C3%A9triques',
    },
    {
      name: 'empty path',
      labels: { ...base, __metrics_path__: '' },
      params: {},
      url: 'http://a:1',
    },
    { name: 'path *', labels: { ...base, __metrics_path__: '*' }, params: {}, url: 'http://a:1/*' },
    {
      name: 'relative path gets a slash',
      labels: { ...base, __metrics_path__: 'x/y' },
      params: {},
      url: 'http://a:1/x/y',
    },
    {
      name: 'no scheme',
      labels: { ...base, __scheme__: '' },
      params: {},
      url: '//a:1/metrics',
    },
    {
      name: 'config params with __param_ overriding the first value',
      labels: { ...base, __param_module: 'm2', __param_new: 'n' },
      params: { module: ['m1', 'm1b'], target: ['t'] },
      url: 'http://a:1/metrics?module=m2&module=m1b&new=n&target=t',
    },
    {
      name: '__param_ for a key with an empty value list sets it',
      labels: { ...base, __param_k: 'v' },
      params: { k: [] },
      url: 'http://a:1/metrics?k=v',
    },
  ])('$name', ({ labels, params, url }) => {
    expect(scrapeUrl(labelsFromRecord(labels), params)).toBe(url);
  });
});
