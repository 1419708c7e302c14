/**
 * The one error type of the exposition parsers (§5). Any instance means the whole scrape fails
 * (§5: "any parse error aborts the whole scrape"). `line` is the 1-based line of the entry that
 * failed (for the protobuf format: the 1-based number of the metric family message); the message
 * starts with `line <n>: ` (protobuf: `metric family <n> (byte <offset>): `).
 */
export class ExpositionParseError extends Error {
  readonly code = 'EXPOSITION_PARSE_ERROR';
  /** 1-based line number (protobuf: metric family number) of the offending entry. */
  readonly line: number;

  /** `where` replaces the `line <n>` prefix of the message when given. */
  constructor(detail: string, line: number, options?: { cause?: unknown; where?: string }) {
    super(`${options?.where ?? `line ${line}`}: ${detail}`, options);
    this.name = 'ExpositionParseError';
    this.line = line;
  }
}
