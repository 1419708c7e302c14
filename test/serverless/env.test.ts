import { describe, expect, it } from 'vitest';
import { parseSecretFilesEnv } from '../../src/aws/secret-files.js';
import {
  readServerlessEnv,
  type ServerlessEnv,
  ServerlessEnvError,
} from '../../src/serverless/env.js';

const REQUIRED = {
  TARGETS_TABLE: 'targets',
  STATE_TABLE: 'state',
  SCRAPE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/scrape',
  OUTBOX_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/outbox',
  OUTBOX_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/1/outbox-dlq',
  DEPLOYMENT_ID: 'stack',
};

const DEFAULTS: ServerlessEnv = {
  configPath: './prometheus.yml',
  targetsTable: 'targets',
  stateTable: 'state',
  scrapeQueueUrl: REQUIRED.SCRAPE_QUEUE_URL,
  outboxQueueUrl: REQUIRED.OUTBOX_QUEUE_URL,
  outboxDlqUrl: REQUIRED.OUTBOX_DLQ_URL,
  outboxMaxAgeMs: 2 * 3_600_000,
  deploymentId: 'stack',
  dynamodbEndpoint: undefined,
  sqsEndpoint: undefined,
  windowMs: 60_000,
  maxTargetsPerTask: 50,
  leadMs: 700,
  logLevel: 'info',
  emfMetrics: false,
  skipUnsupportedDiscovery: false,
  functionName: undefined,
  secretFiles: new Map(),
  secretsManagerEndpoint: undefined,
  runtimeApi: undefined,
  denyCidrs: [],
  memoryMb: undefined,
};

const GRAFANA_ARN = 'arn:aws:secretsmanager:eu-west-1:1:secret:grafana-AbCdEf';

interface Case {
  name: string;
  env: Record<string, string | undefined>;
  want?: Partial<ServerlessEnv>;
  /** Substrings of the error message. */
  errors?: string[];
}

