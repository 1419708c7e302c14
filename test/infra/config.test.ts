/**
 * The prometheus.yml side of the construct: the synth-time check (same message as
 * `lambdascrape check config`), credential files against `secretFiles`, inline secrets, the files
 * bundled beside the config, and the config → permissions derivation.
 */
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { planBundleFiles } from '../../infra/config-files.js';
import { accessFromConfig, parseAmpRemoteWriteUrl } from '../../infra/iam-from-config.js';
import { loadScraperConfig, ScraperConfigError } from '../../infra/scraper-config.js';
import { build, checkConfigOutput, configFrom, STATIC_ONLY, tempFolder } from './support.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:lambdascrape/rw-AbCdEf';

describe('an invalid config fails with the message of `lambdascrape check config`', () => {
  const cases = [
    { name: 'YAML syntax', text: 'scrape_configs:\n  - job_name: [\n' },
    { name: 'unknown field', text: 'scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n' },
    {
      name: 'bad duration',
      text: 'global:\n  scrape_interval: 5 minutes\nscrape_configs:\n  - job_name: a\n',
    },
    {
      name: 'invalid ec2_sd_configs (checked by the discovery mechanism)',
      text: 'scrape_configs:\n  - job_name: a\n    ec2_sd_configs:\n      - region: eu-west-1\n        access_key: AKIA\n',
    },
    {
      name: 'two remote writes with one URL',
      text: 'remote_write:\n  - url: http://a/w\n  - url: http://a/w\n',
    },
  ];
  it.each(cases)('$name', async ({ text }) => {
    const dir = tempFolder({ 'prometheus.yml': text });
    const path = join(dir, 'prometheus.yml');
    const check = await checkConfigOutput(path);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^ {2}FAILED: /);
    const err = await loadScraperConfig(path, { env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScraperConfigError);
    // Every line check config prints is in the synth error, verbatim.
    expect((err as Error).message).toContain(check.stderr.trimEnd());
    expect((err as Error).message).toContain(`lambdascrape check config ${path}`);
  });

  it('a missing file too', async () => {
    const path = join(tempFolder({}), 'nope.yml');
    const check = await checkConfigOutput(path);
    await expect(loadScraperConfig(path)).rejects.toThrow(check.stderr.trimEnd());
  });

  it('a valid config passes, keeping check config’s warnings for the synth output', async () => {
    const sc = await configFrom(
      `${STATIC_ONLY}\n  - url: https://second.example.com/w\n`.replace(
        'static_configs:',
        "docker_sd_configs: [{ host: 'unix:///d.sock' }]\n    static_configs:",
      ),
    );
    expect(sc.warnings).toEqual([
      expect.stringMatching(
        /prometheus\.yml:4:25: job "web": docker_sd_configs is not supported yet and is ignored$/,
      ),
    ]);
    const b = build({ config: sc });
    Annotations.fromStack(b.stack).hasWarning(
      '/Test/Scraper',
      Match.stringLikeRegexp('docker_sd_configs is not supported yet'),
    );
  });
});

describe('a job whose only discovery lambdascrape lacks', () => {
  const K8S_ONLY = `${STATIC_ONLY}`.replace(
    'scrape_configs:',
    "scrape_configs:\n  - job_name: k8s\n    docker_sd_configs: [{ host: 'unix:///d.sock' }]",
  );

  it('fails the synth with check config’s message', async () => {
    const dir = tempFolder({ 'prometheus.yml': K8S_ONLY });
    const path = join(dir, 'prometheus.yml');
    const check = await checkConfigOutput(path);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('job "k8s" has no discovery lambdascrape supports');
    await expect(loadScraperConfig(path, { env: {} })).rejects.toThrow(check.stderr.trimEnd());
  });

  it('with skipUnsupportedDiscovery: skipped at synth, and the functions skip it too', async () => {
    const dir = tempFolder({ 'prometheus.yml': K8S_ONLY });
    const sc = await loadScraperConfig(join(dir, 'prometheus.yml'), {
      env: {},
      skipUnsupportedDiscovery: true,
    });
    expect(sc.config.scrapeConfigs.map((j) => j.jobName)).toEqual(['web']);
    expect(sc.warnings).toEqual([
      expect.stringMatching(
        /prometheus\.yml:4:25: job "k8s" is skipped: docker_sd_configs is not supported yet, and it has no other discovery$/,
      ),
    ]);
    const b = build({ config: sc });
    b.template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY: 'on' }),
      },
    });
  });

  it('without it, the functions get no such variable', async () => {
    const b = build({ config: await configFrom(STATIC_ONLY) });
    for (const fn of Object.values(b.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).not.toHaveProperty(
        'LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY',
      );
    }
  });
});

