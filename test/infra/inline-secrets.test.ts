/**
 * inlineSecretFields (infra/config-files.ts) on the proxy and oauth2 URLs: credentials in an
 * oauth2 `token_url`, in a `proxy_url`'s userinfo (client or oauth2 block, scrape or remote
 * write) and in `proxy_connect_header` values are found, by field, never by value.
 */
import { describe, expect, it } from 'vitest';
import { inlineSecretFields } from '../../infra/config-files.js';
import { loadConfig } from '../../src/config/index.js';

const fields = (yaml: string) => inlineSecretFields(loadConfig(yaml, { env: {} }));
const job = (http: string) =>
  `scrape_configs:\n  - job_name: j\n    static_configs: [{ targets: [a:1] }]\n${http.replace(/^/gm, '    ')}\n`;
const OAUTH = 'client_id: c\nclient_secret_file: /run/s';

describe('inline secrets in proxy and token URLs', () => {
  it.each([
    [
      'proxy_url userinfo',
      'proxy_url: http://u:PW@proxy:3128',
      'job "j".httpClient.proxyUrl (password in userinfo)',
    ],
    [
      'oauth2 token_url userinfo',
      `oauth2:\n  ${OAUTH.replace('\n', '\n  ')}\n  token_url: https://c:PW@idp.example/token`,
      'job "j".httpClient.oauth2.tokenUrl (password in userinfo)',
    ],
    [
      'oauth2 token_url query token',
      `oauth2:\n  ${OAUTH.replace('\n', '\n  ')}\n  token_url: https://idp.example/token?access_token=T`,
      'job "j".httpClient.oauth2.tokenUrl (query token)',
    ],
    [
      'oauth2 proxy_url userinfo',
      `oauth2:\n  ${OAUTH.replace('\n', '\n  ')}\n  token_url: https://idp.example/token\n  proxy_url: http://u:PW@proxy:3128`,
      'job "j".httpClient.oauth2.proxyUrl (password in userinfo)',
    ],
    [
      'proxy_connect_header',
      'proxy_url: http://proxy:3128\nproxy_connect_header: { X-Token: [T] }',
      'job "j".httpClient.proxyConnectHeader.X-Token[0]',
    ],
    [
      'oauth2 proxy_connect_header',
      `oauth2:\n  ${OAUTH.replace('\n', '\n  ')}\n  token_url: https://idp.example/token\n  proxy_url: http://proxy:3128\n  proxy_connect_header: { X-Token: [T] }`,
      'job "j".httpClient.oauth2.proxyConnectHeader.X-Token[0]',
    ],
  ])('%s', (_name, http, field) => {
    const found = fields(job(http));
    expect(found).toContain(field);
    expect(found.join('\n')).not.toMatch(/PW|\bT\b/);
  });

  it('remote_write oauth2 token_url and proxy_url', () => {
    const found = fields(`remote_write:
  - url: https://rw.example/api/v1/write
    name: rw
    oauth2:
      client_id: c
      client_secret_file: /run/s
      token_url: https://c:PW@idp.example/token
`);
    expect(found).toEqual(['remote_write "rw".httpClient.oauth2.tokenUrl (password in userinfo)']);
  });

  it('proxy_connect_header of a discovery config', () => {
    const found = fields(`scrape_configs:
  - job_name: j
    consul_sd_configs:
      - server: consul:8500
        proxy_url: http://proxy:3128
        proxy_connect_header: { X-Token: [T], X-Empty: [] }
`);
    expect(found).toEqual(['job "j".consul_sd_configs[0].proxy_connect_header.X-Token']);
  });

  it('URLs without credentials are not reported', () => {
    const found = fields(
      job(
        `proxy_url: http://proxy:3128\noauth2:\n  ${OAUTH.replace('\n', '\n  ')}\n  token_url: https://idp.example/token?audience=x`,
      ),
    );
    expect(found).toEqual([]);
  });
});
