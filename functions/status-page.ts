/** The optional status page behind a function URL: the targets page from the tables (src/serverless/status-page.ts). */
import { createDynamoDbClient } from '../src/aws/clients.js';
import { createLogger } from '../src/log/logger.js';
import {
  type FunctionUrlEvent,
  handleStatusPage,
  statusPageTables,
} from '../src/serverless/status-page.js';

const tables = statusPageTables(process.env);
const client = createDynamoDbClient();
const logger = createLogger({ format: 'json', write: (line) => process.stdout.write(line) });

export const handler = async (event: FunctionUrlEvent) =>
  handleStatusPage(event, {
    client,
    tables,
    now: Date.now,
    logError: (msg, error) => logger.error(msg, { error: String(error) }),
  });