const WITH_FILES = `
scrape_configs:
  - job_name: app
    authorization:
      credentials_file: secrets/app-token
    tls_config:
      ca_file: certs/ca.pem
    static_configs: [{ targets: [app.example.com:443] }]
remote_write:
  - url: https://rw.example.com/push
    basic_auth:
      username: u
      password_file: /run/secrets/rw
`;

describe('credential files and secretFiles', () => {
  it('every secret-holding *_file must be mapped to a secret', async () => {
    const config = await configFrom(WITH_FILES);
    expect(() => build({ config, extraFiles: ['certs/ca.pem'] })).toThrow(
      /job "app" authorization credentials_file .*secrets\/app-token holds a secret and is not in secretFiles.*remote_write .* basic_auth password_file \/run\/secrets\/rw holds a secret/s,
    );
  });

  it('relative and absolute paths match as the functions resolve them; only ARNs are set', async () => {
    const config = await configFrom(WITH_FILES, { 'certs/ca.pem': 'PEM' });
    const b = build((stack) => ({
      config,
      extraFiles: ['certs/ca.pem'],
      secretFiles: {
        './secrets/app-token': Secret.fromSecretCompleteArn(stack, 'A', ARN),
        '/run/secrets/rw': Secret.fromSecretCompleteArn(stack, 'R', ARN.replace('rw-', 'rw2-')),
      },
    }));
    const fn = Object.values(b.template.findResources('AWS::Lambda::Function'))[0]!;
    expect(JSON.parse(fn.Properties.Environment.Variables.LAMBDASCRAPE_SECRET_FILES)).toEqual({
      './secrets/app-token': ARN,
      '/run/secrets/rw': ARN.replace('rw-', 'rw2-'),
    });
    Annotations.fromStack(b.stack).hasNoWarning('*', Match.stringLikeRegexp('ca_file'));
  });

  it('a secretFiles path that no *_file names is an error (no permission for nothing)', async () => {
    const config = await configFrom(STATIC_ONLY);
    expect(() =>
      build((stack) => ({
        config,
        secretFiles: { '/run/secrets/typo': Secret.fromSecretCompleteArn(stack, 'A', ARN) },
      })),
    ).toThrow(/secretFiles path "\/run\/secrets\/typo" is not a \*_file of/);
  });

  it('a secret-holding file cannot be bundled with extraFiles', async () => {
    const config = await configFrom(
      STATIC_ONLY.replace(
        '  - job_name: web\n',
        '  - job_name: web\n    tls_config: { cert_file: c.pem, key_file: k.pem }\n',
      ),
      { 'c.pem': 'C', 'k.pem': 'K' },
    );
    expect(() => build({ config, extraFiles: ['c.pem', 'k.pem'] })).toThrow(
      /key_file .*k\.pem holds a secret: map it in secretFiles instead of extraFiles/,
    );
  });

  it('a kubeconfig with credentials inline must come from Secrets Manager; an EKS one may be bundled', async () => {
    const job = (file: string) =>
      STATIC_ONLY.replace(
        '  - job_name: web\n',
        `  - job_name: web\n    kubernetes_sd_configs: [{ role: pod, kubeconfig_file: ${file} }]\n`,
      );
    const eks =
      'apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    exec: { command: aws, args: [eks, get-token, --cluster-name, prod] }\n';
    const withToken = 'apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: abc\n';
    const secret = await configFrom(job('kube.yml'), { 'kube.yml': withToken });
    expect(() => build({ config: secret, extraFiles: ['kube.yml'] })).toThrow(
      /kubernetes_sd_configs.*kubeconfig_file .*kube\.yml holds a secret: map it in secretFiles instead of extraFiles/,
    );
    const plain = await configFrom(job('kube.yml'), { 'kube.yml': eks });
    expect(() => build({ config: plain, extraFiles: ['kube.yml'] })).not.toThrow();
  });

  it('a plain file neither bundled nor mapped is a warning', async () => {
    const config = await configFrom(
      STATIC_ONLY.replace(
        '  - job_name: web\n',
        '  - job_name: web\n    tls_config: { ca_file: /etc/ssl/ca.pem }\n',
      ),
    );
    const b = build({ config });
    Annotations.fromStack(b.stack).hasWarning(
      '/Test/Scraper',
      Match.stringLikeRegexp('ca_file /etc/ssl/ca.pem is neither in secretFiles nor in extraFiles'),
    );
  });
});

