/**
 * Secrets Manager → credential-file overlay (src/aws/secrets-manager.ts), with the real
 * `SecretsManagerClient` against a local stand-in that speaks the AWS JSON 1.1 protocol for
 * GetSecretValue (as TESTING.md does for EC2's Query API): `X-Amz-Target:
 * secretsmanager.GetSecretValue`, body `{"SecretId": …}`, answer `{"ARN","Name","SecretString"}`
 * (or `SecretBinary` base64) or a 400 `{"__type": "ResourceNotFoundException", "message": …}`.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { createLogger } from '../../src/local/logger.js';

// ---------------------------------------------------------------------------------------------
// A local stand-in for Secrets Manager's GetSecretValue (JSON 1.1).
// ---------------------------------------------------------------------------------------------

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const arnOf = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

interface StoredSecret {
  readonly name: string;
  readonly string?: string;
  readonly binary?: Uint8Array;
}

interface Recorded {
  readonly target: string;
  readonly contentType: string;
  readonly secretId: unknown;
  readonly signed: boolean;
}

let server: Server;
let endpoint: string;
/** Secrets by name and by ARN. */
const store = new Map<string, StoredSecret>();
/** Ids answered with AccessDeniedException instead. */
const denied = new Set<string>();
const recorded: Recorded[] = [];
let inFlight = 0;
let maxInFlight = 0;
/** Delay before each answer, so concurrent requests overlap. */
const ANSWER_DELAY_MS = 50;

function putSecret(name: string, value: { string?: string; binary?: Uint8Array }): string {
  const secret: StoredSecret = { name, ...value };
  store.set(name, secret);
  store.set(arnOf(name), secret);
  return arnOf(name);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = (status: number, body: unknown) => {
        setTimeout(() => {
          inFlight--;
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(body));
        }, ANSWER_DELAY_MS);
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      let input: { SecretId?: unknown } = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown };
      } catch {
        // recorded as undefined below
      }
      recorded.push({
        target,
        contentType: String(req.headers['content-type'] ?? ''),
        secretId: input.SecretId,
        signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      });
      if (target !== 'secretsmanager.GetSecretValue') {
        answer(400, { __type: 'UnknownOperationException', message: target });
        return;
      }
      const id = String(input.SecretId);
      if (denied.has(id)) {
        answer(400, {
          __type: 'AccessDeniedException',
          message: `User is not authorized to perform secretsmanager:GetSecretValue on ${id}`,
        });
        return;
      }
      const secret = store.get(id);
      if (secret === undefined) {
        answer(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      answer(200, {
        ARN: arnOf(secret.name),
        Name: secret.name,
        VersionId: randomUUID(),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
        ...(secret.string !== undefined ? { SecretString: secret.string } : {}),
        ...(secret.binary !== undefined
          ? { SecretBinary: Buffer.from(secret.binary).toString('base64') }
          : {}),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let client: SecretsManagerClient;
beforeEach(() => {
  store.clear();
  denied.clear();
  recorded.length = 0;
  maxInFlight = 0;
  client = new SecretsManagerClient({
    endpoint,
    region: REGION,
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
    const grafana = putSecret('grafana', { string: 'gr4f4na-pw\n' });
    putSecret('prod/bearer', { string: 'bearer-token-value' });
    putSecret('tls/key', { binary: new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\n') });
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

    expect(recorded.map((r) => r.secretId).sort()).toEqual([grafana, 'prod/bearer', 'tls/key']);
    for (const r of recorded) {
      expect(r).toMatchObject({
        target: 'secretsmanager.GetSecretValue',
        contentType: 'application/x-amz-json-1.1',
        signed: true,
      });
    }
    expect(maxInFlight).toBe(3);
  });

  it('fails naming every unreadable secret (id, paths, SDK error name), installing nothing', async () => {
    const value = `present-${randomUUID()}`;
    const present = putSecret('present', { string: value });
    putSecret('forbidden', { string: `forbidden-${randomUUID()}` });
    denied.add('forbidden');
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
    expect(recorded).toEqual([]);
  });
});

describe('from the environment to the request, without a value in any message or log line', () => {
  it('an unchanged prometheus.yml gets its credentials from Secrets Manager', async () => {
    const scrapePw = `scrape-${randomUUID()}`;
    const rwToken = `rw-${randomUUID()}`;
    const grafana = putSecret('grafana', { string: `${scrapePw}\n` });
    putSecret('amp/token', { string: rwToken });
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
