/**
 * Secrets Manager → credential-file overlay (src/aws/secrets-manager.ts), with the real
 * `SecretsManagerClient` against the local GetSecretValue stand-in of
 * test/support/secrets-manager-server.ts (AWS JSON 1.1).
 */

import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  loadSecretFiles,
  parseSecretFilesEnv,
  referencedSecretIds,
  SECRET_FILES_ERROR_CODES,
  SecretFilesError,
} from '../../src/aws/secrets-manager.js';
import { loadConfig } from '../../src/config/index.js';
import { requestHeaders } from '../../src/http/client.js';
import {
  clearCredentialFiles,
  credentialFilePaths,
  installCredentialFiles,
  lookupCredentialFile,
} from '../../src/http/credential-files.js';
import { createLogger } from '../../src/log/logger.js';
import {
  arnOf,
  SECRETS_REGION,
  type SecretsManagerStandIn,
  startSecretsManager,
} from '../support/secrets-manager-server.js';

let sm: SecretsManagerStandIn;

beforeAll(async () => {
  sm = await startSecretsManager();
});

afterAll(async () => {
  await sm.close();
});

let client: SecretsManagerClient;
beforeEach(() => {
  sm.reset();
  client = new SecretsManagerClient({
    endpoint: sm.endpoint,
    region: SECRETS_REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});
afterEach(() => {
  client.destroy();
  clearCredentialFiles();
});

/** Every message in an error and its causes (AggregateError members included). */
function messagesOf(err: unknown, out: string[] = []): string[] {
  if (err instanceof AggregateError) for (const e of err.errors) messagesOf(e, out);
  if (err instanceof Error) {
    out.push(err.message, err.stack ?? '');
    if (err.cause !== undefined) messagesOf(err.cause, out);
  } else out.push(String(err));
  return out;
}

async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------

describe('parseSecretFilesEnv', () => {
  it.each([
    { name: 'unset', raw: undefined },
    { name: 'empty', raw: '' },
    { name: 'blank', raw: '  \n' },
    { name: 'empty object', raw: '{}' },
  ])('$name → no secrets', ({ raw }) => {
    expect(parseSecretFilesEnv(raw).size).toBe(0);
  });

  it('maps paths exactly as written to secret ids', () => {
    const raw = JSON.stringify({
      '/etc/prometheus/secrets/grafana': arnOf('grafana'),
      'secrets/rw token': 'prod/remote-write',
    });
    expect([...parseSecretFilesEnv(raw)]).toEqual([
      ['/etc/prometheus/secrets/grafana', arnOf('grafana')],
      ['secrets/rw token', 'prod/remote-write'],
    ]);
  });

  it.each([
    { name: 'not JSON', raw: '{"/a": ', problems: [expect.stringMatching(/^not valid JSON \(/)] },
    {
      name: 'an array',
      raw: '["/a"]',
      problems: ['must be a JSON object {"<path>": "<secret ARN or name>"}, got array'],
    },
    {
      name: 'null',
      raw: 'null',
      problems: ['must be a JSON object {"<path>": "<secret ARN or name>"}, got null'],
    },
    {
      name: 'a string',
      raw: '"arn:x"',
      problems: ['must be a JSON object {"<path>": "<secret ARN or name>"}, got string'],
    },
    {
      name: 'every bad entry listed',
      raw: JSON.stringify({
        '/ok': 'fine',
        '': 'id-1',
        ' /padded': 'id-2',
        '/number': 42,
        '/empty': '',
        '/blank-id': '  ',
        '/padded-id': ' id-3',
        '/object': { arn: 'x' },
        '/null': null,
      }),
      problems: [
        'path "" must not be empty',
        'path " /padded" must not have leading or trailing whitespace',
        '"/number": secret id must be a string (ARN or name), got number',
        '"/empty": secret id must not be empty',
        '"/blank-id": secret id must not be empty',
        '"/padded-id": secret id " id-3" must not have leading or trailing whitespace',
        '"/object": secret id must be a string (ARN or name), got object',
        '"/null": secret id must be a string (ARN or name), got null',
      ],
    },
  ])('rejects $name, listing every problem', ({ raw, problems }) => {
    let err: unknown;
    try {
      parseSecretFilesEnv(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretFilesError);
    expect(err).toMatchObject({ code: SECRET_FILES_ERROR_CODES.invalidEnv, problems });
    const e = err as SecretFilesError;
    expect(e.message).toBe(`invalid LAMBDASCRAPE_SECRET_FILES: ${e.problems.join('; ')}`);
  });
});

describe('referencedSecretIds', () => {
  it('lists each secret once, sorted, from a mapping or a plain object', () => {
    const env = { '/b': 'z-secret', '/a': arnOf('grafana'), '/c': 'z-secret' };
    const want = [arnOf('grafana'), 'z-secret'];
    expect(referencedSecretIds(env)).toEqual(want);
    expect(referencedSecretIds(parseSecretFilesEnv(JSON.stringify(env)))).toEqual(want);
  });
});

describe('loadSecretFiles', () => {
  it('fetches each secret once, concurrently, and installs string and binary values', async () => {
    const grafana = sm.putSecret('grafana', { string: 'gr4f4na-pw\n' });
    sm.putSecret('prod/bearer', { string: 'bearer-token-value' });
    sm.putSecret('tls/key', { binary: new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\n') });
    const mapping = parseSecretFilesEnv(
      JSON.stringify({
        '/etc/prometheus/secrets/grafana': grafana,
        'secrets/grafana-copy': grafana,
        'secrets/../secrets/bearer': 'prod/bearer',
        '/etc/prometheus/tls/client.key': 'tls/key',
      }),
    );

    const loaded = await loadSecretFiles(client, mapping, '/etc/prometheus');

    expect(loaded).toEqual({
      paths: [
        '/etc/prometheus/secrets/bearer',
        '/etc/prometheus/secrets/grafana',
        '/etc/prometheus/secrets/grafana-copy',
        '/etc/prometheus/tls/client.key',
      ],
      secretIds: [grafana, 'prod/bearer', 'tls/key'],
    });
    expect(credentialFilePaths()).toEqual(loaded.paths);
    expect(lookupCredentialFile('/etc/prometheus/secrets/grafana')).toBe('gr4f4na-pw\n');
    expect(lookupCredentialFile('/etc/prometheus/secrets/grafana-copy')).toBe('gr4f4na-pw\n');
    expect(lookupCredentialFile('/etc/prometheus/secrets/bearer')).toBe('bearer-token-value');
    expect(lookupCredentialFile('/etc/prometheus/tls/client.key')).toBe(
      '-----BEGIN PRIVATE KEY-----\n',
    );

    expect(sm.recorded.map((r) => r.secretId).sort()).toEqual([grafana, 'prod/bearer', 'tls/key']);
    for (const r of sm.recorded) {
      expect(r).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        contentType: 'application/x-amz-json-1.1',
        signed: true,
      });
    }
    expect(sm.maxInFlight).toBe(3);
  });

  it('fails naming every unreadable secret (id, paths, SDK error name), installing nothing', async () => {
    const value = `present-${randomUUID()}`;
    const present = sm.putSecret('present', { string: value });
    sm.putSecret('forbidden', { string: `forbidden-${randomUUID()}` });
    sm.denied.add('forbidden');
    installCredentialFiles({ '/earlier': 'kept' });

    const mapping = parseSecretFilesEnv(
      JSON.stringify({
        '/etc/prometheus/secrets/present': present,
        '/etc/prometheus/secrets/missing': 'prod/missing',
        'secrets/forbidden': 'forbidden',
      }),
    );
    const err = await rejectionOf(loadSecretFiles(client, mapping, '/etc/prometheus'));

    expect(err).toBeInstanceOf(SecretFilesError);
    expect(err).toMatchObject({
      code: SECRET_FILES_ERROR_CODES.unreadable,
      problems: [
        'secret "forbidden" (for /etc/prometheus/secrets/forbidden): AccessDeniedException',
        'secret "prod/missing" (for /etc/prometheus/secrets/missing): ResourceNotFoundException',
      ],
    });
    const cause = (err as SecretFilesError).cause;
    expect(cause).toBeInstanceOf(AggregateError);
    expect((cause as AggregateError).errors.map((e: Error) => e.name)).toEqual([
      'AccessDeniedException',
      'ResourceNotFoundException',
    ]);
    // Nothing new installed; the previous overlay stands.
    expect(credentialFilePaths()).toEqual(['/earlier']);
    for (const text of messagesOf(err)) {
      expect(text).not.toContain(value);
      expect(text).not.toContain('forbidden-');
    }
  });

  it('one missing secret: the SDK error is the cause', async () => {
    const err = await rejectionOf(
      loadSecretFiles(client, new Map([['/s/x', 'nope']]), '/etc/prometheus'),
    );
    expect(err).toMatchObject({
      code: SECRET_FILES_ERROR_CODES.unreadable,
      message:
        'cannot read secrets for credential files: secret "nope" (for /s/x): ResourceNotFoundException',
      cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
    });
  });

  it('refuses two paths of one file mapped to different secrets, before any request', async () => {
    const mapping = parseSecretFilesEnv(
      JSON.stringify({ '/etc/prometheus/secrets/a': 'one', 'secrets/a': 'two' }),
    );
    await expect(loadSecretFiles(client, mapping, '/etc/prometheus')).rejects.toMatchObject({
      code: SECRET_FILES_ERROR_CODES.invalidEnv,
      problems: [
        '"secrets/a" resolves to /etc/prometheus/secrets/a, already mapped to secret "one"',
      ],
    });
    expect(sm.recorded).toEqual([]);
  });
});

describe('from the environment to the request, without a value in any message or log line', () => {
  it('an unchanged prometheus.yml gets its credentials from Secrets Manager', async () => {
    const scrapePw = `scrape-${randomUUID()}`;
    const rwToken = `rw-${randomUUID()}`;
    const grafana = sm.putSecret('grafana', { string: `${scrapePw}\n` });
    sm.putSecret('amp/token', { string: rwToken });
    const yaml = `
scrape_configs:
  - job_name: node
    basic_auth: {username: grafana, password_file: /etc/prometheus/secrets/grafana}
    static_configs: [{targets: ['127.0.0.1:9100']}]
remote_write:
  - url: https://example.test/api/v1/write
    authorization: {credentials_file: secrets/rw-token}
`;
    const env = JSON.stringify({
      '/etc/prometheus/secrets/grafana': grafana,
      'secrets/rw-token': 'amp/token',
    });
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', write: (l) => lines.push(l) });

    const loaded = await loadSecretFiles(client, parseSecretFilesEnv(env), '/etc/prometheus');
    logger.info('credential files from Secrets Manager', { ...loaded });
    const config = loadConfig(yaml, { sourcePath: '/etc/prometheus/prometheus.yml' });
    const scrapeHttp = config.scrapeConfigs[0]?.httpClient;
    const rwHttp = config.remoteWrite[0]?.httpClient;
    if (scrapeHttp === undefined || rwHttp === undefined) throw new Error('config incomplete');

    expect(await requestHeaders(scrapeHttp)).toEqual({
      authorization: `Basic ${Buffer.from(`grafana:${scrapePw}`).toString('base64')}`,
    });
    expect(await requestHeaders(rwHttp)).toEqual({ authorization: `Bearer ${rwToken}` });

    // A later failure logged the usual way.
    const failed = await rejectionOf(
      loadSecretFiles(
        client,
        new Map([
          ['/etc/prometheus/secrets/grafana', grafana],
          ['/etc/prometheus/secrets/gone', 'gone'],
        ]),
        '/etc/prometheus',
      ),
    );
    logger.error('cannot start', { err: failed });
    expect(lines).toHaveLength(2);
    for (const text of [...lines, ...messagesOf(failed)]) {
      expect(text).not.toContain(scrapePw);
      expect(text).not.toContain(rwToken);
    }
    expect(lines[0]).toContain('/etc/prometheus/secrets/rw-token');
    expect(lines[1]).toContain('ResourceNotFoundException');
  });
});
