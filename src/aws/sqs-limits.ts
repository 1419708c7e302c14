/**
 * Limits of Amazon SQS that the queue adapters enforce themselves, so that a bad value fails
 * here with our error and not as an opaque service error (or, against fauxqs, not at all:
 * fauxqs accepts DelaySeconds above 900, see docs/testing.md).
 *
 * Sources: SQS API reference, SendMessage / SendMessageBatch ("DelaySeconds: 0 to 900";
 * "The maximum allowed individual message size and the maximum total payload size (the sum of
 * the individual lengths of all of the batched messages) are both 256 KiB" — raised to 1 MiB
 * for queues whose MaximumMessageSize allows it since 2025; we keep 256 KiB as the default so a
 * queue created with the old default works too).
 */

/** Largest DelaySeconds SQS accepts (15 minutes). docs/design.md decision 3. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** Default bound for one message body, in UTF-8 bytes (SQS counts the body's bytes). */
export const SQS_DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

/** Default bound for the sum of the bodies of one SendMessageBatch request. */
export const SQS_DEFAULT_MAX_BATCH_BYTES = 256 * 1024;

/** Entries per SendMessageBatch request (fixed by SQS). */
export const SQS_MAX_BATCH_ENTRIES = 10;

/**
 * Why `delaySeconds` is not a valid SQS DelaySeconds (a whole number 0–900), or undefined when it
 * is. Each adapter throws its own error with this text.
 */
export function delaySecondsProblem(delaySeconds: unknown): string | undefined {
  if (typeof delaySeconds !== 'number' || !Number.isInteger(delaySeconds)) {
    return `DelaySeconds must be a whole number of seconds, got ${String(delaySeconds)}`;
  }
  if (delaySeconds < 0 || delaySeconds > SQS_MAX_DELAY_SECONDS) {
    return `DelaySeconds must be within 0–${SQS_MAX_DELAY_SECONDS}, got ${delaySeconds}`;
  }
  return undefined;
}

/** UTF-8 length of a message body, as SQS counts it. */
export function bodyBytes(body: string): number {
  return Buffer.byteLength(body, 'utf8');
}

/**
 * Makes JSON text safe for any SQS implementation: U+FFFE and U+FFFF (which SQS refuses) and the
 * UTF-16 units of characters above U+FFFF are written as `\uXXXX` escapes. AWS accepts astral
 * characters raw, but fauxqs (and other emulators checking per UTF-16 unit) refuse them; an
 * escaped pair costs 12 bytes instead of 4, and such characters are rare in labels. Lone
 * surrogates are escaped by JSON.stringify already. The result parses to the same value.
 */
export function escapeJsonForSqs(json: string): string {
  return json.replace(/[\ufffe\uffff\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
