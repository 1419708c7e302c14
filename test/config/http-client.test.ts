import { describe, expect, it } from 'vitest';
import { canonicalHeaderKey } from '../../src/config/http-client.js';
import type { HttpClientConfig } from '../../src/config/types.js';
import { loadErrors, onlyJob, yaml } from './helpers.js';

const SOURCE = '/etc/prometheus/prometheus.yml';

/** The HTTP client config of a job whose other fields are `fields` (unindented YAML). */
function client(fields: string): HttpClientConfig {
  const body = fields
    .split('\n')
    .map((line) => (line === '' ? line : `    ${line}`))
    .join('\n');
  return onlyJob(`scrape_configs:\n  - job_name: x\n${body}`, { sourcePath: SOURCE }).httpClient;
}

describe('HTTP client config (§1.5)', () => {
  it('reads basic_auth, keeping the password secret', () => {
    const c = client('basic_auth: {username: u, password: p4ss}\n');
    expect(c.basicAuth?.username).toBe('u');
    expect(c.basicAuth?.password?.reveal()).toBe('p4ss');
    expect(c.basicAuth?.passwordFile).toBeUndefined();
  });

  it('resolves every *_file against the config folder and leaves absolute paths alone', () => {
    const c = client(yaml`
          basic_auth: {username_file: user, password_file: ./secrets/pw}
          tls_config: {ca_file: ca.pem, cert_file: /abs/cert.pem, key_file: ../key.pem}
          http_headers:
            X-Token: {files: [tok]}
    `);
    expect(c.basicAuth).toMatchObject({
      usernameFile: '/etc/prometheus/user',
      passwordFile: '/etc/prometheus/secrets/pw',
    });
    expect(c.tlsConfig).toMatchObject({
      caFile: '/etc/prometheus/ca.pem',
      certFile: '/abs/cert.pem',
      keyFile: '/etc/key.pem',
    });
    expect(c.httpHeaders['X-Token']?.files).toEqual(['/etc/prometheus/tok']);
  });

  it.each([
    {
      name: 'authorization defaults to Bearer',
      fields: 'authorization: {credentials: abc}\n',
      want: { type: 'Bearer', credentials: 'abc', credentialsFile: undefined },
    },
    {
      name: 'authorization type is kept (trimmed)',
      fields: 'authorization: {type: " Token ", credentials_file: tok}\n',
      want: { type: 'Token', credentials: undefined, credentialsFile: '/etc/prometheus/tok' },
    },
    {
      name: 'bearer_token folds into authorization',
      fields: 'bearer_token: abc\n',
      want: { type: 'Bearer', credentials: 'abc', credentialsFile: undefined },
    },
    {
      name: 'bearer_token_file folds into authorization',
      fields: 'bearer_token_file: tok\n',
      want: { type: 'Bearer', credentials: undefined, credentialsFile: '/etc/prometheus/tok' },
    },
  ])('$name', ({ fields, want }) => {
    const auth = client(fields).authorization;
    expect({
      type: auth?.type,
      credentials: auth?.credentials?.reveal(),
      credentialsFile: auth?.credentialsFile,
    }).toEqual(want);
  });

  it('reads oauth2', () => {
    const c = client(yaml`
          oauth2:
            client_id: id
            client_secret_file: secret
            token_url: https://auth.example/token
            scopes: [read, write]
            endpoint_params: {audience: metrics}
            tls_config: {insecure_skip_verify: true}
            proxy_url: http://proxy:3128
    `);
    expect(c.oauth2).toMatchObject({
      clientId: 'id',
      clientSecret: undefined,
      clientSecretFile: '/etc/prometheus/secret',
      tokenUrl: 'https://auth.example/token',
      scopes: ['read', 'write'],
      endpointParams: { audience: 'metrics' },
      grantType: 'client_credentials',
      proxyUrl: 'http://proxy:3128',
    });
    expect(c.oauth2?.tlsConfig.insecureSkipVerify).toBe(true);
  });

  it('reads tls, proxy and header settings', () => {
    const c = client(yaml`
          tls_config:
            server_name: node.internal
            min_version: TLS12
            max_version: TLS13
          proxy_url: http://proxy:3128
          no_proxy: localhost,10.0.0.0/8
          proxy_connect_header:
            Proxy-Token: [a, b]
          http_headers:
            X-Scope-OrgID: {values: [tenant-1]}
            X-Key: {secrets: [k]}
    `);
    expect(c.tlsConfig).toMatchObject({
      serverName: 'node.internal',
      minVersion: 'TLS12',
      maxVersion: 'TLS13',
    });
    expect(c.proxyUrl).toBe('http://proxy:3128');
    expect(c.noProxy).toBe('localhost,10.0.0.0/8');
    expect(c.proxyConnectHeader['Proxy-Token']?.map((s) => s.reveal())).toEqual(['a', 'b']);
    expect(c.httpHeaders['X-Scope-OrgID']).toEqual({
      values: ['tenant-1'],
      secrets: [],
      files: [],
    });
    expect(c.httpHeaders['X-Key']?.secrets.map((s) => s.reveal())).toEqual(['k']);
  });
});

