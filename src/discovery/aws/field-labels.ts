/**
 * AWS answer fields written as `__meta_*` labels the way Prometheus's Go code formats them,
 * for the roles that map many fields by table (rds, elasticache). Every input is untrusted
 * (`read.ts`): a field of the wrong type gives no label, and an empty value is no label (§10).
 */
import { sanitizeTagName } from '../ec2/index.js';
import { ec2Tags, str } from './read.js';

/** How a field is written: string, bool, integer, time. */
export type FieldKind = 's' | 'b' | 'i' | 't';

/** [label suffix, answer field, kind], in the order Prometheus sets them. */
export type FieldTable = readonly (readonly [string, string, FieldKind])[];

/** An integer as Go's strconv writes it, or undefined when the value is no integer. */
export function goInteger(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/**
 * A time as Go's `time.RFC3339` writes a UTC time: whole seconds, `Z` (the SDK parses the
 * services' timestamps into Dates).
 */
export function rfc3339(value: unknown): string | undefined {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return undefined;
  const year = value.getUTCFullYear();
  // Go writes years 0–9999 only in this form; a Date outside it is not what AWS sends.
  if (year < 0 || year > 9999) return undefined;
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function fieldText(value: unknown, kind: FieldKind): string | undefined {
  switch (kind) {
    case 's':
      return str(value);
    case 'b':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'i':
      return goInteger(value);
    case 't':
      return rfc3339(value);
  }
}

/** Sets `name` when the value is present and not empty (empty means absent, §10). */
export function setLabel(
  labels: Record<string, string>,
  name: string,
  value: string | undefined,
): void {
  if (value !== undefined && value !== '') labels[name] = value;
}

/** The label `<prefix><suffix of the table><suffix>` of each field of `from` the table names. */
export function putFields(
  labels: Record<string, string>,
  prefix: string,
  fields: FieldTable,
  from: Readonly<Record<string, unknown>>,
  suffix = '',
): void {
  for (const [name, field, kind] of fields) {
    setLabel(labels, `${prefix}${name}${suffix}`, fieldText(from[field], kind));
  }
}

/**
 * The labels `<prefix><sanitized key>` of an EC2-style `{Key, Value}` tag list; as in
 * Prometheus a later tag of the same sanitized name wins, empty or not.
 */
export function putTags(labels: Record<string, string>, prefix: string, tags: unknown): void {
  for (const [key, value] of ec2Tags(tags)) {
    const name = `${prefix}${sanitizeTagName(key)}`;
    if (value === '') delete labels[name];
    else labels[name] = value;
  }
}
