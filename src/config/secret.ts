/** A secret value: `toString`/`toJSON`/inspect all give `<secret>`; `reveal()` gives the value. */
export interface Secret {
  reveal(): string;
}

const REDACTED = '<secret>';

/**
 * A secret config value (passwords, tokens, keys; `<secret>` in §1.5). Every way of turning it
 * into text by accident — `String()`, template literals, `JSON.stringify`, `util.inspect` /
 * `console.log` — yields `<secret>`; only {@link SecretValue.reveal} gives the value. The value
 * lives in a private field, so it is not an own enumerable property either (spread, `Object.keys`,
 * structured logging of the object all miss it).
 */
export class SecretValue implements Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export function createSecret(value: string): Secret {
  return new SecretValue(value);
}
