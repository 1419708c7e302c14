import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createSecret, SecretValue } from '../../src/config/secret.js';
import { load, loadErrors, yaml } from './helpers.js';

describe('Secret', () => {
  const secret = createSecret('hunter2');

  it.each([
    ['String()', () => String(secret)],
    ['template literal', () => `${secret}`],
    ['JSON.stringify', () => JSON.stringify({ secret })],
    ['util.inspect', () => inspect({ nested: { secret } }, { depth: 5 })],
    ['Object.keys/spread', () => JSON.stringify({ ...secret, keys: Object.keys(secret) })],
  ])('%s never shows the value', (_how, render) => {
    const text = render();
    expect(text).not.toContain('hunter2');
  });

  it('prints as <secret> and reveals on request', () => {
    expect(String(secret)).toBe('<secret>');
    expect(JSON.stringify(secret)).toBe('"<secret>"');
    expect(inspect(secret)).toBe('<secret>');
    expect(secret.reveal()).toBe('hunter2');
    expect(secret).toBeInstanceOf(SecretValue);
  });
});

const SECRETS = [
  'zz-basic',
  'zz-bearer',
  'zz-credentials',
  'zz-oauth',
  'zz-tls-key',
  'zz-header',
  'zz-proxy',
  'zz-sigv4',
];

const CONFIG_WITH_SECRETS = yaml`
  scrape_configs:
    - job_name: a
      basic_auth: {username: u, password: zz-basic}
      tls_config: {cert_file: c.pem, key: zz-tls-key}
      http_headers:
        X-Api-Key: {secrets: [zz-header]}
      proxy_url: http://proxy:3128
      proxy_connect_header:
        Proxy-Authorization-Token: [zz-proxy]
    - job_name: b
      bearer_token: zz-bearer
    - job_name: c
      authorization: {type: Token, credentials: zz-credentials}
    - job_name: d
      oauth2: {client_id: id, client_secret: zz-oauth, token_url: https://t}
  remote_write:
    - url: https://aps.example/write
      sigv4: {access_key: AKIA, secret_key: zz-sigv4}
`;

describe('secrets in a loaded config', () => {
  it('keeps every secret out of JSON.stringify and util.inspect', () => {
    const config = load(CONFIG_WITH_SECRETS);
    const json = JSON.stringify(config);
    const inspected = inspect(config, { depth: null });
    for (const s of SECRETS) {
      expect(json).not.toContain(s);
      expect(inspected).not.toContain(s);
    }
    expect(json).toContain('<secret>');
  });

  it('still gives every secret to whoever asks for it', () => {
    const config = load(CONFIG_WITH_SECRETS);
    const [a, b, c, d] = config.scrapeConfigs;
    expect(
      [
        a?.httpClient.basicAuth?.password,
        b?.httpClient.authorization?.credentials,
        c?.httpClient.authorization?.credentials,
        d?.httpClient.oauth2?.clientSecret,
        a?.httpClient.tlsConfig.key,
        a?.httpClient.httpHeaders['X-Api-Key']?.secrets[0],
        a?.httpClient.proxyConnectHeader['Proxy-Authorization-Token']?.[0],
        config.remoteWrite[0]?.sigv4?.secretKey,
      ].map((s) => s?.reveal()),
    ).toEqual(SECRETS);
  });

  it.each([
    {
      name: 'both password and password_file',
      field: 'basic_auth: {password: s3cr3t, password_file: f}',
    },
    { name: 'password as a list', field: 'basic_auth: {password: [s3cr3t]}' },
    { name: 'password as a map', field: 'basic_auth: {password: {s3cr3t: 1}}' },
    { name: 'bearer token and file', field: 'bearer_token: s3cr3t\n    bearer_token_file: f' },
    { name: 'credentials list', field: 'authorization: {credentials: [s3cr3t]}' },
    {
      name: 'tls key with key_file',
      field: 'tls_config: {key: s3cr3t, key_file: k, cert_file: c}',
    },
    { name: 'header secrets map', field: 'http_headers: {X-A: {secrets: {s3cr3t: x}}}' },
  ])('errors about secret fields never echo the value: $name', ({ field }) => {
    const errors = loadErrors(`scrape_configs:\n  - job_name: x\n    ${field}\n`);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).not.toContain('s3cr3t');
  });

  it('keeps secrets out of YAML syntax error messages', () => {
    expect(() =>
      loadConfig('scrape_configs:\n  - job_name: x\n    bearer_token: s3cr3t\n---\nmore: s3cr3t\n'),
    ).toThrow(/^(?![\s\S]*s3cr3t)/);
  });
});
