import { dirname } from 'node:path';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { RemoteWriter } from './writer.js';

export interface RemoteWritersOptions {
  /** Where a writer reports its fallback from 2.0 to 1.0. @default silent */
  readonly logger?: Logger;
}

/**
 * One RemoteWriter per `remote_write` entry of a config, each with the global external labels
 * and name validation scheme (write_relabel_configs are compiled by the writer itself) and
 * `*_file` paths resolved against the config's folder. Shared by the local runner and the
 * Lambda runtime, so both send exactly the same series.
 *
 * @throws RemoteWriteError for an entry it cannot honour; writers built before it are closed.
 */
export function createRemoteWriters(
  config: Config,
  options: RemoteWritersOptions = {},
): RemoteWriter[] {
  const configDir = config.sourcePath === '' ? undefined : dirname(config.sourcePath);
  const writers: RemoteWriter[] = [];
  try {
    for (const rw of config.remoteWrite) {
      writers.push(
        new RemoteWriter(rw, {
          externalLabels: config.global.externalLabels,
          nameValidationScheme: config.global.metricNameValidationScheme,
          ...(configDir === undefined ? {} : { configDir }),
          // The first writer keeps its encoded labels on the series entries (a field read,
          // not a WeakMap lookup per sample: bench/remotewrite.bench.ts); the others key a WeakMap.
          cacheInSeries: writers.length === 0,
          ...(options.logger === undefined ? {} : { logger: options.logger }),
        }),
      );
    }
  } catch (err) {
    for (const w of writers) w.close().catch(() => {});
    throw err;
  }
  return writers;
}
