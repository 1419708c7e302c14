/**
 * The standard process and Node.js runtime metrics for the runner's `/metrics`, from prom-client's
 * default collectors: `process_cpu_seconds_total` (and its user/system parts),
 * `process_start_time_seconds`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`
 * and `process_heap_bytes` (Linux), `process_open_fds`, `process_max_fds` (Linux), and
 * `nodejs_*` (event loop lag, active handles/requests/resources, heap sizes and spaces, GC
 * durations, `nodejs_version_info`) — the names every Node.js dashboard expects.
 *
 * They describe the process, not a runner, so one registry serves every runner of the process;
 * it is made on the first render (the collectors start an event-loop delay monitor and a GC
 * observer then, never before).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/** The families in the text format 0.0.4, one line per row, ending with a newline. */
export async function processMetricsText(): Promise<string> {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  const text = await registry.metrics();
  // prom-client separates families with an empty line; our registry writes none.
  return `${text
    .split('\n')
    .filter((line) => line !== '')
    .join('\n')}\n`;
}
