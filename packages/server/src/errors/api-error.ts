import { ERRORS, type ErrorCode } from './catalogue.js';

/** Extra, public, machine-readable detail for an error reply (never secrets). */
export type ErrorDetails = Record<string, unknown>;

/**
 * The one error type that reaches a merchant. `message` overrides the
 * catalogue's sentence when the situation lets us teach more precisely.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message?: string, details?: ErrorDetails) {
    super(message ?? ERRORS[code].message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}
