/**
 * The one error type the config loader throws (§1). Each entry of `errors` is a complete,
 * human-readable message that starts with `<file>:<line>:<column>: ` when it is about a YAML node,
 * and never contains the value of a secret field.
 */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  /** Every problem found, in document order within each file. Never empty. */
  readonly errors: readonly string[];

  constructor(errors: readonly string[], options?: { cause?: unknown }) {
    super(errors.join('\n'), options);
    this.name = 'ConfigError';
    this.errors = errors;
  }
}
