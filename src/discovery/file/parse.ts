/**
 * Parsing of one file_sd file (§10.2): a JSON or YAML list of `{targets: [string], labels:
 * {name: value}}`, chosen by the file's extension (case-insensitive `.json`, `.yml`, `.yaml`).
 *
 * Validation is as strict as Prometheus's decoders (each rule below was checked against a real
 * Prometheus): unknown keys are rejected, a `null` group is an error, targets and label values
 * must be strings (a number, list or mapping is an error), label names must be valid (UTF-8
 * scheme: non-empty, well-formed). Where Go's decoders are lenient we follow them, so a file
 * Prometheus accepts is accepted here:
 * - a `null` or empty YAML document, `null` JSON, `targets: null`, `labels: null` mean "none";
 * - a `null` target is the empty address (the target then fails with `no address`, §2.2) and a
 *   `null` label value is the empty value (the label is absent);
 * - JSON matches `targets`/`labels` case-insensitively (Go `encoding/json`); YAML exactly;
 * - YAML takes a plain scalar's text as written (`port: 9100` → "9100", `1.50` stays "1.50",
 *   `yes` stays "yes"), supports anchors, aliases and `<<` merge keys, and reads only the first
 *   document of a multi-document file.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from 'yaml';
import type { TargetGroup } from '../types.js';
import { FileSdError, FileSdErrorCode } from './error.js';
import { errorText } from './glob.js';

/** The group label carrying the file's path (§10.2). */
export const FILEPATH_LABEL = '__meta_filepath';

/** Source of the `index`th group of a file (§10.2). */
export function fileGroupSource(path: string, index: number): string {
  return `${path}:${index}`;
}

export type FileSdFormat = 'json' | 'yaml';

/** The format a path's extension selects, or undefined for other extensions. */
export function fileSdFormat(path: string): FileSdFormat | undefined {
  const dot = path.lastIndexOf('.');
  const ext = dot > path.lastIndexOf('/') ? path.slice(dot).toLowerCase() : '';
  if (ext === '.json') return 'json';
  if (ext === '.yml' || ext === '.yaml') return 'yaml';
  return undefined;
}

