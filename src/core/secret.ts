/**
 * A secret value (password, token) that cannot leak by accident: printing,
 * string interpolation, JSON serialisation and util.inspect all show a
 * placeholder. Only `reveal()` gives the value, and only code that writes it
 * where it belongs (a 0600 file, an HTTP body to etcd) should call it.
 */
const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }

  static readonly redacted = REDACTED;
}
