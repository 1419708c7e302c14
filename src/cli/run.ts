import { DurationError, parseDuration } from '../config/duration.js';
import { ConfigError } from '../config/index.js';
import { loadCheckedConfig } from '../config/load-file.js';
import { parseSize, SizeError } from '../config/size.js';
import { LAMBDA_ENV } from '../contract.js';
import { discoveryCheck, SKIP_UNSUPPORTED_DISCOVERY_FLAG } from '../discovery/check.js';
import { EgressError, installEgressPolicy, parseCidrList } from '../http/egress-guard.js';
import { DataDirectory, DEFAULT_STORAGE_RETENTION_SIZE } from '../local/data-dir.js';
import { LocalError } from '../local/errors.js';
import { LocalRunner } from '../local/runner.js';
import { DEFAULT_LISTEN_ADDRESS, type ListenAddress, parseListenAddress } from '../local/web.js';
import {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from '../log/logger.js';
// The horizon the Lambda outbox gives up at (2 h, Prometheus's WAL span): one figure for both drivers.
import { DEFAULT_OUTBOX_MAX_AGE_MS } from '../pipeline/outbox-policy.js';
import { type CommandSpec, parseCommand } from './command.js';
import { discoveryDepsFromEnv } from './discovery-deps.js';
import { type CliIo, UsageError } from './io.js';

/** The process signals the command listens to; injectable so tests need no real signals. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface RunCommandDeps {
  /** @default process */
  readonly signals?: SignalSource;
  /** Called with 1 on a second SIGINT/SIGTERM during shutdown. @default process.exit */
  readonly exit?: (code: number) => void;
  /** Told the runner once it is started (tests). */
  readonly onStarted?: (runner: LocalRunner) => void;
}

/**
 * `run --config FILE [--listen ADDR] [--log.level L] [--log.format F] [--storage.path DIR
 * [--storage.retention.time D] [--storage.retention.size S]] [--deny-cidrs CIDR,…]
 * [--skip-unsupported-discovery]`: scrapes every target of the
 * config on schedule until SIGINT/SIGTERM (then exits 0 after a bounded graceful shutdown).
 * SIGHUP and `POST /-/reload` reload the file; a bad file leaves the running config in place.
 * With `--storage.path`, remote write keeps what it has not delivered in that directory and sends
 * it after a restart (docs/remote-write.md, "The data directory").
 * `--deny-cidrs` (or LAMBDASCRAPE_DENY_CIDRS) lists address ranges no scrape or SD request may
 * connect to, e.g. `169.254.0.0/16` on EC2 (docs/security.md).
 * `--skip-unsupported-discovery` skips (with a warning) each job whose only discovery is a
 * mechanism lambdascrape lacks, instead of refusing the config (src/discovery/check.ts).
 * Exit 1 when the config is invalid, the data directory is in use or the runner cannot start.
 */
export const RUN_COMMAND = {
  name: 'run',
  summary: 'scrape every target on schedule and remote-write the samples, until stopped',
  options: {
    config: { type: 'string', value: 'FILE', help: 'the prometheus.yml' },
    listen: {
      type: 'string',
      default: DEFAULT_LISTEN_ADDRESS,
      value: 'ADDR',
      help: 'where /targets, /metrics and the API listen',
    },
    'log.level': {
      type: 'string',
      default: 'info',
      value: 'LEVEL',
      help: `one of ${LOG_LEVELS.join(', ')}`,
    },
    'log.format': {
      type: 'string',
      default: 'logfmt',
      value: 'FORMAT',
      help: `one of ${LOG_FORMATS.join(', ')}`,
    },
    'storage.path': {
      type: 'string',
      value: 'DIR',
      help: 'keep what remote write has not delivered in DIR, and send it after a restart',
    },
    'storage.retention.time': {
      type: 'string',
      value: 'DURATION',
      help: 'with --storage.path: drop what is older (default 2h)',
    },
    'storage.retention.size': {
      type: 'string',
      value: 'SIZE',
      help: `with --storage.path: drop the oldest beyond this size (default 4GiB)`,
    },
    'deny-cidrs': {
      type: 'string',
      value: 'CIDR,...',
      help: 'address ranges no scrape or SD request may reach, e.g. 169.254.0.0/16 (or LAMBDASCRAPE_DENY_CIDRS)',
    },
    [SKIP_UNSUPPORTED_DISCOVERY_FLAG]: {
      type: 'boolean',
      default: false,
      help: 'skip, with a warning, each job whose only service discovery lambdascrape lacks',
    },
  },
  details:
    'SIGHUP or POST /-/reload reloads the file (a bad file keeps the running config); SIGINT or\nSIGTERM stops after a bounded graceful shutdown. Exit 1 when the config is invalid, the data\ndirectory is in use or the runner cannot start.',
} as const satisfies CommandSpec;

