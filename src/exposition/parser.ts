import { Buffer } from 'node:buffer';
import { decodeBody, decodeBodyInWindows } from './decode.js';
import { OpenMetricsParser } from './openmetrics.js';
import { PrometheusTextParser } from './prometheus-text.js';
import { ProtobufParser } from './protobuf.js';
import type { ExpositionFormat, ExpositionParser, ExpositionParserOptions } from './types.js';

/**
 * A pull parser over one scraped body (§5.1 text 0.0.4/1.0.0, §5.2 OpenMetrics 1.0, §5.3
 * protobuf).
 *
 * Text formats: the body is decoded once (decode.ts: ASCII via latin1, otherwise UTF-8; invalid
 * UTF-8 is remembered and fails the entry that holds it). A large ASCII body in the text format
 * is decoded window by window as the parser reaches it. Protobuf: the bytes are read as they are
 * (a string body is taken as latin1, one byte per char). Either way the parser borrows the bytes
 * until it returns EOF or throws: the caller must not change them before.
 */
export function createParser(
  format: ExpositionFormat,
  body: Uint8Array | string,
  options: ExpositionParserOptions = {},
): ExpositionParser {
  if (format === 'protobuf') {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    return new ProtobufParser(bytes, {
      nativeHistograms: options.nativeHistograms ?? false,
      keepClassicHistograms: options.keepClassicHistograms ?? false,
      convertClassicHistogramsToNhcb: options.convertClassicHistogramsToNhcb ?? false,
    });
  }
  if (format === 'openmetrics') {
    // Whole: its `_created` look-ahead may read far past the current line.
    return new OpenMetricsParser(decodeBody(body), {
      strict: options.strict ?? false,
      skipCreatedSeries: options.skipCreatedSeries ?? false,
    });
  }
  const windowBytes = options.windowBytes;
  return new PrometheusTextParser(
    windowBytes === undefined
      ? decodeBodyInWindows(body)
      : decodeBodyInWindows(body, windowBytes, windowBytes),
  );
}
