/**
 * The adapters of planning, which the discovery and dispatcher functions share: the targets
 * table and the scrape queue (discovery queues retire tasks, the dispatcher scrape tasks).
 */
import { DynamoDbTargetStore } from '../aws/dynamodb-target-store.js';
import { SqsTaskQueue } from '../aws/sqs-task-queue.js';
import type { RuntimeBase } from './runtime.js';

export interface PlanningAdapters {
  readonly targets: DynamoDbTargetStore;
  readonly queue: SqsTaskQueue;
}

export function planningAdapters(base: RuntimeBase): PlanningAdapters {
  return {
    targets: new DynamoDbTargetStore(base.dynamodb, base.env.targetsTable),
    queue: new SqsTaskQueue(base.sqs, base.env.scrapeQueueUrl),
  };
}
