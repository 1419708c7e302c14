/**
 * `static_configs` entries (§10.1). The config loader reads them itself (it checks static targets
 * against the job's relabeling, §1.3), with this parser; discovery takes them from the job.
 */
import type { Node } from 'yaml';
import { parseStaticConfig as parseStaticEntry } from '../../config/service-discovery.js';
import type { StaticConfig } from '../../config/types.js';
import type { YamlReader } from '../../config/yaml-reader.js';

export type { StaticConfig };

/** Reads one `static_configs` entry; problems are recorded on `reader` and give undefined. */
export function parseStaticConfig(reader: YamlReader, node: Node): StaticConfig | undefined {
  return parseStaticEntry(reader, node, false);
}
