import { describe, expect, it } from 'vitest';
import {
  isUrlFieldName,
  redactLabelValue,
  redactSecretsInText,
  redactTargetUrl,
  redactUrlField,
  redactUrlsInText,
  requestSecrets,
} from '../../src/log/redact.js';

describe('redactTargetUrl', () => {
  it.each([
    { name: 'plain', url: 'http://10.0.0.1:9100/metrics', want: 'http://10.0.0.1:9100/metrics' },
    { name: 'userinfo', url: 'http://u:p@h:1/m', want: 'http://h:1/m' },
    { name: 'user only', url: 'https://u@h/m', want: 'https://h/m' },
    { name: 'escaped userinfo', url: 'http://u:p%40h:1/m', want: 'http://h:1/m' },
    { name: 'at sign in password', url: 'http://u:p@ss@h/m', want: 'http://h/m' },
    { name: 'token', url: 'http://h/m?token=s', want: 'http://h/m?token=xxxxx' },
    {
      name: 'userinfo and token',
      url: 'http://u:p@h:1/m?token=s',
      want: 'http://h:1/m?token=xxxxx',
    },
    { name: 'safe module kept', url: 'http://h/probe?module=m', want: 'http://h/probe?module=m' },
    { name: 'empty query', url: 'http://h/m?', want: 'http://h/m' },
    { name: 'fragment dropped', url: 'http://h/m#frag', want: 'http://h/m' },
    { name: 'no scheme: path kept', url: 'h:1/m?token=s', want: 'h:1/m?token=xxxxx' },
    { name: 'idempotent', url: 'http://h/m?token=xxxxx', want: 'http://h/m?token=xxxxx' },
  ])('$name', ({ url, want }) => {
    expect(redactTargetUrl(url)).toBe(want);
    expect(redactTargetUrl(want)).toBe(want);
  });
});

describe('redactUrlsInText', () => {
  it.each([
    { name: 'no URL', text: 'connect ECONNREFUSED 10.0.0.1:9100', want: null },
    {
      name: 'quoted URL',
      text: 'Get "http://u:p@h:1/m?token=s": connect ECONNREFUSED',
      want: 'Get "http://h:1/m?token=xxxxx": connect ECONNREFUSED',
    },
    {
      name: 'URL ending a sentence',
      text: 'cannot reach https://h/m?apikey=s.',
      want: 'cannot reach https://h/m?apikey=xxxxx.',
    },
    {
      name: 'two URLs',
      text: 'http://a:b@x/ then https://h/m?k=v',
      want: 'http://x/ then https://h/m?k=xxxxx',
    },
    {
      name: 'other scheme loses its userinfo',
      text: 'proxy socks5://u:p@proxy:1080 refused',
      want: 'proxy socks5://proxy:1080 refused',
    },
    { name: 'upper-case scheme', text: 'HTTP://u:p@h/', want: 'HTTP://h/' },
  ])('$name', ({ text, want }) => {
    expect(redactUrlsInText(text)).toBe(want ?? text);
  });
});

describe('redactUrlField', () => {
  it.each([
    { name: 'target id', value: 'abcdef0123456789', want: 'abcdef0123456789' },
    { name: 'host:port', value: '10.0.0.1:9100', want: '10.0.0.1:9100' },
    { name: 'address with userinfo', value: 'u:p@h:1', want: 'h:1' },
    { name: 'address with query', value: 'h:1/m?token=s', want: 'h:1/m?token=xxxxx' },
    { name: 'full URL', value: 'http://u:p@h:1/m?token=s', want: 'http://h:1/m?token=xxxxx' },
    { name: 'other scheme', value: 'socks5://u:p@h:1080?k=v', want: 'socks5://h:1080?k=xxxxx' },
  ])('$name', ({ value, want }) => {
    expect(redactUrlField(value)).toBe(want);
  });
});

describe('isUrlFieldName', () => {
  it.each([
    { name: 'url', want: true },
    { name: 'URL', want: true },
    { name: 'endpoint', want: true },
    { name: 'target', want: true },
    { name: 'targets', want: true },
    { name: 'address', want: true },
    { name: 'proxy_url', want: true },
    { name: 'remote.url', want: true },
    { name: 'proxyUrl', want: true },
    { name: 'scrapeTarget', want: true },
    { name: 'job', want: false },
    { name: 'err', want: false },
    { name: 'curling', want: false },
    { name: 'urlencoded', want: false },
  ])('$name', ({ name, want }) => {
    expect(isUrlFieldName(name)).toBe(want);
  });
});

describe('redactLabelValue', () => {
  it.each([
    { name: '__param_token', value: 's3cr3t', want: 'xxxxx' },
    { name: '__param_module', value: 'http_2xx', want: 'http_2xx' },
    { name: '__param_target', value: 'http://u:p@h/', want: 'xxxxx' },
    { name: '__address__', value: 'u:p@h:9100', want: 'h:9100' },
    { name: '__address__', value: 'h:9100', want: 'h:9100' },
    { name: '__meta_url', value: 'http://u:p@sd/x?token=t', want: 'http://sd/x?token=xxxxx' },
    { name: 'job', value: 'node', want: 'node' },
  ])('$name=$value', ({ name, value, want }) => {
    expect(redactLabelValue(name, value)).toBe(want);
    expect(redactLabelValue(name, want)).toBe(want);
  });
});

describe('requestSecrets and redactSecretsInText', () => {
  const basic = `Basic ${Buffer.from('user:pa%ss').toString('base64')}`;
  const secrets = requestSecrets(new URL('http://u:pw%2Fd@h/w?token=tok%3D1&module=abcd'), [
    basic,
    'Bearer abcdef',
  ]);

  it('collects header values, credentials, the basic password, URL password and query values', () => {
    expect(secrets).toEqual(
      expect.arrayContaining([
        basic,
        basic.slice(6),
        'pa%ss',
        'Bearer abcdef',
        'abcdef',
        'pw%2Fd',
        'pw/d',
        'tok=1',
      ]),
    );
    expect(secrets).not.toContain('abcd');
    expect(secrets).not.toContain('u');
  });

  it('cuts every occurrence out of text, longest first', () => {
    const echoed = `got ${basic} and Bearer abcdef for /w?token=tok=1 (pw/d)`;
    expect(redactSecretsInText(echoed, secrets)).toBe(
      'got <secret> and <secret> for /w?token=<secret> (<secret>)',
    );
  });

  it('leaves values too short to be credentials', () => {
    expect(redactSecretsInText('a 1 ab', ['a', '1', 'ab'])).toBe('a 1 ab');
  });
});