describe('HTTP client config validation (§1.5)', () => {
  it.each([
    {
      fields: 'basic_auth: {username: u, username_file: f}',
      error:
        '3:46: at most one of basic_auth username, username_file & username_ref must be configured',
    },
    {
      fields: 'basic_auth: {password: p, password_file: f}',
      error:
        '3:46: at most one of basic_auth password, password_file & password_ref must be configured',
    },
    {
      fields: 'bearer_token: a\n    bearer_token_file: f',
      error: '4:24: at most one of bearer_token & bearer_token_file must be configured',
    },
    {
      fields: 'bearer_token: a\n    basic_auth: {username: u}',
      error:
        '3:19: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
    },
    {
      fields: 'bearer_token: a\n    authorization: {credentials: c}',
      error: '4:20: authorization is not compatible with bearer_token & bearer_token_file',
    },
    {
      fields: 'authorization: {credentials: c, credentials_file: f}',
      error: '3:55: at most one of authorization credentials & credentials_file must be configured',
    },
    {
      fields: 'authorization: {type: BASIC, credentials: c}',
      error: '3:27: authorization type cannot be set to "basic", use "basic_auth" instead',
    },
    {
      fields: 'authorization: {credentials: c}\n    basic_auth: {username: u}',
      error: '3:20: at most one of basic_auth, oauth2 & authorization must be configured',
    },
    {
      fields: 'oauth2: {client_id: a, token_url: http://t}\n    basic_auth: {username: u}',
      error: '3:13: at most one of basic_auth, oauth2 & authorization must be configured',
    },
    {
      fields: 'oauth2: {token_url: http://t}',
      error: '3:13: oauth2 client_id must be configured',
    },
    {
      fields: 'oauth2: {client_id: a}',
      error: '3:13: oauth2 token_url must be configured',
    },
    {
      fields:
        'oauth2: {client_id: a, token_url: http://t, client_secret: s, client_secret_file: f}',
      error:
        '3:87: at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials',
    },
    {
      fields:
        'oauth2: {client_id: a, token_url: http://t, grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", signature_algorithm: HS256}',
      error: '3:129: valid signature algorithms are RS256, RS384 and RS512',
    },
    {
      fields: 'tls_config: {ca: x, ca_file: y}',
      error: '3:34: at most one of ca, ca_file & ca_ref must be configured',
    },
    {
      fields: 'tls_config: {cert: x, cert_file: y, key: z}',
      error: '3:38: at most one of cert, cert_file & cert_ref must be configured',
    },
    {
      fields: 'tls_config: {key: x, key_file: y, cert: z}',
      error: '3:36: at most one of key and key_file must be configured',
    },
    {
      fields: 'tls_config: {cert_file: c}',
      error:
        '3:17: exactly one of key or key_file must be configured when a client certificate is configured',
    },
    {
      fields: 'tls_config: {key_file: k}',
      error:
        '3:17: exactly one of cert or cert_file must be configured when a client key is configured',
    },
    {
      fields: 'tls_config: {min_version: TLS14}',
      error: '3:31: unknown TLS version: TLS14',
    },
    {
      fields: 'tls_config: {min_version: TLS13, max_version: TLS12}',
      error:
        '3:17: tls_config.max_version must be greater than or equal to tls_config.min_version if both are specified',
    },
    {
      fields: 'proxy_connect_header: {A: [b]}',
      error:
        '3:27: if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured',
    },
    {
      fields: 'proxy_from_environment: true\n    proxy_url: http://p',
      error: '4:16: if proxy_from_environment is configured, proxy_url must not be configured',
    },
    {
      fields: 'proxy_from_environment: true\n    no_proxy: x',
      error: '4:15: if proxy_from_environment is configured, no_proxy must not be configured',
    },
    {
      fields: 'no_proxy: x',
      error: '3:15: if no_proxy is configured, proxy_url must also be configured',
    },
    {
      fields: 'proxy_url: "http://u:pw@[bad"',
      error: '3:16: parse "http://u:xxxxx@[bad": invalid URL',
    },
    {
      fields: 'http_headers: {user-agent: {values: [x]}}',
      error: '3:20: setting header "User-Agent" is not allowed',
    },
    {
      fields: 'basic_auth: {password_ref: vault}',
      error: '3:32: password_ref cannot be used: no secret manager is configured',
    },
  ])('$fields → $error', ({ fields, error }) => {
    const text = `scrape_configs:\n  - job_name: x\n    ${fields}\n`;
    expect(loadErrors(text)).toEqual([`prometheus.yml:${error}`]);
  });
});

describe('canonicalHeaderKey', () => {
  it.each([
    ['user-agent', 'User-Agent'],
    ['X-PROMETHEUS-remote-write-version', 'X-Prometheus-Remote-Write-Version'],
    ['www-authenticate', 'Www-Authenticate'],
    ['has space', 'has space'],
  ])('%s → %s', (key, want) => {
    expect(canonicalHeaderKey(key)).toBe(want);
  });
});
