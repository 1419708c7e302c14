/**
 * The one error type of the exposition parsers (§5). Any instance means the whole scrape fails
 * (§5: "any parse error aborts the whole scrape"). `line` is the 1-based line of the entry that
 * failed; the message starts with `line <n>: `.
 */
export class ExpositionParseError extends Error {
  readonly code = 'EXPOSITION_PARSE_ERROR';
  /** 1-based line number of the offending entry. */
  readonly line: number;

  constructor(detail: string, line: number, options?: { cause?: unknown }) {
    super(`line ${line}: ${detail}`, options);
    this.name = 'ExpositionParseError';
    this.line = line;
  }
}
