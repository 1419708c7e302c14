import type { Node } from 'yaml';
import { redactUrlField } from '../log/redact.js';
import { isValidLabelName, isValidLabelValue } from './label-names.js';
import { isSdConfigsKey } from './sd-names.js';
import type {
  FileSdConfig,
  OtherSdConfigs,
  SdConfigNode,
  SdConfigNodes,
  StaticConfig,
} from './types.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/** file_sd `refresh_interval` default (§10.2), ms. */
export const DEFAULT_FILE_SD_REFRESH_INTERVAL = 5 * 60_000;

/** A file_sd path: one `*` at most, in the last element, and a json/yml/yaml extension (§10.2). */
const FILE_SD_PATH = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

export const STATIC_FIELDS = new Set(['targets', 'labels']);
export const FILE_SD_FIELDS = new Set(['files', 'refresh_interval']);

export interface ServiceDiscovery {
  readonly staticConfigs: StaticConfig[];
  readonly fileSdConfigs: FileSdConfig[];
  readonly otherSdConfigs: OtherSdConfigs;
  readonly sdConfigNodes: SdConfigNodes;
}

/**
 * Reads the service-discovery lists of a scrape config (§10). `static_configs` (§10.1) and
 * `file_sd_configs` (§10.2) are parsed here (the loader checks static targets against the job's
 * relabeling); every other `*_sd_configs` entry is kept as its YAML node with this reader, for
 * the discovery mechanism of that key to parse (relative `*_file` paths then resolve against
 * the folder of the file the entry is in), and as plain data (see {@link YamlReader.toPlain}).
 *
 * When `checkHostnames` is set (the job has no `relabel_configs`), a static target containing
 * `/` is an error, as Prometheus's load-time check (§1.3).
 */
export function parseServiceDiscovery(s: Struct, checkHostnames: boolean): ServiceDiscovery {
  const reader = s.reader;
  const staticConfigs: StaticConfig[] = [];
  const fileSdConfigs: FileSdConfig[] = [];
  const other: [string, unknown[]][] = [];
  const nodes: [string, SdConfigNode[]][] = [];
  for (const key of s.keys()) {
    if (!isSdConfigsKey(key)) continue;
    const listNode = s.value(key);
    const configs: unknown[] = [];
    const kept: SdConfigNode[] = [];
    for (const item of reader.items(listNode, sdListGoType(key)) ?? []) {
      if (item.value === null) {
        reader.fail(item.at, `empty or null section in ${key}`);
      } else if (key === 'static_configs') {
        const group = parseStaticConfig(reader, item.value, checkHostnames);
        if (group) staticConfigs.push(group);
      } else if (key === 'file_sd_configs') {
        const config = parseFileSdConfig(reader, item.value);
        if (config) fileSdConfigs.push(config);
      } else {
        configs.push(reader.toPlain(item.value));
        kept.push({ reader, node: item.value });
      }
    }
    if (configs.length > 0) other.push([key, configs]);
    if (kept.length > 0) nodes.push([key, kept]);
  }
  return {
    staticConfigs,
    fileSdConfigs,
    otherSdConfigs: Object.fromEntries(other),
    sdConfigNodes: Object.fromEntries(nodes),
  };
}

/** Go type of an SD list, for type errors. */
function sdListGoType(key: string): string {
  if (key === 'static_configs') return '[]*targetgroup.Group';
  if (key === 'file_sd_configs') return '[]*file.SDConfig';
  return '[]map[string]interface {}';
}

/**
 * One `static_configs` entry (§10.1). With `checkHostnames`, a target containing `/` is an
 * error (Prometheus's load-time check for jobs without relabeling, §1.3).
 */
export function parseStaticConfig(
  reader: YamlReader,
  node: Node,
  checkHostnames: boolean,
): StaticConfig | undefined {
  const s = reader.struct(node, 'targetgroup.Group', STATIC_FIELDS);
  if (s === undefined) return undefined;
  const targets: string[] = [];
  for (const item of reader.items(s.value('targets'), '[]string') ?? []) {
    const target = item.value === null ? '' : reader.string(item.value);
    if (target === undefined) continue;
    if (checkHostnames && target.includes('/')) {
      // Quoted without userinfo or query values: the message reaches logs and the reload
      // endpoint's answer (Prometheus quotes it whole).
      reader.fail(item.at, `${JSON.stringify(redactUrlField(target))} is not a valid hostname`);
    }
    targets.push(target);
  }
  const labels: [string, string][] = [];
  for (const e of reader.stringMap(s.value('labels'), 'model.LabelSet') ?? []) {
    // Group label names are decoded with the process-wide UTF-8 scheme in Prometheus.
    if (!isValidLabelName(e.key, 'utf8')) {
      reader.fail(e.keyNode, `${JSON.stringify(e.key)} is not a valid label name`);
      continue;
    }
    // Unreachable for text the loader decoded (it refuses what is not UTF-8); kept so that the
    // rule holds whatever the source.
    if (!isValidLabelValue(e.value)) {
      reader.fail(
        e.valueNode ?? e.keyNode,
        `${JSON.stringify(e.value)} is not a valid label value`,
      );
      continue;
    }
    labels.push([e.key, e.value]);
  }
  return { targets, labels: Object.fromEntries(labels) };
}

/** One `file_sd_configs` entry (§10.2); its paths resolved against the config folder. */
export function parseFileSdConfig(reader: YamlReader, node: Node): FileSdConfig | undefined {
  const s = reader.struct(node, 'file.SDConfig', FILE_SD_FIELDS);
  if (s === undefined) return undefined;
  const files = s.stringList('files') ?? [];
  const refreshInterval = s.duration('refresh_interval') || DEFAULT_FILE_SD_REFRESH_INTERVAL;
  if (files.length === 0) {
    s.fail('files', 'file service discovery config must contain at least one path name');
    return undefined;
  }
  const bad = files.find((f) => !FILE_SD_PATH.test(f));
  if (bad !== undefined) {
    s.fail('files', `path name ${JSON.stringify(bad)} is not valid for file discovery`);
    return undefined;
  }
  return { files: files.map((f) => reader.filePath(f)), refreshInterval };
}
