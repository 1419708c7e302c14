import { isAbsolute, resolve as resolvePath } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Scalar,
} from 'yaml';
import { Diagnostics } from './diagnostics.js';
import { parseDuration } from './duration.js';
import type { Secret } from './secret.js';
import { createSecret } from './secret.js';
import { parseSize } from './size.js';

/**
 * Typed reading of a parsed YAML document with Prometheus's decoding rules (go-yaml v2, which
 * Prometheus uses through `UnmarshalStrict`), collecting errors instead of stopping at the first.
 *
 * Contracts:
 * - Every error is recorded as `<file>:<line>:<column>: <message>` pointing at the offending node
 *   (1-based line and column), and reading goes on; a getter that fails returns `undefined`.
 * - A `null` value (`key:`, `key: ~`) reads as "not set", like go-yaml's zero value.
 * - Scalars resolve like YAML 1.1 in go-yaml v2, not like YAML 1.2: plain `yes`/`no`/`on`/`off`/
 *   `y`/`n` are booleans, integers may use `_`, `0x`, `0o`, `0b` or a leading-`0` octal.
 *   A string field takes any scalar as its source text (`port: 0x10` → `"0x10"`).
 * - Aliases are followed and `<<` merge keys are applied (explicit keys win over merged ones).
 * - Error messages never include the value of a node read with {@link YamlReader.secret}.
 */

/** The Go-style tag of a node, used in `cannot unmarshal` messages. */
type YamlKind = '!!null' | '!!bool' | '!!int' | '!!float' | '!!str' | '!!seq' | '!!map';

/** One item of a sequence. */
export interface SeqItem {
  /** Resolved value; `null` for a null item (`- ` or `- ~`). */
  readonly value: Node | null;
  /** The item as written, to place errors (also for null items). */
  readonly at: Node;
}

/** One key of a mapping, after merge keys were applied. */
export interface MapEntry {
  readonly key: string;
  readonly keyNode: Node;
  /** Resolved value node; `null` for a null/empty value. */
  readonly value: Node | null;
}

const YAML11_TRUE = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'true',
  'True',
  'TRUE',
  'on',
  'On',
  'ON',
]);
const YAML11_FALSE = new Set([
  'n',
  'N',
  'no',
  'No',
  'NO',
  'false',
  'False',
  'FALSE',
  'off',
  'Off',
  'OFF',
]);
const YAML11_NULL = new Set(['', '~', 'null', 'Null', 'NULL']);
const YAML11_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const YAML11_SPECIAL_FLOAT: ReadonlyMap<string, number> = new Map([
  ['.nan', Number.NaN],
  ['.NaN', Number.NaN],
  ['.NAN', Number.NaN],
  ['.inf', Number.POSITIVE_INFINITY],
  ['.Inf', Number.POSITIVE_INFINITY],
  ['.INF', Number.POSITIVE_INFINITY],
  ['+.inf', Number.POSITIVE_INFINITY],
  ['+.Inf', Number.POSITIVE_INFINITY],
  ['+.INF', Number.POSITIVE_INFINITY],
  ['-.inf', Number.NEGATIVE_INFINITY],
  ['-.Inf', Number.NEGATIVE_INFINITY],
  ['-.INF', Number.NEGATIVE_INFINITY],
]);

type Resolved =
  | { readonly kind: '!!null' }
  | { readonly kind: '!!bool'; readonly value: boolean }
  | { readonly kind: '!!int'; readonly value: bigint }
  | { readonly kind: '!!float'; readonly value: number }
  | { readonly kind: '!!str'; readonly value: string };

/** Go's strconv.ParseInt(s, 0, 64) after go-yaml removed every `_`; undefined if not an int. */
function parseGoInt(text: string): bigint | undefined {
  const plain = text.replaceAll('_', '');
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  let digits = m[2]!;
  // BigInt understands 0x/0o/0b; a leading 0 alone means octal in Go.
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  const value = sign * BigInt(digits.toLowerCase());
  if (value > 2n ** 64n - 1n || value < -(2n ** 63n)) return undefined;
  return value;
}