export async function runCommand(
  args: readonly string[],
  io: CliIo,
  deps: RunCommandDeps = {},
): Promise<number> {
  const { values } = parseCommand(RUN_COMMAND, args);
  const path = values.config;
  if (path === undefined) throw new UsageError('run needs --config FILE');
  const level = values['log.level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--log.level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const format = values['log.format'];
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--log.format must be one of ${LOG_FORMATS.join(', ')}`);
  }
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(values.listen);
  } catch (err) {
    if (err instanceof LocalError) throw new UsageError(err.message);
    throw err;
  }

  const storage = storageOptions(values);
  // Before anything connects: no scrape or SD request may reach a denied range
  // (src/http/egress-guard.ts). The flag wins over the variable; default: none.
  const denyText = values['deny-cidrs'] ?? io.env[LAMBDA_ENV.denyCidrs] ?? '';
  try {
    installEgressPolicy({ deniedRanges: parseCidrList(denyText) });
  } catch (err) {
    if (err instanceof EgressError) throw new UsageError(`--deny-cidrs: ${err.message}`);
    throw err;
  }

  const logger = createLogger({
    level: level as LogLevel,
    format: format as LogFormat,
    write: io.stderr,
  });
  const check = discoveryCheck({
    skipUnsupportedDiscovery: values[SKIP_UNSUPPORTED_DISCOVERY_FLAG],
  });
  const load = () => loadCheckedConfig(path, io.env, check);
  let config: Awaited<ReturnType<typeof load>>;
  try {
    config = await load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`error: invalid config ${path}:\n${err.message}\n`);
    return 1;
  }

  let dataDir: DataDirectory | undefined;
  if (storage !== undefined) {
    try {
      dataDir = DataDirectory.open(storage.path, { ...storage, logger });
    } catch (err) {
      if (!(err instanceof LocalError)) throw err;
      io.stderr(`error: ${err.message}\n`);
      return 1;
    }
    const others = dataDir.otherQueues(config.remoteWrite.map((rw) => rw.name));
    if (others.length > 0) {
      logger.warn(
        'data directory holds queues of remote_writes not in the config; kept as they are',
        {
          path: storage.path,
          remote_write: others.join(','),
        },
      );
    }
    if (config.remoteWrite.length === 0) {
      logger.warn('--storage.path has no effect without remote_write', { path: storage.path });
    }
  }

  const runner = new LocalRunner({
    config,
    loadConfig: load,
    logger,
    listen,
    stdout: io.stdout,
    subtitle: path,
    discovery: discoveryDepsFromEnv(io.env),
    ...(dataDir === undefined ? {} : { storage: dataDir }),
  });
  try {
    await runner.start();
  } catch (err) {
    logger.error('cannot start', { err });
    dataDir?.close();
    return 1;
  }
  logger.info('running; SIGHUP or POST /-/reload reloads the config, Ctrl-C stops', {
    config: path,
    targets_page: `${runner.url}/targets`,
  });
  deps.onStarted?.(runner);

  const signals = deps.signals ?? process;
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const onHangup = (): void => {
      logger.info('SIGHUP: reloading the config', { config: path });
      void runner.reloadFromSource();
    };
    const onStop = (signal: NodeJS.Signals) => (): void => {
      if (stopping) {
        logger.warn('second signal during shutdown: exiting now', { signal });
        (deps.exit ?? process.exit)(1);
        return;
      }
      stopping = true;
      logger.info('shutting down', { signal });
      runner
        .stop()
        .finally(() => dataDir?.close())
        .then(
          () => finish(0),
          (err: unknown) => {
            logger.error('shutdown failed', { err });
            finish(1);
          },
        );
    };
    const onTerm = onStop('SIGTERM');
    const onInt = onStop('SIGINT');
    const finish = (code: number): void => {
      signals.off('SIGHUP', onHangup);
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      resolve(code);
    };
    signals.on('SIGHUP', onHangup);
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
  });
}

interface StorageOptions {
  readonly path: string;
  readonly maxAgeMs: number;
  readonly maxBytesPerQueue: number;
}

/** The `--storage.*` flags; undefined without `--storage.path`. Throws UsageError. */
function storageOptions(values: {
  readonly 'storage.path'?: string | undefined;
  readonly 'storage.retention.time'?: string | undefined;
  readonly 'storage.retention.size'?: string | undefined;
}): StorageOptions | undefined {
  const path = values['storage.path'];
  const time = values['storage.retention.time'];
  const size = values['storage.retention.size'];
  if (path === undefined) {
    if (time !== undefined || size !== undefined) {
      throw new UsageError('--storage.retention.* need --storage.path');
    }
    return undefined;
  }
  if (path === '') throw new UsageError('--storage.path must not be empty');
  let maxAgeMs = DEFAULT_OUTBOX_MAX_AGE_MS;
  if (time !== undefined) {
    try {
      maxAgeMs = parseDuration(time);
    } catch (err) {
      if (err instanceof DurationError) {
        throw new UsageError(`--storage.retention.time: ${err.message}`);
      }
      throw err;
    }
    if (maxAgeMs <= 0) throw new UsageError('--storage.retention.time must be more than 0');
  }
  let maxBytesPerQueue = DEFAULT_STORAGE_RETENTION_SIZE;
  if (size !== undefined) {
    try {
      maxBytesPerQueue = parseSize(size);
    } catch (err) {
      if (err instanceof SizeError)
        throw new UsageError(`--storage.retention.size: ${err.message}`);
      throw err;
    }
  }
  return { path, maxAgeMs, maxBytesPerQueue };
}
