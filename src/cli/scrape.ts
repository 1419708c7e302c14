import { loadCheckedConfig } from '../config/load-file.js';
import { discoveryCheck, SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import { formatSampleLine } from '../exposition/index.js';
import { createDispatcher } from '../http/client.js';
import { getLabel } from '../model/labels.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../scrape/state.js';
import { type CommandSpec, closest, parseCommand } from './command.js';
import { discoveryDepsFromEnv } from './discovery-deps.js';
import { type CliIo, UsageError } from './io.js';
import { resolveTargets } from './job-targets.js';

/**
 * `scrape --config FILE --job JOB [--target ADDRESS]`: scrapes the job's targets (or the one
 * whose `__address__` is ADDRESS) once, now, and prints every resulting series, report series
 * included, as `name{labels} value timestamp`. Exit 1 when a target was down.
 */
export const SCRAPE_COMMAND = {
  name: 'scrape',
  summary: "scrape a job's targets once, now, and print every series (report series included)",
  options: {
    config: { type: 'string', value: 'FILE', help: 'the prometheus.yml' },
    job: { type: 'string', value: 'JOB', help: 'the job_name to scrape' },
    target: {
      type: 'string',
      value: 'ADDRESS',
      help: 'only the target whose __address__ is ADDRESS',
    },
    [SKIP_UNSUPPORTED_DISCOVERY_FLAG]: {
      type: 'boolean',
      default: false,
      help: 'skip, with a warning, each job whose only service discovery lambdascrape lacks',
    },
  },
  details: 'Exit 1 when a target was down (its error goes to stderr).',
} as const satisfies CommandSpec;

export async function scrapeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(SCRAPE_COMMAND, args);
  if (values.config === undefined) throw new UsageError('scrape needs --config FILE');
  if (values.job === undefined) throw new UsageError('scrape needs --job JOB');
  const config = await loadCheckedConfig(
    values.config,
    io.env,
    discoveryCheck({ skipUnsupportedDiscovery: values[SKIP_UNSUPPORTED_DISCOVERY_FLAG] }),
  );
  const [resolved] = await resolveTargets(config, values.job, discoveryDepsFromEnv(io.env));
  if (resolved === undefined) {
    const jobs = config.scrapeConfigs.map((c) => c.jobName);
    const near = closest(values.job, jobs);
    io.stderr(
      `error: no scrape config with job_name "${values.job}"${near === undefined ? '' : `; did you mean "${near}"?`} (jobs: ${jobs.map((j) => `"${j}"`).join(', ') || 'none'})\n`,
    );
    return 1;
  }
  const targets = resolved.active.filter(
    (t) => values.target === undefined || getLabel(t.labels, '__address__') === values.target,
  );
  if (targets.length === 0) {
    io.stderr(`error: job "${values.job}" has no matching active target\n`);
    return 1;
  }
  const dispatcher = await createDispatcher(resolved.job.httpClient);
  const job = prepareScrapeJob(resolved.job, dispatcher);
  let down = 0;
  try {
    const scrapeTimeMs = Date.now();
    const results = await Promise.all(
      targets.map((t) =>
        scrapeTarget(
          job,
          t,
          new TargetScrapeCache(t, resolved.job.extraScrapeMetrics),
          EMPTY_SCRAPE_STATE,
          { scrapeTimeMs, forcedError: resolved.forcedError },
        ),
      ),
    );
    results.forEach((r, i) => {
      const b = r.batch;
      const lines: string[] = [];
      for (let k = 0; k < b.length; k++) {
        lines.push(
          formatSampleLine(
            b.entries[k]!.labels,
            b.histograms.get(k) ?? b.values[k]!,
            b.timestamps[k],
          ),
        );
      }
      io.stdout(`${lines.join('\n')}\n`);
      if (r.error !== undefined) {
        down++;
        io.stderr(`target ${targets[i]!.url}: ${r.error}\n`);
      }
    });
  } finally {
    await dispatcher.close();
  }
  return down > 0 ? 1 : 0;
}
