// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` here is config env syntax, not JS.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { redactedConfigYaml } from '../../src/local/config-yaml.js';

const CONFIG = `# admin password: hunter2-in-a-comment
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: basic
    basic_auth: { username: alice, password: s3cret-basic }
    authorization: { credentials: s3cret-bearer }
    params: { token: [s3cret-param], module: [http_2xx] }
    proxy_url: http://bob:s3cret-proxy@proxy:3128
    proxy_connect_header: { X-Auth: [s3cret-pch] }
    http_headers:
      X-Api-Key: { values: [s3cret-hv], secrets: [s3cret-hs], files: [/etc/key] }
    tls_config: { cert_file: /c.pem, key: s3cret-tls-key }
    oauth2: { client_id: c, client_secret: s3cret-oauth, token_url: "http://h/t?x=s3cret-q" }
    static_configs:
      - targets: ["carol:s3cret-ui@node:9100", "node2:9100"]
        labels: { __param_apikey: s3cret-label, team: web }
    relabel_configs:
      - target_label: __param_key
        replacement: s3cret-relabel
      - source_labels: [team]
        target_label: owner
    http_sd_configs:
      - url: http://dave:s3cret-sd@sd/targets?token=s3cret-sdq
  - job_name: env
    bearer_token: \${TOKEN}
remote_write:
  - url: http://rw/api/v1/write?api_key=s3cret-rwq
    headers: { X-Scope-OrgID: tenant, Authorization: s3cret-rwh }
    sigv4: { access_key: AKIA, secret_key: s3cret-sigv4 }
`;

describe('redactedConfigYaml', () => {
  const out = redactedConfigYaml(CONFIG);

  it('holds no secret and no comment', () => {
    expect(out).not.toMatch(/s3cret|hunter2/);
  });

  it("keeps the config's shape and what is not secret", () => {
    const doc = parse(out);
    const job = doc.scrape_configs[0];
    expect(doc.global).toEqual({ scrape_interval: '15s' });
    expect(job.basic_auth).toEqual({ username: 'alice', password: '<secret>' });
    expect(job.authorization).toEqual({ credentials: '<secret>' });
    expect(job.params).toEqual({ token: ['xxxxx'], module: ['http_2xx'] });
    expect(job.proxy_url).toBe('http://proxy:3128');
    expect(job.proxy_connect_header).toEqual({ 'X-Auth': ['<secret>'] });
    expect(job.http_headers['X-Api-Key']).toEqual({
      values: ['<secret>'],
      secrets: ['<secret>'],
      files: ['/etc/key'],
    });
    expect(job.tls_config).toEqual({ cert_file: '/c.pem', key: '<secret>' });
    expect(job.oauth2.token_url).toBe('http://h/t?x=xxxxx');
    expect(job.static_configs[0].targets).toEqual(['node:9100', 'node2:9100']);
    expect(job.static_configs[0].labels).toEqual({ __param_apikey: 'xxxxx', team: 'web' });
    expect(job.relabel_configs[0]).toEqual({ target_label: '__param_key', replacement: 'xxxxx' });
    expect(job.relabel_configs[1]).toEqual({ source_labels: ['team'], target_label: 'owner' });
    expect(job.http_sd_configs[0].url).toBe('http://sd/targets?token=xxxxx');
    expect(doc.scrape_configs[1].bearer_token).toBe('<secret>');
    expect(doc.remote_write[0].url).toBe('http://rw/api/v1/write?api_key=xxxxx');
    expect(doc.remote_write[0].headers).toEqual({
      'X-Scope-OrgID': '<secret>',
      Authorization: '<secret>',
    });
    expect(doc.remote_write[0].sigv4).toEqual({ access_key: 'AKIA', secret_key: '<secret>' });
  });

  it('is empty for an empty or unparsable text', () => {
    expect(redactedConfigYaml('')).toBe('');
    expect(redactedConfigYaml('a: [')).toBe('');
  });
});
