/**
 * Creating the project's tables on a DynamoDB stand-in (dynalite) for `lambdascrape simulate`;
 * a deployment's tables come from the CDK app (infra/lambda-scraper.ts) instead.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Creates an on-demand table keyed by `keys`: the partition key, then the sort key if any,
 * both strings. SDK errors (the table exists, the endpoint is down) propagate.
 */
export async function createTable(
  client: DynamoDBClient,
  name: string,
  keys: readonly string[],
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keys.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: keys.map((AttributeName, i) => ({
        AttributeName,
        KeyType: i === 0 ? 'HASH' : 'RANGE',
      })),
    }),
  );
}