describe('inline secrets are refused unless allowed', () => {
  const cases = [
    {
      name: 'basic_auth password',
      yaml: 'basic_auth: { username: u, password: p }',
      field: 'basicAuth.password',
    },
    { name: 'bearer_token', yaml: 'bearer_token: t', field: 'authorization.credentials' },
    {
      name: 'header secret',
      yaml: 'http_headers: { X-Key: { secrets: [s] } }',
      field: 'httpHeaders.X-Key.secrets[0]',
    },
  ];
  it.each(cases)('$name', async ({ yaml, field }) => {
    const config = await configFrom(
      STATIC_ONLY.replace(
        '  - url: https://receiver.example.com/api/v1/write\n',
        `  - url: https://receiver.example.com/api/v1/write\n    ${yaml}\n`,
      ),
    );
    expect(() => build({ config })).toThrow(
      `holds secrets inline (remote_write "${config.config.remoteWrite[0]!.name}".httpClient.${field})`,
    );
    const b = build({ config, allowInlineSecrets: true });
    Annotations.fromStack(b.stack).hasWarning(
      '/Test/Scraper',
      Match.stringLikeRegexp('bundled in clear'),
    );
  });

  it('an ec2_sd_configs secret_key', async () => {
    const config = await configFrom(`
scrape_configs:
  - job_name: node
    ec2_sd_configs: [{ region: eu-west-1, access_key: AKIA, secret_key: s }]
`);
    expect(() => build({ config })).toThrow(/job "node"\.ec2_sd_configs\[0\]\.secret_key/);
  });
});

describe('files bundled beside the config', () => {
  const SD = `
scrape_config_files: [jobs/*.yml]
scrape_configs:
  - job_name: files
    file_sd_configs:
      - files: [targets/*.json, more/static.yaml]
`;
  const JOB = `
scrape_configs:
  - job_name: from-job-file
    file_sd_configs: [{ files: [../targets/job-*.json] }]
`;

  it('scrape_config_files and file_sd matches keep their place relative to the config', async () => {
    const sc = await configFrom(SD, {
      'jobs/a.yml': JOB,
      'jobs/readme.txt': 'not matched',
      'targets/web.json': '[]',
      'targets/job-x.json': '[]',
      'targets/ignored.txt': '',
      'more/static.yaml': '[]',
    });
    const plan = planBundleFiles(sc, []);
    expect(plan.errors).toEqual([]);
    // targets/job-x.json is matched by both jobs; it is bundled once.
    expect(plan.files.map((f) => f.target)).toEqual([
      'jobs/a.yml',
      'more/static.yaml',
      'targets/job-x.json',
      'targets/web.json',
    ]);
    for (const f of plan.files) expect(f.source).toBe(join(sc.dir, f.target));
  });

  it('extraFiles are added; absolute or outside paths are errors; empty patterns warn', async () => {
    const sc = await configFrom(
      `
scrape_configs:
  - job_name: abs
    file_sd_configs: [{ files: [/etc/prometheus/targets/*.json, nothing/*.json] }]
`,
      { 'ca.pem': 'PEM' },
    );
    const plan = planBundleFiles(sc, ['ca.pem', '../outside.pem', '/abs.pem', 'missing.pem']);
    expect(plan.files.map((f) => f.target)).toEqual(['ca.pem']);
    expect(plan.errors.join('\n')).toMatch(
      /"\/etc\/prometheus\/targets\/\*\.json" is an absolute path/,
    );
    expect(plan.errors.join('\n')).toMatch(/"\.\.\/outside\.pem" does not exist/);
    expect(plan.errors.join('\n')).toMatch(/"\/abs\.pem" must be relative to the config folder/);
    expect(plan.errors.join('\n')).toMatch(/"missing\.pem" does not exist/);
    expect(plan.warnings.join('\n')).toMatch(/nothing\/\*\.json matches no file/);
    expect(() => build({ config: sc })).toThrow(/is an absolute path/);
  });

  it('a file cannot go where the code is (index.mjs, its map, chunks/)', async () => {
    const sc = await configFrom(STATIC_ONLY, {
      'index.mjs': '',
      'chunks/x.json': '{}',
      'chunky.json': '{}',
    });
    const extraFiles = ['index.mjs', 'chunks/x.json', 'chunky.json'];
    expect(() => build({ config: sc, extraFiles })).toThrow(
      /index\.mjs would go where the function's code is \(index\.mjs\); move it/,
    );
    expect(() => build({ config: sc, extraFiles })).toThrow(/\(chunks\/x\.json\); move it/);
    expect(() => build({ config: sc, extraFiles })).not.toThrow(/chunky/);
  });

  it('a file outside the config folder is an error (it cannot keep its place under /var/task)', async () => {
    const dir = tempFolder({ 'conf/prometheus.yml': STATIC_ONLY, 'shared.pem': 'PEM' });
    const sc = await loadScraperConfig(join(dir, 'conf/prometheus.yml'), { env: {} });
    expect(planBundleFiles(sc, ['../shared.pem']).errors).toEqual([
      `extraFiles entry ${join(dir, 'shared.pem')} is outside the config folder ${join(dir, 'conf')}; move it beside the config`,
    ]);
  });
});

