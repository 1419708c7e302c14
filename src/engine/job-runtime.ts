/**
 * What one job contributes to every scrape of its targets (Prometheus's scrape pool): the job's
 * config, its compiled scrape settings (`ScrapeJob`: Accept header, metric relabeling) and the
 * HTTP dispatcher its scrapes share (keep-alive connections, TLS, proxy, §1.5).
 *
 * Contracts:
 * - A runtime is built for one `ScrapeConfig` and never changes; a job whose config changes gets
 *   a new runtime (and its targets fresh scrape caches, `TargetCaches`).
 * - The owner closes a runtime it no longer uses with {@link closeJobRuntime}, after the scrapes
 *   running on it: the dispatcher is closed gracefully, and destroyed after 2 s.
 * - {@link openJobRuntime} throws `HttpClientError` (`TLS_FILE_UNREADABLE`) when a TLS file of
 *   the job cannot be read; nothing is left open then.
 */
import type { Dispatcher } from 'undici';
import type { Config, HttpClientConfig, ScrapeConfig } from '../config/types.js';
import { createDispatcherSync } from '../http/client.js';
import {
  prepareScrapeJob,
  type ScrapeJob,
  type ScrapeJobOptions,
  wantsStartTimestamps,
} from '../scrape/scrape.js';

/** Re-exported for the drivers, which build runtimes and do not import the scraper directly. */
export { wantsStartTimestamps };

export interface JobRuntime {
  readonly name: string;
  readonly config: ScrapeConfig;
  readonly scrapeJob: ScrapeJob;
  readonly dispatcher: Dispatcher;
}

/** Builds the HTTP dispatcher of a job (tests inject one). */
export type DispatcherFactory = (config: HttpClientConfig) => Dispatcher;

export const defaultDispatcherFactory: DispatcherFactory = (config) => createDispatcherSync(config);

export function openJobRuntime(
  config: ScrapeConfig,
  createDispatcher: DispatcherFactory = defaultDispatcherFactory,
  scrapeOptions: ScrapeJobOptions = {},
): JobRuntime {
  const dispatcher = createDispatcher(config.httpClient);
  try {
    return {
      name: config.jobName,
      config,
      scrapeJob: prepareScrapeJob(config, dispatcher, scrapeOptions),
      dispatcher,
    };
  } catch (err) {
    void dispatcher.destroy();
    throw err;
  }
}

/** How long a closing dispatcher may take to finish its requests before it is destroyed. */
export const DISPATCHER_CLOSE_TIMEOUT_MS = 2_000;

/**
 * Closes `job`'s dispatcher once `running` (the scrapes in flight on it) have settled. Never
 * rejects for a scrape's failure.
 */
export async function closeJobRuntime(
  job: JobRuntime,
  running: Iterable<Promise<unknown>> = [],
): Promise<void> {
  await Promise.allSettled(running);
  const closed = job.dispatcher.close().then(() => 'closed' as const);
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(resolve, DISPATCHER_CLOSE_TIMEOUT_MS, 'timeout').unref(),
  );
  if ((await Promise.race([closed, timeout])) === 'timeout') await job.dispatcher.destroy();
}

/**
 * The runtimes of one config's jobs, each opened on first use: a Lambda container scrapes only
 * the jobs its tasks name, so it builds only those.
 */
export class JobRuntimes {
  private readonly jobs = new Map<string, JobRuntime>();
  private readonly configs: ReadonlyMap<string, ScrapeConfig>;

  constructor(
    config: Config,
    private readonly createDispatcher: DispatcherFactory = defaultDispatcherFactory,
    private readonly scrapeOptions: ScrapeJobOptions = {},
  ) {
    this.configs = new Map(config.scrapeConfigs.map((c) => [c.jobName, c]));
    this.scrapeOptions = { startTimestamps: wantsStartTimestamps(config), ...scrapeOptions };
  }

  /** The job's runtime, opened now if needed; undefined for a job not in the config. */
  get(name: string): JobRuntime | undefined {
    let job = this.jobs.get(name);
    if (job !== undefined) return job;
    const config = this.configs.get(name);
    if (config === undefined) return undefined;
    job = openJobRuntime(config, this.createDispatcher, this.scrapeOptions);
    this.jobs.set(name, job);
    return job;
  }

  /** The job's config without opening it. */
  config(name: string): ScrapeConfig | undefined {
    return this.configs.get(name);
  }

  /** Closes every opened runtime (container shutdown, tests). */
  async close(): Promise<void> {
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(jobs.map((j) => closeJobRuntime(j)));
  }
}
