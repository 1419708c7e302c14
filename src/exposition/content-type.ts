import type { ScrapeProtocol } from '../config/types.js';
import type { ExpositionFormat } from './types.js';

/**
 * Choosing the parser from the response's Content-Type (§4.4), with Prometheus's messages.
 * Only the media type counts (`version=`, `proto=`, `encoding=` and other parameters are
 * ignored, as in Prometheus), but the header must parse as a MIME media type. A missing,
 * unparsable or unsupported type falls back to `fallback_scrape_protocol` when one is configured
 * (the result then carries Prometheus's warning text), otherwise the scrape fails with the
 * returned error.
 *
 * Callers run this only for a non-empty body (§4.4 4: an empty body is an empty scrape).
 */
export type SelectedFormat = { format: ExpositionFormat; warning?: string } | { error: string };

const OPENMETRICS = 'application/openmetrics-text';
const TEXT = 'text/plain';
const PROTOBUF = 'application/vnd.google.protobuf';

const PROTOCOL_MEDIA_TYPES: Readonly<Record<ScrapeProtocol, string>> = {
  PrometheusProto: PROTOBUF,
  'PrometheusText0.0.4': TEXT,
  'PrometheusText1.0.0': TEXT,
  'OpenMetricsText0.0.1': OPENMETRICS,
  'OpenMetricsText1.0.0': OPENMETRICS,
};

const FORMATS: ReadonlyMap<string, ExpositionFormat> = new Map([
  [OPENMETRICS, 'openmetrics'],
  [TEXT, 'prometheus-text'],
  [PROTOBUF, 'protobuf'],
]);

export function selectFormat(
  contentType: string | undefined,
  fallback: ScrapeProtocol | undefined,
): SelectedFormat {
  const fallbackType = fallback === undefined ? undefined : PROTOCOL_MEDIA_TYPES[fallback];
  const useFallback = (warning: string): SelectedFormat => {
    // Every protocol's media type has a parser, so a configured fallback always yields one.
    return { format: FORMATS.get(fallbackType ?? '') ?? 'prometheus-text', warning };
  };

  if (contentType === undefined || contentType === '') {
    if (fallbackType === undefined) {
      return {
        error:
          'non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target',
      };
    }
    return useFallback(
      `non-compliant scrape target sending blank Content-Type, using fallback_scrape_protocol ${goQuote(fallbackType)}`,
    );
  }

  const parsed = parseMediaType(contentType);
  if ('error' in parsed) {
    if (fallbackType === undefined) {
      return {
        error: `cannot parse Content-Type ${goQuote(contentType)} and no fallback_scrape_protocol for target\n${parsed.error}`,
      };
    }
    return useFallback(
      `could not parse received Content-Type ${goQuote(contentType)}, using fallback_scrape_protocol ${goQuote(fallbackType)}\n${parsed.error}`,
    );
  }

  const format = FORMATS.get(parsed.mediaType);
  if (format !== undefined) return { format };
  if (fallbackType === undefined) {
    return {
      error: `received unsupported Content-Type ${goQuote(contentType)} and no fallback_scrape_protocol specified for target`,
    };
  }
  return useFallback(
    `received unsupported Content-Type ${goQuote(contentType)}, using fallback_scrape_protocol ${goQuote(fallbackType)}`,
  );
}

/** Go's `%q` for the ASCII header values we quote (close enough for messages). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

// ------------------------------------------------------------------ MIME media type syntax

/**
 * The media type of a Content-Type value, lower-cased, validated the way Go's
 * `mime.ParseMediaType` does: `type[/subtype]` tokens, then `; name=value` parameters (token or
 * quoted-string values; a trailing `;` is fine; a repeated name with a different value is not).
 */
export function parseMediaType(value: string): { mediaType: string } | { error: string } {
  const semi = value.indexOf(';');
  const base = semi < 0 ? value : value.slice(0, semi);
  const mediaType = base.toLowerCase().trim();
  const problem = checkMediaType(mediaType);
  if (problem !== undefined) return { error: problem };
  const seen = new Map<string, string>();
  let rest = value.slice(base.length);
  while (rest.length > 0) {
    rest = rest.trimStart();
    if (rest.length === 0) break;
    const param = consumeParam(rest);
    if (param === undefined) {
      if (rest.trim() === ';') break;
      return { error: 'mime: invalid media parameter' };
    }
    const previous = seen.get(param.name);
    if (previous !== undefined && previous !== param.value) {
      return { error: 'mime: duplicate parameter name' };
    }
    seen.set(param.name, param.value);
    rest = param.rest;
  }
  return { mediaType };
}

function checkMediaType(s: string): string | undefined {
  const [type, afterType] = consumeToken(s);
  if (type === '') return 'mime: no media type';
  if (afterType === '') return undefined;
  if (!afterType.startsWith('/')) return 'mime: expected slash after first token';
  const [subtype, afterSubtype] = consumeToken(afterType.slice(1));
  if (subtype === '') return 'mime: expected token after slash';
  if (afterSubtype !== '') return 'mime: unexpected content after media subtype';
  return undefined;
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !TSPECIALS.includes(c);
}

function consumeToken(s: string): [token: string, rest: string] {
  let i = 0;
  while (i < s.length && isTokenChar(s[i]!)) i++;
  return [s.slice(0, i), s.slice(i)];
}

function consumeValue(s: string): [value: string, rest: string] {
  if (!s.startsWith('"')) return consumeToken(s);
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return [out, s.slice(i + 1)];
    if (c === '\\' && i + 1 < s.length && TSPECIALS.includes(s[i + 1]!)) {
      out += s[i + 1];
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') return ['', s];
    out += c;
  }
  return ['', s];
}

function consumeParam(s: string): { name: string; value: string; rest: string } | undefined {
  let rest = s.trimStart();
  if (!rest.startsWith(';')) return undefined;
  rest = rest.slice(1).trimStart();
  const [rawName, afterName] = consumeToken(rest);
  const name = rawName.toLowerCase();
  if (name === '') return undefined;
  rest = afterName.trimStart();
  if (!rest.startsWith('=')) return undefined;
  rest = rest.slice(1).trimStart();
  const [value, afterValue] = consumeValue(rest);
  if (value === '' && afterValue === rest) return undefined;
  return { name, value, rest: afterValue };
}
