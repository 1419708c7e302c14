/**
 * An encoder for protobuf exposition bodies that shares nothing with the parser under test:
 * protobufjs, driven by client_model's metrics.proto (test/fixtures/proto/metrics.proto).
 *
 * `encodeFamilies` writes varint-length-delimited MetricFamily messages from plain objects in
 * protobufjs's JSON form (camelCase field names, enum names as strings, 64-bit numbers as
 * numbers). metrics.proto is proto2, so its repeated numbers are written one field each; with
 * `packed: true` they are written packed, as an encoder from a proto3 copy of the file (such as
 * Prometheus's own) writes them.
 *
 * `RawWriter` writes fields by hand for bodies an encoder would not produce (unknown fields,
 * groups, wrong wire types, bad lengths).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_FILE = fileURLToPath(new URL('../fixtures/proto/metrics.proto', import.meta.url));

function loadRoot(packed: boolean): protobuf.Root {
  let text = readFileSync(PROTO_FILE, 'utf8');
  if (packed) {
    text = text.replace(/(repeated (?:sint64|double)\s+\w+\s*=\s*\d+)\s*;/g, '$1 [packed = true];');
  }
  const root = new protobuf.Root();
  root.loadSync('google/protobuf/timestamp.proto'); // protobufjs's bundled copy
  protobuf.parse(text, root);
  root.resolveAll();
  return root;
}

const families = {
  plain: loadRoot(false).lookupType('io.prometheus.client.MetricFamily'),
  packed: loadRoot(true).lookupType('io.prometheus.client.MetricFamily'),
};

/** A MetricFamily in protobufjs's object form. */
export type FamilyObject = Record<string, unknown>;

export function encodeFamilies(
  list: readonly FamilyObject[],
  options: { packed?: boolean } = {},
): Uint8Array {
  const type = options.packed ? families.packed : families.plain;
  const w = protobuf.Writer.create();
  for (const f of list) {
    checkFields(type, f, 'MetricFamily');
    type.encodeDelimited(type.fromObject(f), w);
  }
  return w.finish();
}

/** Fails on a key metrics.proto does not have (fromObject would drop it silently). */
function checkFields(type: protobuf.Type, object: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key];
    if (field === undefined) throw new Error(`test data: ${path} has no field ${key}`);
    const sub = field.resolvedType;
    if (!(sub instanceof protobuf.Type)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      checkFields(sub, item as Record<string, unknown>, `${path}.${key}`);
    }
  }
}

/** One MetricFamily message, not length-prefixed. */
export function encodeFamily(f: FamilyObject): Uint8Array {
  return families.plain.encode(families.plain.fromObject(f)).finish();
}

export const Wire = { varint: 0, i64: 1, len: 2, sgroup: 3, egroup: 4, i32: 5 } as const;

/** Hand-made fields: `tag(field, wire)` then the payload, chained. */
export class RawWriter {
  private readonly w = protobuf.Writer.create();

  tag(field: number, wire: number): this {
    this.w.uint32(((field << 3) | wire) >>> 0);
    return this;
  }

  varint(v: number): this {
    this.w.uint64(v);
    return this;
  }

  fixed32(v: number): this {
    this.w.fixed32(v);
    return this;
  }

  double(v: number): this {
    this.w.double(v);
    return this;
  }

  bytes(b: Uint8Array | string): this {
    this.w.bytes(typeof b === 'string' ? new TextEncoder().encode(b) : b);
    return this;
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}

/** Concatenates byte arrays. */
export function concat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A message with its varint length prefix (as one family in a body). */
export function delimited(message: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.bytes(message);
  return w.finish();
}
