/**
 * The adapters' cumulative counters turned into a function's self-metrics: each call observes
 * the increase since the function's last look (`SelfMonitoring.increase`).
 */
import { EGRESS_REFUSAL_REASONS, egressRefusals } from '../http/egress-guard.js';
import type { CapacityUnits, SelfMetrics, SqsQueue } from '../pipeline/self-metrics.js';
import type { SelfMonitoring } from './self-monitoring.js';

/** Messages an SQS adapter sent since the last look. */
export function observeSqsSent(
  monitoring: SelfMonitoring,
  metrics: SelfMetrics,
  queue: SqsQueue,
  total: number,
): void {
  metrics.observeSqsMessagesSent(queue, monitoring.increase(`sqs:${queue}`, total));
}

/**
 * Connections the egress guard refused since the last look (its counters are per process, so
 * in `simulate`, where the functions share one, the function that looks first counts them).
 */
export function observeEgress(monitoring: SelfMonitoring, metrics: SelfMetrics): void {
  const totals = egressRefusals();
  for (const reason of EGRESS_REFUSAL_REASONS) {
    metrics.observeEgressRefused(reason, monitoring.increase(`egress:${reason}`, totals[reason]));
  }
}

/** Capacity a DynamoDB adapter consumed since the last look (`consumedCapacity()` totals). */
export function observeCapacity(
  monitoring: SelfMonitoring,
  metrics: SelfMetrics,
  adapter: 'targets' | 'ledger' | 'states' | 'health' | 'dropped',
  totals: CapacityUnits,
): void {
  metrics.observeDynamoDbCapacity({
    readUnits: monitoring.increase(`dynamodb:${adapter}:read`, totals.readUnits),
    writeUnits: monitoring.increase(`dynamodb:${adapter}:write`, totals.writeUnits),
  });
}
