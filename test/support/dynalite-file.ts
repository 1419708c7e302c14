/**
 * One dynalite (test/support/dynalite.ts) per test file, for the DynamoDB adapter tests: started
 * before the file's tests, stopped after them.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createTable, type Dynalite, KEY_SCHEMAS, startDynalite } from './dynalite.js';

export interface DynaliteFile {
  /** The server, for clients of a test's own. Throws outside the file's tests. */
  readonly db: Dynalite;
  /** A client of the server. Throws outside the file's tests. */
  readonly client: DynamoDBClient;
  /** The name of every command {@link client} has sent, in order. */
  readonly sent: readonly string[];
  /** A table with a fresh name; `keySchema` as `createTable` takes it. */
  newTable(keySchema?: Readonly<Record<string, 'S' | 'N' | 'B'>>): Promise<string>;
}

/** Call at the top level of a test file. */
export function dynaliteForFile(): DynaliteFile {
  let started: { db: Dynalite; client: DynamoDBClient } | undefined;
  const sent: string[] = [];
  beforeAll(async () => {
    const db = await startDynalite();
    const client = db.client();
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    started = { db, client };
  });
  afterAll(async () => {
    await started?.db.stop();
  });
  const get = () => {
    if (started === undefined) throw new Error('dynalite runs only during the file’s tests');
    return started;
  };
  return {
    get db() {
      return get().db;
    },
    get client() {
      return get().client;
    },
    sent,
    async newTable(keySchema = KEY_SCHEMAS.state) {
      const name = `t-${randomUUID()}`;
      await createTable(get().client, name, keySchema);
      return name;
    },
  };
}
