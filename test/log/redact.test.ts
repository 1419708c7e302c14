import { describe, expect, it } from 'vitest';
import {
  isUrlFieldName,
  redactTargetUrl,
  redactUrlField,
  redactUrlsInText,
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
