import { inspect } from 'node:util';

const MASK = '[secret]';

/**
 * A value that must never be printed: logs, error replies and JSON see only
 * "[secret]". Read it deliberately with `reveal()`. (Hyperswitch's masking.)
 */
export class Secret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return MASK;
  }
}