describe('permissions derived from the config', () => {
  it.each([
    {
      url: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-12ab/api/v1/remote_write',
      want: { region: 'us-east-1', workspaceId: 'ws-12ab' },
    },
    {
      url: 'https://aps-workspaces-fips.us-gov-west-1.amazonaws.com/workspaces/ws-9/api/v1/remote_write',
      want: { region: 'us-gov-west-1', workspaceId: 'ws-9' },
    },
    {
      url: 'https://aps-workspaces.cn-north-1.amazonaws.com.cn/workspaces/ws-1/api/v1/remote_write',
      want: { region: 'cn-north-1', workspaceId: 'ws-1' },
    },
    {
      url: 'http://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
      want: undefined,
    },
    {
      url: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query',
      want: undefined,
    },
    { url: 'https://prometheus.example.com/api/v1/write', want: undefined },
  ])('AMP URL $url', ({ url, want }) => {
    expect(parseAmpRemoteWriteUrl(url)).toEqual(want);
  });

  it('sigv4 through a VPC endpoint name keeps the workspace from the path', async () => {
    const sc = await configFrom(`
remote_write:
  - url: https://vpce-0a1b.aps-workspaces.eu-central-1.vpce.amazonaws.com/workspaces/ws-77/api/v1/remote_write
    sigv4: {}
`);
    expect(accessFromConfig(sc.config).apsWorkspaces).toEqual([
      { remoteWrite: sc.config.remoteWrite[0]!.name, region: 'eu-central-1', workspaceId: 'ws-77' },
    ]);
  });

  it('another signing service: nothing derived, a warning says so', async () => {
    const sc = await configFrom(`
remote_write:
  - url: https://abc.execute-api.eu-west-1.amazonaws.com/write
    sigv4: { service_name: execute-api }
`);
    const access = accessFromConfig(sc.config);
    expect(access.apsWorkspaces).toEqual([]);
    expect(access.warnings.join()).toMatch(
      /signs for service "execute-api"; no permission is derived/,
    );
  });

  it('a profile cannot work in Lambda: warned', async () => {
    const sc = await configFrom(`
scrape_configs:
  - job_name: node
    ec2_sd_configs: [{ region: eu-west-1, profile: dev }]
`);
    const access = accessFromConfig(sc.config);
    expect(access.ec2DescribeWithOwnRole).toBe(false);
    expect(access.warnings.join()).toMatch(/profile "dev" is read from ~\/\.aws files/);
  });
});
