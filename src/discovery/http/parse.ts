/**
 * The http_sd response body (§10.3): a JSON list of `{"targets": [string], "labels": {name:
 * value}}`, decoded as strictly as Prometheus (`targetgroup.Group.UnmarshalJSON` with
 * `DisallowUnknownFields`):
 * - unknown keys are an error; `targets`/`labels` match case-insensitively (Go `encoding/json`);
 * - a `null` element is an error (`nil target group item found`);
 * - targets and label values must be strings; label names must be valid (UTF-8 scheme);
 * - lenient where Go is: `null` body, `targets: null`, `labels: null` mean none, a `null` target
 *   is the empty address, a `null` label value is the empty value (absent); lone UTF-16
 *   surrogates from `\u` escapes become U+FFFD, as Go decodes them.
 * Each group gets `__meta_url` = the SD URL (replacing one from the body); source
 * `<url>:<index>`.
 *
 * file_sd's JSON decoding (`../file/parse.ts`) has the same rules but is bound to file paths,
 * `__meta_filepath` and file messages, and exports no lower-level entry point; this module
 * implements the JSON-only subset for HTTP.
 */
import { isValidLabelName } from '../../config/label-names.js';
import type { TargetGroup } from '../types.js';

/** The group label carrying the SD URL (§10.3). */
export const URL_LABEL = '__meta_url';

/** Source of the `index`th group of a response. */
export function httpGroupSource(url: string, index: number): string {
  return `${url}:${index}`;
}

/** A body-level problem; the discoverer adds the URL context. */
export class HttpSdParseProblem extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Go's JSON decoder turns invalid UTF-16 escapes into U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/** Go `encoding/json` field matching: ASCII case folding, plus ſ (U+017F) → s, K (U+212A) → k. */
function groupField(key: string): 'targets' | 'labels' | undefined {
  const folded = key.replaceAll('\u017f', 's').replaceAll('\u212a', 'k');
  if (/[^\x00-\x7f]/.test(folded)) return undefined;
  const lower = folded.toLowerCase();
  return lower === 'targets' || lower === 'labels' ? lower : undefined;
}

/** Parses a response body. Throws {@link HttpSdParseProblem} (message without URL context). */
export function parseHttpSdBody(url: string, source: string, text: string): TargetGroup[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // SyntaxError, or RangeError when nesting exhausts the stack.
    throw new HttpSdParseProblem(err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (doc === null) return [];
  if (!Array.isArray(doc)) {
    throw new HttpSdParseProblem(`expected a list of target groups, got ${describe(doc)}`);
  }
  return doc.map((raw: unknown, index): TargetGroup => {
    const at = `group ${index}`;
    if (raw === null) throw new HttpSdParseProblem(`nil target group item found (index ${index})`);
    if (!isRecord(raw)) {
      throw new HttpSdParseProblem(`${at}: expected an object, got ${describe(raw)}`);
    }
    let targets: Record<string, string>[] = [];
    const labels: Record<string, string> = Object.create(null);
    for (const key of Object.keys(raw)) {
      const field = groupField(key);
      const value = raw[key];
      if (field === undefined) {
        throw new HttpSdParseProblem(`${at}: unknown field ${JSON.stringify(key)}`);
      }
      if (value === null) {
        if (field === 'targets') targets = [];
        continue;
      }
      if (field === 'targets') {
        if (!Array.isArray(value)) {
          throw new HttpSdParseProblem(`${at}: "targets" must be a list, got ${describe(value)}`);
        }
        targets = value.map((t: unknown, i) => {
          if (t !== null && typeof t !== 'string') {
            throw new HttpSdParseProblem(
              `${at}: targets[${i}] must be a string, got ${describe(t)}`,
            );
          }
          return { __address__: wellFormed(t ?? '') };
        });
        continue;
      }
      if (!isRecord(value)) {
        throw new HttpSdParseProblem(`${at}: "labels" must be an object, got ${describe(value)}`);
      }
      for (const rawName of Object.keys(value)) {
        const name = wellFormed(rawName);
        if (!isValidLabelName(name, 'utf8')) {
          throw new HttpSdParseProblem(`${at}: ${JSON.stringify(name)} is not a valid label name`);
        }
        const labelValue = value[rawName];
        if (labelValue === null) continue;
        if (typeof labelValue !== 'string') {
          throw new HttpSdParseProblem(
            `${at}: value of label ${JSON.stringify(name)} must be a string, got ${describe(labelValue)}`,
          );
        }
        labels[name] = wellFormed(labelValue);
      }
    }
    labels[URL_LABEL] = url;
    return { source: httpGroupSource(source, index), targets, labels };
  });
}
