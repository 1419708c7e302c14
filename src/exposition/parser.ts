import { Buffer } from 'node:buffer';
import { decodeBody, decodeBodyInWindows } from './decode.js';
import { OpenMetricsParser } from './openmetrics.js';
import { PrometheusTextParser } from './prometheus-text.js';
import type { ExpositionFormat, ExpositionParser, ExpositionParserOptions } from './types.js';

type ProtobufModule = typeof import('./protobuf.js');

/**
 * The protobuf parser, loaded by {@link loadParser} on first need. It is a quarter of the
 * exposition code; loading it only for the jobs that negotiate protobuf keeps it out of every
 * Lambda function's INIT (test/infra/bundle.test.ts holds each under 1 MiB).
 */
let protobuf: ProtobufModule | undefined;

/**
 * Makes {@link createParser} ready for `format`: loads the protobuf parser the first time it is
 * asked for (the text parsers are always there). Call it before creating a protobuf parser.
 */
export async function loadParser(format: ExpositionFormat): Promise<void> {
  if (format === 'protobuf' && protobuf === undefined) protobuf = await import('./protobuf.js');
}

/**
 * A pull parser over one scraped body (§5.1 text 0.0.4/1.0.0, §5.2 OpenMetrics 1.0, §5.3
 * protobuf).
 *
 * Text formats: the body is decoded once (decode.ts: ASCII via latin1, otherwise UTF-8; invalid
 * UTF-8 is remembered and fails the entry that holds it). A large ASCII body in the text format
 * is decoded window by window as the parser reaches it. Protobuf: the bytes are read as they are
 * (a string body is taken as latin1, one byte per char). Either way the parser borrows the bytes
 * until it returns EOF or throws: the caller must not change them before. The protobuf format
 * needs {@link loadParser} first.
 */
export function createParser(
  format: ExpositionFormat,
  body: Uint8Array | string,
  options: ExpositionParserOptions = {},
): ExpositionParser {
  if (format === 'protobuf') {
    if (protobuf === undefined) {
      throw new Error("the protobuf parser is not loaded: await loadParser('protobuf') first");
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    return new protobuf.ProtobufParser(bytes, {
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
