/**
 * The types every discovery mechanism is written against. Mechanisms import them from here;
 * the registry imports the mechanisms. Nothing in this file imports a mechanism.
 */
import type { Node } from 'yaml';
import type { ScrapeConfig } from '../config/types.js';
import type { YamlReader } from '../config/yaml-reader.js';

/**
 * A group of targets as every discovery mechanism returns it (§10): `source` is stable across
 * refreshes (a group with no targets clears that source); `targets` holds one label record per
 * target (always with `__address__`); `labels` applies to each target that lacks the name.
 */
export interface TargetGroup {
  readonly source: string;
  readonly targets: readonly Readonly<Record<string, string>>[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface DiscoveryRefresh {
  readonly groups: readonly TargetGroup[];
  /** Partial failures: the groups they concern are still in `groups` (from earlier refreshes). */
  readonly errors: readonly Error[];
  /** The discoverers actually asked in this refresh (those due), for metrics. */
  readonly refreshed?: readonly RefreshTiming[];
}

export interface RefreshTiming {
  /** The mechanism's config key, e.g. `file_sd_configs`. */
  readonly mechanism: string;
  readonly durationMs: number;
  /** True when the refresh threw or reported errors (the groups concerned were kept). */
  readonly failed: boolean;
}

/**
 * One running instance of a mechanism for one config entry. `refresh` returns all current
 * groups of the instance; it throws when it could not refresh at all.
 */
export interface Discoverer {
  refresh(): Promise<DiscoveryRefresh>;
  /** The entry's refresh_interval; a refresh before it is due returns the last groups. */
  readonly refreshIntervalMs?: number;
  /** Releases connections the discoverer holds. */
  close?(): Promise<void>;
}

/**
 * A discovery mechanism: the scrape_config key it owns, how one entry of that list is read, and
 * how a job's entries become discoverers. `Deps` is the part of the registry's dependencies the
 * mechanism uses (clients, file system, limits), declared by the mechanism.
 */
export interface DiscoveryMechanism<Config = unknown, Deps = object> {
  /** The scrape_config key, e.g. `dns_sd_configs`; also the metrics label. */
  readonly name: string;
  /**
   * Reads one entry of the list with the config loader's reader. Every problem is recorded on
   * the reader (`file:line:col: message`, the loader's wording) and the result is undefined.
   */
  parse(reader: YamlReader, node: Node): Config | undefined;
  /**
   * The entries the config loader has already read into the job (static_configs and
   * file_sd_configs, which the loader checks itself). When set, `parse` is not called.
   */
  loaded?(job: JobSdConfigs): readonly Config[];
  /**
   * What the entry asks for that lambdascrape does not run (an aws_sd_configs role), or
   * undefined; such an entry is never parsed (see `MechanismConfigReader.lacking`).
   */
  lacking?(node: Node): string | undefined;
  /** Records the problems of an entry `lacking` names. */
  validateLacking?(reader: YamlReader, node: Node): void;
  /** The discoverers for one job's entries of this kind, in config order (none for none). */
  create(configs: readonly Config[], deps: Deps): Discoverer[];
}

/** What a mechanism sees of a job: its service-discovery lists. */
export type JobSdConfigs = Pick<
  ScrapeConfig,
  'jobName' | 'staticConfigs' | 'fileSdConfigs' | 'sdConfigNodes'
>;
