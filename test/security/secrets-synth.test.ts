/**
 * Secrets never leave, deployment (issue 13): the CDK construct bundles prometheus.yml as
 * written into every function's code package, which is stored in clear, and puts settings in
 * the template. So:
 * - a config holding any secret inline — password, bearer token, a `?token=`-like query value
 *   (`params`, a `__param_` label, an SD or remote-write URL) or a password in a URL's userinfo
 *   (`remote_write` url, `http_sd_configs` url, `proxy_url`) — is refused at synth, by field,
 *   the message naming where and never the value; with `allowInlineSecrets` it synthesizes with
 *   a warning, and still the template holds none of them;
 * - the supported path (`*_file` mapped by `secretFiles` to Secrets Manager), bundled for real
 *   (stub handlers, so it takes seconds): the template holds ARNs, the packages hold the config
 *   and none of the secret files, and nothing anywhere holds a secret value.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { LambdaScraper } from '../../infra/lambda-scraper.js';
import { build, configFrom } from '../infra/support.js';
import { type Fixture, leaks, SECRETS, secretConfig, USERS } from './fixtures.js';

/** The fixture's addresses only: synth connects to nothing. */
const FAKE: Fixture = {
  host: '192.0.2.10',
  port: 9100,
  closedPort: 9101,
  seen: new Map(),
  close: async () => {},
};

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return 'no error';
};

describe('secrets never leave: synth', () => {
  it('refuses every inline secret by field, without quoting a value', async () => {
    const config = await configFrom(secretConfig(FAKE));
    const message = errorOf(() => build({ config }));
    expect(message).toContain('holds secrets inline');
    for (const field of [
      'job "basic".httpClient.basicAuth.password',
      'job "basic".params.token',
      'job "bearer".httpClient.authorization.credentials',
      'job "bearer".static_configs[0].labels.__param_apikey',
      'job "proxied".httpClient.proxyUrl (password in userinfo)',
      'job "sd".http_sd_configs[0].url (password in userinfo)',
      'job "sd".http_sd_configs[0].url (query token)',
      'remote_write "userinfo".url (password in userinfo)',
      'remote_write "userinfo".url (query token)',
      'remote_write "basic".httpClient.basicAuth.password',
      'remote_write "bearer".httpClient.authorization.credentials',
    ]) {
      expect(message).toContain(field);
    }
    expect(leaks(message)).toEqual([]);
  });

  it.each([
    ['a params token', 'params: { token: [T0KENVALUE] }', /job "j"\.params\.token/],
    [
      'a __param_ label',
      'static_configs: [{ targets: [a:1], labels: { __param_api_key: T0KENVALUE } }]',
      /__param_api_key/,
    ],
    [
      'proxy_url userinfo',
      'proxy_url: http://u:T0KENVALUE@proxy:3128',
      /proxyUrl \(password in userinfo\)/,
    ],
    [
      'http_sd url userinfo',
      'http_sd_configs: [{ url: "http://u:T0KENVALUE@sd/x" }]',
      /url \(password in userinfo\)/,
    ],
    [
      'http_sd url token',
      'http_sd_configs: [{ url: "http://sd/x?access_token=T0KENVALUE" }]',
      /url \(query token\)/,
    ],
  ])('%s alone is refused too', async (_name, yaml, field) => {
    const targets = yaml.startsWith('static_configs')
      ? ''
      : '\n    static_configs: [{ targets: [a:1] }]';
    const config = await configFrom(`scrape_configs:\n  - job_name: j${targets}\n    ${yaml}\n`);
    const message = errorOf(() => build({ config }));
    expect(message).toMatch(field);
    expect(message).not.toContain('T0KENVALUE');
  });

  it('values that are no credentials are not refused', async () => {
    const config = await configFrom(`scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params: { module: [http_2xx], target: [example.com] }
    proxy_url: http://proxy.example:3128
    static_configs: [{ targets: [a:1], labels: { __param_format: text } }]
    http_sd_configs: [{ url: "http://user@sd.example/targets?service=web" }]
remote_write:
  - url: https://receiver.example.com/api/v1/write?tenant=team-a
`);
    expect(() => build({ config })).not.toThrow();
  });

  it('allowInlineSecrets: synthesizes with a warning; the template holds no secret', async () => {
    const config = await configFrom(secretConfig(FAKE));
    const b = build({ config, allowInlineSecrets: true });
    Annotations.fromStack(b.stack).hasWarning(
      '/Test/Scraper',
      Match.stringLikeRegexp('bundled in clear'),
    );
    const warnings = Annotations.fromStack(b.stack).findWarning('*', Match.anyValue());
    expect(leaks(JSON.stringify(warnings))).toEqual([]);
    expect(leaks(JSON.stringify(b.template.toJSON()))).toEqual([]);
  });

  it('the supported path, bundled: ARNs in the template, no secret in it or in any package', async () => {
    const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:lambdascrape/rw-AbCdEf';
    const ARN2 = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:lambdascrape/app-GhIjKl';
    const config = await configFrom(
      `scrape_configs:
  - job_name: app
    authorization: { credentials_file: secrets/app-token }
    static_configs: [{ targets: [app.example:8080] }]
remote_write:
  - url: https://receiver.example.com/api/v1/write
    basic_auth: { username: ${USERS.rwBasic}, password_file: secrets/rw-password }
`,
      // The secret files sit beside the config on the operator's machine: never bundled.
      {
        'secrets/app-token': SECRETS.scrapeBearer,
        'secrets/rw-password': SECRETS.rwBasicPassword,
      },
    );
    const outdir = mkdtempSync(join(tmpdir(), 'lambdascrape-secrets-cdk-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Secrets');
    const stub = fileURLToPath(new URL('./stub/handler.ts', import.meta.url));
    const scraper = new LambdaScraper(stack, 'Scraper', {
      config,
      secretFiles: {
        'secrets/rw-password': Secret.fromSecretCompleteArn(stack, 'Rw', ARN),
        'secrets/app-token': Secret.fromSecretCompleteArn(stack, 'App', ARN2),
      },
      entries: { discovery: stub, dispatcher: stub, scraper: stub, outbox: stub },
    });
    expect(scraper.functions.scraper).toBeDefined();
    const template = JSON.stringify(Template.fromStack(stack).toJSON());
    app.synth();

    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets.length).toBeGreaterThan(0);
    let packaged = '';
    for (const asset of assets) {
      const dir = join(outdir, asset);
      const files = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
        .sort();
      expect(files).toContain('prometheus.yml');
      expect(files.filter((f) => f.startsWith('secrets'))).toEqual([]);
      for (const f of files) packaged += `${f}\n${readFileSync(join(dir, f), 'utf8')}\n`;
    }
    expect(existsSync(join(outdir, 'Secrets.template.json'))).toBe(true);
    const written = readFileSync(join(outdir, 'Secrets.template.json'), 'utf8');
    expect({ template: leaks(template + written), packages: leaks(packaged) }).toEqual({
      template: [],
      packages: [],
    });
    expect(template).toContain(ARN);
    expect(packaged).toContain('password_file: secrets/rw-password');
  }, 30_000);
});
