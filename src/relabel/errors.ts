/**
 * The one error type of the relabel engine. Thrown only while compiling a program (a regex RE2
 * rejects, an unknown action, a hashmod modulus that is not a positive integer); applying a
 * compiled program never throws.
 */
export class RelabelError extends Error {
  readonly code = 'INVALID_RELABEL_CONFIG';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelabelError';
  }
}