/** How go-yaml v2 resolves a scalar's text (YAML 1.1 rules). */
function resolveScalar(node: Scalar): Resolved {
  const value: unknown = node.value;
  // An explicit tag (`!!str 123`) was already applied by the parser.
  if (node.tag !== undefined || node.type !== 'PLAIN') {
    if (value === null) return { kind: '!!null' };
    if (typeof value === 'boolean') return { kind: '!!bool', value };
    if (typeof value === 'number') {
      return Number.isInteger(value)
        ? { kind: '!!int', value: BigInt(value) }
        : { kind: '!!float', value };
    }
    return { kind: '!!str', value: String(value) };
  }
  const text = node.source ?? String(value);
  if (YAML11_NULL.has(text)) return { kind: '!!null' };
  if (YAML11_TRUE.has(text)) return { kind: '!!bool', value: true };
  if (YAML11_FALSE.has(text)) return { kind: '!!bool', value: false };
  const special = YAML11_SPECIAL_FLOAT.get(text);
  if (special !== undefined) return { kind: '!!float', value: special };
  if (/^[-+]?[0-9._]/.test(text) || /^[-+]?0[xXoObB]/.test(text)) {
    const int = parseGoInt(text);
    if (int !== undefined) return { kind: '!!int', value: int };
    const plain = text.replaceAll('_', '');
    if (YAML11_FLOAT.test(plain)) return { kind: '!!float', value: Number(plain) };
  }
  return { kind: '!!str', value: text };
}

export class YamlReader {
  /**
   * @param file name shown in messages (the path as given, or `<config>`).
   * @param dir folder relative `*_file` paths resolve against; '' leaves them as written.
   * @param errors shared sink; readers of several files add to the same one.
   * @param warnings sink of {@link warn}: what is valid but worth telling (a section ignored).
   */
  constructor(
    readonly file: string,
    readonly dir: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly errors: Diagnostics,
    readonly warnings: Diagnostics = new Diagnostics(),
  ) {}

  /**
   * The same document read into other sinks: for reading a node kept after loading (an SD
   * entry) without adding to the load's errors and warnings.
   */
  withErrors(errors: Diagnostics, warnings: Diagnostics = new Diagnostics()): YamlReader {
    return new YamlReader(this.file, this.dir, this.doc, this.lines, errors, warnings);
  }

  /** The root node of the document, or null for an empty document. */
  root(): Node | null {
    return this.resolve(this.doc.contents as Node | null);
  }

  /** Records a problem at a node's first character (or at the file when there is no node). */
  fail(node: Node | null | undefined, message: string): void {
    const offset = node?.range?.[0];
    const { line, col } = offset === undefined ? { line: 0, col: 0 } : this.lines.linePos(offset);
    this.errors.add(this.file, line, col, message);
  }

  /** Records a warning at a node, placed and worded like an error. */
  warn(node: Node | null | undefined, message: string): void {
    const offset = node?.range?.[0];
    const { line, col } = offset === undefined ? { line: 0, col: 0 } : this.lines.linePos(offset);
    this.warnings.add(this.file, line, col, message);
  }

  /** Follows aliases; a null scalar becomes `null`. */
  resolve(node: Node | null | undefined): Node | null {
    let current: unknown = node;
    for (let hops = 0; isAlias(current); hops++) {
      const target = current.resolve(this.doc);
      if (target === undefined || hops > 100) {
        this.fail(current, `unknown anchor '${current.source}' referenced`);
        return null;
      }
      current = target;
    }
    if (current === undefined || current === null) return null;
    if (isScalar(current) && resolveScalar(current).kind === '!!null') return null;
    return current as Node;
  }

