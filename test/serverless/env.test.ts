import { describe, expect, it } from 'vitest';
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
  DEPLOYMENT_ID: 'stack',
};

const DEFAULTS: ServerlessEnv = {
  configPath: './prometheus.yml',
  targetsTable: 'targets',
  stateTable: 'state',
  scrapeQueueUrl: REQUIRED.SCRAPE_QUEUE_URL,
  outboxQueueUrl: REQUIRED.OUTBOX_QUEUE_URL,
  deploymentId: 'stack',
  dynamodbEndpoint: undefined,
  sqsEndpoint: undefined,
  windowMs: 60_000,
  maxTargetsPerTask: 50,
};

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
    name: 'every variable',
    env: {
      ...REQUIRED,
      LAMBDASCRAPE_CONFIG: '/var/task/p.yml',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      SQS_ENDPOINT: 'http://127.0.0.1:4568',
      WINDOW_MS: '30000',
      MAX_TARGETS_PER_TASK: '10',
    },
    want: {
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
      'missing required variables: TARGETS_TABLE, STATE_TABLE, SCRAPE_QUEUE_URL, OUTBOX_QUEUE_URL, DEPLOYMENT_ID',
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
      SQS_ENDPOINT: 'localhost:1',
    },
    errors: [
      'STATE_TABLE, SCRAPE_QUEUE_URL, OUTBOX_QUEUE_URL, DEPLOYMENT_ID',
      'WINDOW_MS must be a positive integer, got "1m"',
      'MAX_TARGETS_PER_TASK must be a positive integer, got "0"',
      'SQS_ENDPOINT must be an http(s) URL',
    ],
  },
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