const cases: Case[] = [
  { name: 'required only: defaults', env: REQUIRED, want: {} },
  {
    name: 'a memory size that is not a number',
    env: { ...REQUIRED, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' },
    errors: ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be a positive integer, got "lots"'],
  },
  {
    name: 'a bad deny range',
    env: { ...REQUIRED, LAMBDASCRAPE_DENY_CIDRS: '169.254.0.0/16,metadata' },
    errors: ['LAMBDASCRAPE_DENY_CIDRS: invalid address range "metadata"'],
  },
  {
    name: 'every variable',
    env: {
      ...REQUIRED,
      LAMBDASCRAPE_CONFIG: '/var/task/p.yml',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      SQS_ENDPOINT: 'http://127.0.0.1:4568',
      WINDOW_MS: '30000',
      MAX_TARGETS_PER_TASK: '10',
      SCRAPE_LEAD_MS: '0',
      OUTBOX_MAX_AGE: '1h30m',
      AWS_LAMBDA_FUNCTION_NAME: 'stack-Scraper-1AB2',
      LAMBDASCRAPE_SECRET_FILES: JSON.stringify({
        '/etc/prometheus/secrets/grafana': GRAFANA_ARN,
        'secrets/rw-token': 'amp/token',
      }),
      SECRETS_MANAGER_ENDPOINT: 'http://127.0.0.1:4569',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      LAMBDASCRAPE_DENY_CIDRS: '169.254.0.0/16, fd00:ec2::254',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    },
    want: {
      memoryMb: 1024,
      runtimeApi: '127.0.0.1:9001',
      denyCidrs: ['169.254.0.0/16', 'fd00:ec2::254'],
      leadMs: 0,
      functionName: 'stack-Scraper-1AB2',
      secretFiles: new Map([
        ['/etc/prometheus/secrets/grafana', GRAFANA_ARN],
        ['secrets/rw-token', 'amp/token'],
      ]),
      secretsManagerEndpoint: 'http://127.0.0.1:4569',
      outboxMaxAgeMs: 90 * 60_000,
      configPath: '/var/task/p.yml',
      dynamodbEndpoint: 'http://127.0.0.1:4567',
      sqsEndpoint: 'http://127.0.0.1:4568',
      windowMs: 30_000,
      maxTargetsPerTask: 10,
    },
  },
  { name: 'values trimmed', env: { ...REQUIRED, DEPLOYMENT_ID: ' stack ' }, want: {} },
  { name: 'empty optional = default', env: { ...REQUIRED, WINDOW_MS: '' }, want: {} },
  {
    name: 'nothing set: all required names listed',
    env: {},
    errors: [
      'missing required variables: TARGETS_TABLE, STATE_TABLE, SCRAPE_QUEUE_URL, OUTBOX_QUEUE_URL, OUTBOX_DLQ_URL, DEPLOYMENT_ID',
    ],
  },
  {
    name: 'empty counts as missing',
    env: { ...REQUIRED, DEPLOYMENT_ID: '  ' },
    errors: ['missing required variables: DEPLOYMENT_ID'],
  },
  {
    name: 'bad numbers and endpoint reported with the missing names',
    env: {
      TARGETS_TABLE: 't',
      WINDOW_MS: '1m',
      MAX_TARGETS_PER_TASK: '0',
      SCRAPE_LEAD_MS: '5001',
      SQS_ENDPOINT: 'localhost:1',
      OUTBOX_MAX_AGE: '2 hours',
    },
    errors: [
      'STATE_TABLE, SCRAPE_QUEUE_URL, OUTBOX_QUEUE_URL, OUTBOX_DLQ_URL, DEPLOYMENT_ID',
      'WINDOW_MS must be a positive integer, got "1m"',
      'MAX_TARGETS_PER_TASK must be a positive integer, got "0"',
      'SCRAPE_LEAD_MS must be a whole number of ms from 0 to 5000, got "5001"',
      'OUTBOX_MAX_AGE must be a positive duration like 2h or 90m, got "2 hours"',
      'SQS_ENDPOINT must be an http(s) URL',
    ],
  },
  {
    name: 'missing dead-letter queue alone',
    env: { ...REQUIRED, OUTBOX_DLQ_URL: undefined },
    errors: ['missing required variables: OUTBOX_DLQ_URL'],
  },
  {
    name: 'empty or blank LAMBDASCRAPE_SECRET_FILES and empty object = no secrets',
    env: { ...REQUIRED, LAMBDASCRAPE_SECRET_FILES: ' ', AWS_LAMBDA_FUNCTION_NAME: '' },
    want: {},
  },
  { name: 'secret mapping {}', env: { ...REQUIRED, LAMBDASCRAPE_SECRET_FILES: '{}' }, want: {} },
  {
    name: 'secret file problems listed with the others',
    env: {
      ...REQUIRED,
      DEPLOYMENT_ID: undefined,
      WINDOW_MS: 'x',
      SECRETS_MANAGER_ENDPOINT: 'secretsmanager',
      LAMBDASCRAPE_SECRET_FILES: JSON.stringify({ '/ok': 'fine', '/number': 42, ' /pad': 'x' }),
    },
    errors: [
      'missing required variables: DEPLOYMENT_ID',
      'WINDOW_MS must be a positive integer, got "x"',
      'SECRETS_MANAGER_ENDPOINT must be an http(s) URL, got "secretsmanager"',
      'LAMBDASCRAPE_SECRET_FILES: "/number": secret id must be a string (ARN or name), got number',
      'LAMBDASCRAPE_SECRET_FILES: path " /pad" must not have leading or trailing whitespace',
    ],
  },
  {
    name: 'LAMBDASCRAPE_SECRET_FILES not JSON',
    env: { ...REQUIRED, LAMBDASCRAPE_SECRET_FILES: '{"/a": ' },
    errors: ['LAMBDASCRAPE_SECRET_FILES: not valid JSON ('],
  },
  {
    name: 'LOG_LEVEL debug',
    env: { ...REQUIRED, LOG_LEVEL: 'debug' },
    want: { logLevel: 'debug' },
  },
  { name: 'EMF_METRICS on', env: { ...REQUIRED, EMF_METRICS: 'on' }, want: { emfMetrics: true } },
  {
    name: 'LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY on',
    env: { ...REQUIRED, LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY: 'on' },
    want: { skipUnsupportedDiscovery: true },
  },
  {
    name: 'LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY unknown',
    env: { ...REQUIRED, LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY: 'true' },
    errors: ['LAMBDASCRAPE_SKIP_UNSUPPORTED_DISCOVERY must be on or off, got "true"'],
  },
  {
    name: 'EMF_METRICS unknown',
    env: { ...REQUIRED, EMF_METRICS: 'yes' },
    errors: ['EMF_METRICS must be on or off, got "yes"'],
  },
  {
    name: 'LOG_LEVEL unknown',
    env: { ...REQUIRED, LOG_LEVEL: 'verbose' },
    errors: ['LOG_LEVEL must be one of debug, info, warn, error, got "verbose"'],
  },
  { name: 'empty OUTBOX_MAX_AGE = default', env: { ...REQUIRED, OUTBOX_MAX_AGE: ' ' }, want: {} },
  {
    name: 'OUTBOX_MAX_AGE in minutes',
    env: { ...REQUIRED, OUTBOX_MAX_AGE: '45m' },
    want: { outboxMaxAgeMs: 45 * 60_000 },
  },
  ...['0', '0s', '2H', '-1h', '1.5h', '7200'].map(
    (raw): Case => ({
      name: `OUTBOX_MAX_AGE ${JSON.stringify(raw)} rejected`,
      env: { ...REQUIRED, OUTBOX_MAX_AGE: raw },
      errors: [`OUTBOX_MAX_AGE must be a positive duration like 2h or 90m, got "${raw}"`],
    }),
  ),
];

describe('readServerlessEnv', () => {
  it.each(cases)('$name', ({ env, want, errors }) => {
    if (errors === undefined) {
      expect(readServerlessEnv(env)).toEqual({ ...DEFAULTS, ...want });
      return;
    }
    let thrown: unknown;
    try {
      readServerlessEnv(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ServerlessEnvError);
    const e = thrown as ServerlessEnvError;
    expect(e.code).toBe('SERVERLESS_ENV_INVALID');
    expect(e.problems).toHaveLength(errors.length);
    for (const s of errors) expect(e.message).toContain(s);
  });
});

/**
 * env.ts checks LAMBDASCRAPE_SECRET_FILES without importing src/aws/secrets-manager.ts (which
 * loads the Secrets Manager client); this table holds both to the same rules and texts.
 */
describe('LAMBDASCRAPE_SECRET_FILES: the same answers as parseSecretFilesEnv', () => {
  const raws: { name: string; raw: string }[] = [
    { name: 'blank', raw: '  ' },
    { name: 'empty object', raw: '{}' },
    { name: 'valid', raw: JSON.stringify({ '/a': 'x', 'rel/b': GRAFANA_ARN, '/c': 'x' }) },
    { name: 'not JSON', raw: '{"/a": ' },
    { name: 'array', raw: '["/a"]' },
    { name: 'null', raw: 'null' },
    { name: 'number', raw: '42' },
    {
      name: 'every bad entry',
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
        '  ': 7,
      }),
    },
  ];
  it.each(raws)('$name', ({ raw }) => {
    let want: { mapping?: ReadonlyMap<string, string>; problems?: readonly string[] };
    try {
      want = { mapping: parseSecretFilesEnv(raw) };
    } catch (err) {
      want = { problems: (err as { problems: readonly string[] }).problems };
    }
    try {
      const env = readServerlessEnv({ ...REQUIRED, LAMBDASCRAPE_SECRET_FILES: raw });
      expect({ mapping: env.secretFiles }).toEqual(want);
    } catch (err) {
      expect(err).toBeInstanceOf(ServerlessEnvError);
      expect({ problems: (err as ServerlessEnvError).problems }).toEqual({
        problems: want.problems?.map((p) => `LAMBDASCRAPE_SECRET_FILES: ${p}`),
      });
    }
  });
});