  private kindOf(node: Node): YamlKind {
    if (isMap(node)) return '!!map';
    if (isSeq(node)) return '!!seq';
    if (isScalar(node)) return resolveScalar(node).kind;
    return '!!str';
  }

  /**
   * Records go-yaml's `cannot unmarshal !!tag \`value\` into <goType>`; the value is shown only
   * for scalars, cut to 7 characters when longer than 10, and never when `secret` is set.
   */
  typeError(node: Node, goType: string, secret = false): void {
    const kind = this.kindOf(node);
    let shown = '';
    if (!secret && isScalar(node)) {
      const text = node.source ?? String(node.value);
      shown = text.length > 10 ? ` \`${text.slice(0, 7)}...\`` : ` \`${text}\``;
    }
    this.fail(node, `cannot unmarshal ${kind}${shown} into ${goType}`);
  }

  /**
   * Entries of a mapping, with `<<` merges applied; undefined (and an error) when the node is not
   * a mapping. Duplicate explicit keys are an error, as in go-yaml's strict mode.
   */
  entries(node: Node | null, goType: string): MapEntry[] | undefined {
    if (node === null) return [];
    if (!isMap(node)) {
      this.typeError(node, goType);
      return undefined;
    }
    const explicit: MapEntry[] = [];
    const merged: MapEntry[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      // With `merge: true` the parser marks a `<<` merge key with a symbol value.
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        this.mergeInto(merged, pair.value as Node | null, goType);
        continue;
      }
      const key = this.keyText(keyNode);
      if (key === undefined) {
        if (keyNode) this.typeError(keyNode, 'string');
        continue;
      }
      if (seen.has(key)) {
        this.fail(keyNode, `key ${JSON.stringify(key)} already set in map`);
        continue;
      }
      seen.add(key);
      explicit.push({
        key,
        keyNode: keyNode ?? node,
        value: this.resolve(pair.value as Node | null),
      });
    }
    for (const entry of merged) {
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      explicit.push(entry);
    }
    return explicit;
  }

  private mergeInto(out: MapEntry[], raw: Node | null, goType: string): void {
    const value = this.resolve(raw);
    const sources = isSeq(value) ? value.items.map((n) => this.resolve(n as Node | null)) : [value];
    for (const source of sources) {
      if (!isMap(source)) {
        this.fail(source ?? raw, 'map merge requires map or sequence of maps as the value');
        continue;
      }
      // Earlier sources win over later ones (YAML merge key rules).
      for (const entry of this.entries(source, goType) ?? []) {
        if (!out.some((e) => e.key === entry.key)) out.push(entry);
      }
    }
  }

  private keyText(keyNode: Node | null): string | undefined {
    const key = this.resolve(keyNode);
    if (key === null) return '';
    if (!isScalar(key)) return undefined;
    const r = resolveScalar(key);
    if (r.kind === '!!str') return r.value;
    return key.source ?? String(key.value);
  }

  /** Items of a sequence; `[]` for null, undefined (and an error) for a non-sequence. */
  items(node: Node | null, goType: string): SeqItem[] | undefined {
    if (node === null) return [];
    if (!isSeq(node)) {
      this.typeError(node, goType);
      return undefined;
    }
    return node.items.map((raw) => {
      const at = (raw as Node | null) ?? node;
      return { value: this.resolve(raw as Node | null), at };
    });
  }

  /**
   * Reads a struct-like mapping: every key must be in `known` (a set, or a predicate for open
   * key families such as `*_sd_configs`), else `field <key> not found in type <goType>`.
   */
  struct(
    node: Node | null,
    goType: string,
    known: ReadonlySet<string> | ((key: string) => boolean),
  ): Struct | undefined {
    const entries = this.entries(node, goType);
    if (entries === undefined) return undefined;
    const isKnown = typeof known === 'function' ? known : (k: string) => known.has(k);
    const fields = new Map<string, MapEntry>();
    for (const entry of entries) {
      if (!isKnown(entry.key)) {
        this.fail(entry.keyNode, `field ${entry.key} not found in type ${goType}`);
        continue;
      }
      fields.set(entry.key, entry);
    }
    return new Struct(this, node, fields);
  }

  /** A string: any scalar's text (null → undefined). */
  string(node: Node | null, goType = 'string'): string | undefined {
    if (node === null) return undefined;
    if (!isScalar(node)) {
      this.typeError(node, goType);
      return undefined;
    }
    const r = resolveScalar(node);
    if (r.kind === '!!null') return undefined;
    if (r.kind === '!!str') return r.value;
    return node.source ?? String(node.value);
  }

  /** A secret: like {@link string}, but wrapped and never echoed in an error. */
  secret(node: Node | null): Secret | undefined {
    if (node === null) return undefined;
    if (!isScalar(node)) {
      this.typeError(node, 'config.Secret', true);
      return undefined;
    }
    const r = resolveScalar(node);
    if (r.kind === '!!null') return undefined;
    const text = r.kind === '!!str' ? r.value : (node.source ?? String(node.value));
    return text === '' ? undefined : createSecret(text);
  }

  bool(node: Node | null): boolean | undefined {
    if (node === null) return undefined;
    const r = isScalar(node) ? resolveScalar(node) : undefined;
    if (r?.kind === '!!bool') return r.value;
    this.typeError(node, 'bool');
    return undefined;
  }

  /**
   * An integer within [min, Number.MAX_SAFE_INTEGER]; `goType` is `uint` or `int` for messages.
   * A float with an integral value (`1e3`) is accepted, as go-yaml converts it.
   */
  integer(node: Node | null, goType: 'uint' | 'uint64' | 'int'): number | undefined {
    if (node === null) return undefined;
    const r = isScalar(node) ? resolveScalar(node) : undefined;
    let value: number | undefined;
    if (r?.kind === '!!int') value = Number(r.value);
    else if (r?.kind === '!!float' && Number.isInteger(r.value)) value = r.value;
    const min = goType === 'int' ? Number.MIN_SAFE_INTEGER : 0;
    if (value === undefined || value < min || value > Number.MAX_SAFE_INTEGER) {
      this.typeError(node, goType);
      return undefined;
    }
    return value;
  }

  float(node: Node | null): number | undefined {
    if (node === null) return undefined;
    const r = isScalar(node) ? resolveScalar(node) : undefined;
    if (r?.kind === '!!int') return Number(r.value);
    if (r?.kind === '!!float') return r.value;
    this.typeError(node, 'float64');
    return undefined;
  }

  /** A `<duration>` (§1.1) in ms. */
  duration(node: Node | null): number | undefined {
    const text = this.string(node, 'model.Duration');
    if (text === undefined) return undefined;
    try {
      return parseDuration(text);
    } catch (err) {
      this.fail(node, (err as Error).message);
      return undefined;
    }
  }

  /** A `<size>` (§1.1) in bytes. */
  size(node: Node | null): number | undefined {
    const text = this.string(node, 'units.Base2Bytes');
    if (text === undefined) return undefined;
    try {
      return parseSize(text);
    } catch (err) {
      this.fail(node, (err as Error).message);
      return undefined;
    }
  }

  stringList(node: Node | null, goType = '[]string'): string[] | undefined {
    const items = this.items(node, goType);
    if (items === undefined) return undefined;
    const out: string[] = [];
    for (const item of items) {
      const s = item.value === null ? '' : this.string(item.value);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  secretList(node: Node | null): Secret[] | undefined {
    const items = this.items(node, '[]config.Secret');
    if (items === undefined) return undefined;
    const out: Secret[] = [];
    for (const item of items) out.push(this.secret(item.value) ?? createSecret(''));
    return out;
  }

  /** A `map[string]string`; null values read as ''. Keys in document order. */
  stringMap(
    node: Node | null,
    goType = 'map[string]string',
  ): { key: string; keyNode: Node; value: string; valueNode: Node | null }[] | undefined {
    const entries = this.entries(node, goType);
    if (entries === undefined) return undefined;
    const out: { key: string; keyNode: Node; value: string; valueNode: Node | null }[] = [];
    for (const e of entries) {
      const value = e.value === null ? '' : this.string(e.value);
      if (value !== undefined)
        out.push({ key: e.key, keyNode: e.keyNode, value, valueNode: e.value });
    }
    return out;
  }

  /**
   * Resolves a `*_file` path against the config file's folder (Prometheus `JoinDir`); absolute
   * paths and a reader without a folder leave it unchanged.
   */
  filePath(path: string): string {
    if (path === '' || this.dir === '' || isAbsolute(path)) return path;
    return resolvePath(this.dir, path);
  }

  /**
   * The node as plain JS data, for configs carried through unparsed (other SDs, oauth2 claims):
   * mappings become objects (merge keys applied, keys as strings), sequences arrays, scalars
   * resolve with the same YAML 1.1 rules as typed fields (`yes` → true, `0x10` → 16, integers
   * beyond 2^53 stay strings). Problems (duplicate keys, unknown anchors) are recorded.
   */
  toPlain(node: Node | null): unknown {
    if (node === null) return null;
    if (isMap(node)) {
      const entries = this.entries(node, 'map[string]interface {}') ?? [];
      return Object.fromEntries(entries.map((e) => [e.key, this.toPlain(e.value)]));
    }
    if (isSeq(node)) return node.items.map((item) => this.toPlain(this.resolve(item as Node)));
    if (!isScalar(node)) return null;
    const r = resolveScalar(node);
    switch (r.kind) {
      case '!!null':
        return null;
      case '!!int': {
        const n = Number(r.value);
        return Number.isSafeInteger(n) ? n : (node.source ?? String(node.value));
      }
      default:
        return r.value;
    }
  }
}

/** The known fields of one mapping; getters read a field's value through the reader. */
export class Struct {
  constructor(
    readonly reader: YamlReader,
    /** The mapping node itself (null for a null value), used to place whole-object errors. */
    readonly node: Node | null,
    private readonly fields: ReadonlyMap<string, MapEntry>,
  ) {}

  /** True when the key is written, even with a null value. */
  has(name: string): boolean {
    return this.fields.has(name);
  }

  /** The resolved value node; null when absent or null. */
  value(name: string): Node | null {
    return this.fields.get(name)?.value ?? null;
  }

  /** Best node to point at for an error about this field: its value, else its key, else the map. */
  at(name: string): Node | null {
    const entry = this.fields.get(name);
    return entry?.value ?? entry?.keyNode ?? this.node;
  }

  keys(): IterableIterator<string> {
    return this.fields.keys();
  }

  fail(name: string | undefined, message: string): void {
    this.reader.fail(name === undefined ? this.node : this.at(name), message);
  }

  string(name: string): string | undefined {
    return this.reader.string(this.value(name));
  }

  secret(name: string): Secret | undefined {
    return this.reader.secret(this.value(name));
  }

  bool(name: string): boolean | undefined {
    return this.reader.bool(this.value(name));
  }

  integer(name: string, goType: 'uint' | 'uint64' | 'int'): number | undefined {
    return this.reader.integer(this.value(name), goType);
  }

  float(name: string): number | undefined {
    return this.reader.float(this.value(name));
  }

  duration(name: string): number | undefined {
    return this.reader.duration(this.value(name));
  }

  size(name: string): number | undefined {
    return this.reader.size(this.value(name));
  }

  stringList(name: string, goType?: string): string[] | undefined {
    return this.reader.stringList(this.value(name), goType);
  }

  /** A `*_file` field: the path resolved against the config folder. */
  filePath(name: string): string | undefined {
    const path = this.string(name);
    return path === undefined || path === '' ? undefined : this.reader.filePath(path);
  }
}
