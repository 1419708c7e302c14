/**
 * LAMBDASCRAPE_SECRET_FILES at container start (src/serverless/runtime.ts): the secrets are
 * fetched from a local Secrets Manager (test/support/secrets-manager-server.ts) before the
 * config is loaded, and the remote write then authenticates with them; the prometheus.yml names
 * only file paths that do not exist on disk.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_FILES_ERROR_CODES, SecretFilesError } from '../../src/aws/secrets-manager.js';
import { clearCredentialFiles, credentialFilePaths } from '../../src/http/credential-files.js';
import { createRuntime, type ServerlessRuntime } from '../../src/serverless/all-functions.js';
import { handleDispatch } from '../../src/serverless/dispatcher.js';
import { startReceiver, type TestReceiver } from '../remotewrite/wire.js';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from '../support/dynalite.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';
import {
  SECRETS_REGION,
  type SecretsManagerStandIn,
  startSecretsManager,
} from '../support/secrets-manager-server.js';
import {
  type LocalServerlessVars,
  type LogLine,
  localRuntimeOptions,
  localServerlessEnv,
} from '../support/serverless-env.js';

describe('createRuntime with LAMBDASCRAPE_SECRET_FILES', () => {
  let dir: string;
  let sm: SecretsManagerStandIn;
  let dynamo: Dynalite;
  let sqs: LocalSqs;
  let receiver: TestReceiver;
  let base: LocalServerlessVars;
  const TOKEN = `rw-token-${process.pid}-${Date.now()}`;
  const lines: LogLine[] = [];
  const options = localRuntimeOptions(lines, { region: SECRETS_REGION });
  const serverlessEnv = (vars: Record<string, string> = {}) =>
    localServerlessEnv({ dynamo, sqs }, { ...base, ...vars });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-runtime-secrets-'));
    sm = await startSecretsManager({ answerDelayMs: 0 });
    receiver = await startReceiver();
    dynamo = await startDynalite();
    sqs = await startLocalSqs();
    await createTable(dynamo.client(), 'targets', KEY_SCHEMAS.targets);
    await createTable(dynamo.client(), 'state', KEY_SCHEMAS.state);
    // A relative credentials_file: resolved against the config's folder, like the loader does.
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'remote_write:',
        `  - url: ${receiver.url}`,
        '    authorization: { credentials_file: secrets/rw-token }',
        'scrape_configs: []',
        '',
      ].join('\n'),
    );
    base = {
      LAMBDASCRAPE_CONFIG: join(dir, 'prometheus.yml'),
      SCRAPE_QUEUE_URL: (await createQueue(sqs.client)).url,
      OUTBOX_QUEUE_URL: (await createQueue(sqs.client)).url,
      OUTBOX_DLQ_URL: (await createQueue(sqs.client)).url,
      SECRETS_MANAGER_ENDPOINT: sm.endpoint,
    };
  });

  afterEach(() => {
    clearCredentialFiles();
    sm.reset();
    lines.length = 0;
  });

  afterAll(async () => {
    await sqs?.stop();
    await dynamo?.stop();
    await receiver?.close();
    await sm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches the mapped secrets at start; the remote write authenticates with them', async () => {
    const arn = sm.putSecret('amp/token', { string: `${TOKEN}\n` });
    const env = serverlessEnv({
      LAMBDASCRAPE_SECRET_FILES: JSON.stringify({ 'secrets/rw-token': arn }),
    });
    let runtime: ServerlessRuntime | undefined;
    try {
      runtime = await createRuntime(env, options);
      expect(sm.recorded).toMatchObject([
        { target: 'secretsmanager.GetSecretValue', secretId: arn, signed: true },
      ]);
      const path = join(dir, 'secrets/rw-token');
      expect(credentialFilePaths()).toEqual([path]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: 'credential files from Secrets Manager',
          paths: [path],
          secretIds: [arn],
        }),
      );

      // A dispatch invocation flushes its self-metrics through the remote write.
      await handleDispatch(runtime);
      expect(receiver.requests.length).toBeGreaterThan(0);
      for (const r of receiver.requests) {
        expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      }
    } finally {
      await runtime?.close();
    }
    for (const l of lines) expect(JSON.stringify(l)).not.toContain(TOKEN);
  });

  it('a secret it cannot read fails the runtime with the module error, naming no value', async () => {
    sm.putSecret('present', { string: TOKEN });
    const env = serverlessEnv({
      LAMBDASCRAPE_SECRET_FILES: JSON.stringify({
        'secrets/rw-token': 'present',
        '/etc/prometheus/secrets/gone': 'prod/gone',
      }),
    });
    const err = await createRuntime(env, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SecretFilesError);
    expect(err).toMatchObject({
      code: SECRET_FILES_ERROR_CODES.unreadable,
      problems: [
        'secret "prod/gone" (for /etc/prometheus/secrets/gone): ResourceNotFoundException',
      ],
    });
    expect((err as Error).message).not.toContain(TOKEN);
    expect(credentialFilePaths()).toEqual([]);
  });

  it('no mapping: no request to Secrets Manager', async () => {
    const runtime = await createRuntime(serverlessEnv(), options);
    await runtime.close();
    expect(sm.recorded).toEqual([]);
    expect(lines.some((l) => l.msg === 'credential files from Secrets Manager')).toBe(false);
  });
});
