import { loadCheckedConfig } from '../config/load-file.js';
import { discoveryCheck, SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import { formatSeries, labelsToRecord } from '../model/labels.js';
import { type CommandSpec, parseCommand } from './command.js';
import { discoveryDepsFromEnv } from './discovery-deps.js';
import { type CliIo, UsageError } from './io.js';
import { resolveTargets } from './job-targets.js';

/**
 * `targets --config FILE [--json]`: active targets (job, URL, final labels) and dropped ones
 * (discovered labels). `--json` prints `[{job, url, labels, discoveredLabels, state}]`.
 */
export const TARGETS_COMMAND = {
  name: 'targets',
  summary: 'run service discovery and target relabeling once; list active and dropped targets',
  options: {
    config: { type: 'string', value: 'FILE', help: 'the prometheus.yml' },
    json: {
      type: 'boolean',
      default: false,
      help: 'print JSON: [{job, url, labels, discoveredLabels, state}]',
    },
    [SKIP_UNSUPPORTED_DISCOVERY_FLAG]: {
      type: 'boolean',
      default: false,
      help: 'skip, with a warning, each job whose only service discovery lambdascrape lacks',
    },
  },
} as const satisfies CommandSpec;

export async function targetsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(TARGETS_COMMAND, args);
  if (values.config === undefined) throw new UsageError('targets needs --config FILE');
  const config = await loadCheckedConfig(
    values.config,
    io.env,
    discoveryCheck({ skipUnsupportedDiscovery: values[SKIP_UNSUPPORTED_DISCOVERY_FLAG] }),
  );
  const jobs = await resolveTargets(config, undefined, discoveryDepsFromEnv(io.env));
  if (values.json) {
    const rows = jobs.flatMap((j) => [
      ...j.active.map((t) => ({
        job: t.job,
        url: t.url,
        labels: labelsToRecord(t.publicLabels),
        discoveredLabels: labelsToRecord(t.discoveredLabels),
        state: 'active',
      })),
      ...j.dropped.map((d) => ({
        job: d.job,
        url: null,
        labels: {},
        discoveredLabels: labelsToRecord(d.discoveredLabels),
        state: 'dropped',
      })),
    ]);
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    for (const j of jobs) {
      io.stdout(`job ${j.job.jobName}: ${j.active.length} active, ${j.dropped.length} dropped\n`);
      for (const t of j.active) io.stdout(`  active  ${t.url}  ${formatSeries(t.publicLabels)}\n`);
      for (const d of j.dropped) io.stdout(`  dropped ${formatSeries(d.discoveredLabels)}\n`);
    }
  }
  let failed = false;
  for (const j of jobs) {
    if (j.forcedError !== undefined) io.stderr(`job ${j.job.jobName}: ${j.forcedError}\n`);
    for (const e of j.errors) {
      failed = true;
      io.stderr(`job ${j.job.jobName}: ${e}\n`);
    }
  }
  return failed ? 1 : 0;
}
