/**
 * The adapters of delivery, which the scraper and outbox functions share: the outbox queue
 * (the worker parks writes there, the replayer sets their backoff) and the delivery backlog
 * (decision 13: held by the worker, released by the replayer).
 */
import { DynamoDbDeliveryBacklog } from '../aws/dynamodb-delivery-backlog.js';
import { SqsOutbox } from '../aws/sqs-outbox.js';
import type { RuntimeBase } from './runtime.js';

export interface DeliveryAdapters {
  readonly outbox: SqsOutbox;
  /** Which streams queue behind parked writes. */
  readonly backlog: DynamoDbDeliveryBacklog;
}

export function deliveryAdapters(base: RuntimeBase): DeliveryAdapters {
  return {
    outbox: new SqsOutbox(base.sqs, base.env.outboxQueueUrl),
    backlog: new DynamoDbDeliveryBacklog(base.dynamodb, base.env.stateTable),
  };
}