function parseError(path: string, detail: string, cause?: unknown): FileSdError {
  return new FileSdError(
    FileSdErrorCode.parse,
    path,
    `cannot parse file_sd file ${JSON.stringify(path)}: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidLabelName(name: string): boolean {
  if (name === '') return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = name.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * Go `encoding/json` field-name folding: ASCII letters fold to upper case, and the only
 * non-ASCII runes that fold onto ASCII letters are U+017F (ſ → S) and U+212A (Kelvin → K).
 */
function foldJsonKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch >= 'a' && ch <= 'z') out += ch.toUpperCase();
    else if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else out += ch;
  }
  return out;
}

type GroupField = 'targets' | 'labels';

function groupField(key: string, format: FileSdFormat): GroupField | undefined {
  if (format === 'yaml') return key === 'targets' || key === 'labels' ? key : undefined;
  const folded = foldJsonKey(key);
  if (folded === 'TARGETS') return 'targets';
  if (folded === 'LABELS') return 'labels';
  return undefined;
}

/** Checks the decoded document and turns it into target groups. Throws {@link FileSdError}. */
function toGroups(path: string, doc: unknown, format: FileSdFormat): TargetGroup[] {
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) {
    throw parseError(path, `expected a list of target groups, got ${describe(doc)}`);
  }
  return doc.map((raw, index): TargetGroup => {
    const at = `group ${index}`;
    if (raw === null) throw parseError(path, `${at} is null`);
    if (!isRecord(raw)) throw parseError(path, `${at}: expected a mapping, got ${describe(raw)}`);

    let targets: Record<string, string>[] = [];
    const labels: Record<string, string> = Object.create(null);
    // Fields in document order: a later `targets` replaces, a later `labels` adds (as Go does
    // when JSON spells one field twice with different case).
    for (const key of Object.keys(raw)) {
      const field = groupField(key, format);
      const value = raw[key];
      if (field === undefined)
        throw parseError(path, `${at}: unknown field ${JSON.stringify(key)}`);
      if (value === null || value === undefined) {
        if (field === 'targets') targets = [];
        continue;
      }
      if (field === 'targets') {
        if (!Array.isArray(value)) {
          throw parseError(path, `${at}: "targets" must be a list, got ${describe(value)}`);
        }
        targets = value.map((t: unknown, i) => {
          if (t !== null && typeof t !== 'string') {
            throw parseError(path, `${at}: targets[${i}] must be a string, got ${describe(t)}`);
          }
          return { __address__: t ?? '' };
        });
        continue;
      }
      if (!isRecord(value)) {
        throw parseError(path, `${at}: "labels" must be a mapping, got ${describe(value)}`);
      }
      for (const name of Object.keys(value)) {
        if (!isValidLabelName(name)) {
          throw parseError(path, `${at}: ${JSON.stringify(name)} is not a valid label name`);
        }
        const labelValue = value[name];
        if (labelValue === null) continue;
        if (typeof labelValue !== 'string') {
          throw parseError(
            path,
            `${at}: value of label ${JSON.stringify(name)} must be a string, got ${describe(labelValue)}`,
          );
        }
        labels[name] = labelValue;
      }
    }
    labels[FILEPATH_LABEL] = path;
    return { source: fileGroupSource(path, index), targets, labels };
  });
}

interface YamlWalk {
  readonly path: string;
  readonly lines: LineCounter;
  /** Each alias's anchored node (undefined: no such anchor before it), from one pass. */
  readonly aliases: ReadonlyMap<Alias, Node | undefined>;
  /** Collections being converted: an alias back to one of them is a cycle. */
  readonly open: Set<Node>;
  /** Nodes left to visit; aliases count again each time they are followed. */
  left: number;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && key.type === 'PLAIN' && key.value === '<<';
}

/** "line L, column C: " of a node, for problems the YAML library does not report itself. */
function at(walk: YamlWalk, node: Node): string {
  const offset = node.range?.[0];
  if (offset === undefined) return '';
  const { line, col } = walk.lines.linePos(offset);
  return `line ${line}, column ${col}: `;
}

/**
 * Every alias of the document with the node it refers to (the last node with that anchor
 * before it, as YAML defines), in one walk. The library's `Alias.resolve(doc)` walks the whole
 * document on each call, which made a file of n aliases cost O(n²).
 */
function aliasTargets(doc: Document): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor !== undefined) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Converts a YAML node tree to plain values whose scalars are all `string | null` (see the
 * module comment). Aliases are followed and `<<` merges applied (explicit keys win, then the
 * merged mappings in order). Contract, for untrusted files: work is linear in the text — the
 * node budget makes an alias-expansion bomb fail instead of exhausting memory, aliases are
 * looked up in a map, and duplicate keys are found with a set (not the library's pairwise
 * `uniqueKeys`) — and every problem is a FileSdError: an unknown anchor, an anchor containing
 * its own alias (go-yaml's wording), a duplicate key.
 */
function yamlToPlain(node: unknown, walk: YamlWalk): unknown {
  if (--walk.left < 0) {
    throw parseError(walk.path, 'document expands to too many nodes (check anchors and aliases)');
  }
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = walk.aliases.get(node);
    if (target === undefined) {
      throw parseError(walk.path, `${at(walk, node)}unknown anchor '${node.source}' referenced`);
    }
    if (walk.open.has(target)) {
      throw parseError(walk.path, `${at(walk, node)}anchor '${node.source}' value contains itself`);
    }
    return yamlToPlain(target, walk);
  }
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    return node.source ?? String(value);
  }
  if (isSeq(node)) {
    walk.open.add(node);
    const out = node.items.map((item) => yamlToPlain(item, walk));
    walk.open.delete(node);
    return out;
  }
  if (isMap(node)) {
    walk.open.add(node);
    const out: Record<string, unknown> = Object.create(null);
    const merged: unknown[] = [];
    for (const pair of node.items) {
      if (isMergeKey(pair.key)) {
        merged.push(yamlToPlain(pair.value, walk));
        continue;
      }
      const key = yamlToPlain(pair.key, walk);
      if (typeof key !== 'string') {
        throw parseError(walk.path, `a mapping key must be a string, got ${describe(key)}`);
      }
      if (key in out) {
        const where = at(walk, (pair.key as Node | null) ?? node);
        throw parseError(
          walk.path,
          `${where}map keys must be unique: ${JSON.stringify(key)} already set in map`,
        );
      }
      out[key] = yamlToPlain(pair.value, walk);
    }
    for (const source of merged.flatMap((m) => (Array.isArray(m) ? m : [m]))) {
      if (!isRecord(source)) {
        throw parseError(walk.path, `a "<<" merge needs a mapping, got ${describe(source)}`);
      }
      for (const key of Object.keys(source)) if (!(key in out)) out[key] = source[key];
    }
    walk.open.delete(node);
    return out;
  }
  throw parseError(walk.path, 'unsupported YAML node');
}

function decodeYaml(path: string, text: string): unknown {
  const lineCounter = new LineCounter();
  // uniqueKeys is checked in yamlToPlain, in linear time.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return null;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    throw parseError(path, `line ${line}, column ${col}: ${problem.message}`, problem);
  }
  // 10 visits per source byte leaves ample room for ordinary anchor reuse, while a bomb (whose
  // visits grow with the square of its size, or worse) fails early.
  const walk: YamlWalk = {
    path,
    lines: lineCounter,
    aliases: aliasTargets(doc),
    open: new Set(),
    left: 10_000 + 10 * text.length,
  };
  return yamlToPlain(doc.contents as Node | null, walk);
}

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Parses the content of file `path` into its target groups: source `<path>:<index>`, group
 * label `__meta_filepath` = `path` (replacing any such label in the file), each target
 * `{__address__: <string>}`. Throws {@link FileSdError}: `FILE_SD_PARSE` naming the file, or
 * `FILE_SD_PATTERN` for an extension that is not JSON or YAML.
 */
export function parseFileSdContent(path: string, content: Uint8Array): TargetGroup[] {
  const format = fileSdFormat(path);
  if (format === undefined) {
    throw new FileSdError(
      FileSdErrorCode.pattern,
      path,
      `file_sd file ${JSON.stringify(path)} must end in .json, .yml or .yaml`,
    );
  }
  const text = utf8Decoder.decode(content);
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : decodeYaml(path, text);
  } catch (err) {
    if (err instanceof FileSdError) throw err;
    // SyntaxError from JSON.parse; RangeError when nesting exhausts the stack.
    if (err instanceof SyntaxError || err instanceof RangeError) {
      throw parseError(path, errorText(err), err);
    }
    throw err;
  }
  return toGroups(path, doc, format);
}
