/**
 * An in-process dynalite (DynamoDB stand-in, docs/testing.md) for tests and benches:
 * real `@aws-sdk/client-dynamodb` requests over loopback. No transactions, no TTL.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface Dynalite {
  readonly endpoint: string;
  /** A client for this endpoint (fixed region and dummy credentials). */
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    client() {
      const c = new DynamoDBClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Key schemas of the project's tables. */
export const KEY_SCHEMAS = {
  /** Scrape state (+ window ledger): pk + sk. */
  state: { pk: 'S', sk: 'S' },
  /** Targets: pk only. */
  targets: { pk: 'S' },
} as const;

/**
 * Creates an on-demand table; `keySchema` maps attribute names to types, the first entry is
 * the partition key and the second, if any, the sort key.
 */
export async function createTable(
  client: DynamoDBClient,
  name: string,
  keySchema: Readonly<Record<string, 'S' | 'N' | 'B'>>,
): Promise<void> {
  const entries = Object.entries(keySchema);
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: entries.map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType,
      })),
      KeySchema: entries.map(
        ([AttributeName], i): KeySchemaElement => ({
          AttributeName,
          KeyType: i === 0 ? 'HASH' : 'RANGE',
        }),
      ),
    }),
  );
}
