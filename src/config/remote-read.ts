import type { Node } from 'yaml';
import { goRefusesUrl } from './go-url.js';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig, redactUrl } from './http-client.js';
import { isValidLabelName } from './label-names.js';
import { readHeaders } from './remote-write.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/**
 * The `remote_read` section, validated as Prometheus validates it (config.go
 * `RemoteReadConfig`) and otherwise ignored: lambdascrape answers no queries, so it reads from
 * no remote storage. Returns nothing; problems go to the reader.
 */

export const FIELDS = new Set([
  'url',
  'remote_timeout',
  'chunked_read_limit',
  'headers',
  'read_recent',
  'name',
  'required_matchers',
  'filter_external_labels',
  ...HTTP_CLIENT_FIELDS,
]);

export function parseRemoteReadConfigs(reader: YamlReader, node: Node | null): void {
  const names = new Set<string>();
  for (const item of reader.items(node, '[]*config.RemoteReadConfig') ?? []) {
    if (item.value === null) {
      reader.fail(item.at, 'empty or null remote read config section');
      continue;
    }
    const s = reader.struct(item.value, 'config.RemoteReadConfig', FIELDS);
    if (s === undefined) continue;
    readUrl(s);
    s.duration('remote_timeout');
    s.integer('chunked_read_limit', 'uint64');
    readHeaders(s);
    s.bool('read_recent');
    s.bool('filter_external_labels');
    parseHttpClientConfig(s, { enableHttp2: true });
    for (const e of reader.stringMap(s.value('required_matchers'), 'model.LabelSet') ?? []) {
      if (!isValidLabelName(e.key, 'utf8')) {
        reader.fail(e.keyNode, `${JSON.stringify(e.key)} is not a valid label name`);
      }
    }
    const name = s.string('name') ?? '';
    if (name !== '' && names.has(name)) {
      s.fail('name', `found multiple remote read configs with job name ${JSON.stringify(name)}`);
    }
    names.add(name);
  }
}

/** `url` is required (absent or null); any text Go's `url.Parse` takes is accepted. */
function readUrl(s: Struct): void {
  const text = s.string('url');
  if (text === undefined) {
    s.fail(s.has('url') ? 'url' : undefined, 'url for remote_read is empty');
  } else if (goRefusesUrl(text)) {
    s.fail('url', `parse ${JSON.stringify(redactUrl(text))}: invalid URL`);
  }
}
