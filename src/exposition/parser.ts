import { decodeBody } from './decode.js';
import { OpenMetricsParser } from './openmetrics.js';
import { PrometheusTextParser } from './prometheus-text.js';
import type { ExpositionFormat, ExpositionParser, ExpositionParserOptions } from './types.js';

/**
 * A pull parser over one scraped body (§5.1 text 0.0.4/1.0.0, §5.2 OpenMetrics 1.0).
 *
 * The body is decoded once (decode.ts: ASCII via latin1, otherwise UTF-8; invalid UTF-8 is
 * remembered and fails the entry that holds it). Bytes are borrowed, not copied, and the
 * caller may reuse the buffer once the parser has been created.
 */
export function createParser(
  format: ExpositionFormat,
  body: Uint8Array | string,
  options: ExpositionParserOptions = {},
): ExpositionParser {
  const decoded = decodeBody(body);
  if (format === 'openmetrics') {
    return new OpenMetricsParser(decoded, {
      strict: options.strict ?? false,
      skipCreatedSeries: options.skipCreatedSeries ?? false,
    });
  }
  return new PrometheusTextParser(decoded);
}
