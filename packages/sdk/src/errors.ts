/**
 * The SDK's errors: one base class, TijoriError, and one subclass per kind of
 * failure an integrator handles differently. A refusal by the gateway keeps
 * its HTTP status, its stable `error_code` (docs/errors.md), its message
 * (written to teach: it says what to check) and its request id (quote it to
 * support). The class follows from the status, which the gateway's error
 * catalogue fixes for each code, so a code added later still lands in the
 * right class.
 */
import type { ResponseVerifyFailureCode, WebhookVerifyFailureCode } from '@tijori/signing/messages';

export interface TijoriErrorFields {
  /** The reply's HTTP status; undefined when no reply came. */
  status?: number | undefined;
  /** The gateway's stable error code, e.g. 'invalid_signature'; undefined when the reply had none. */
  errorCode?: string | undefined;
  /** The gateway's request id (req_...), from the x-request-id header or the envelope. */
  requestId?: string | undefined;
  /** The envelope's details, e.g. `errors` for validation_failed or `server_time` for timestamp_outside_window. */
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

export class TijoriError extends Error {
  override name = 'TijoriError';
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, fields: TijoriErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.status = fields.status;
    this.errorCode = fields.errorCode;
    this.requestId = fields.requestId;
    this.details = fields.details;
  }
}

/** 401: the API key, the timestamp or the signature was refused (invalid_signature, timestamp_outside_window, unknown_api_key, ...). */
export class TijoriAuthenticationError extends TijoriError {
  override name = 'TijoriAuthenticationError';
}

/** 403: refused for where or how the request came (ip_not_allowed, https_required), or for the key's mode (sandbox_only). */
export class TijoriPermissionError extends TijoriError {
  override name = 'TijoriPermissionError';
}

/** 400, 406, 413, 415: the request itself is wrong (validation_failed lists every bad field in details.errors). */
export class TijoriValidationError extends TijoriError {
  override name = 'TijoriValidationError';
}

/** 404: no such order, delivery or event for this key's merchant and mode. */
export class TijoriNotFoundError extends TijoriError {
  override name = 'TijoriNotFoundError';
}

/** 409: the order_id is taken by another order (duplicate_order_id), or the order's state forbids the change (illegal_transition). */
export class TijoriConflictError extends TijoriError {
  override name = 'TijoriConflictError';
}

/** 429: rate_limited or too_many_auth_failures, after the retries allowed. */
export class TijoriRateLimitError extends TijoriError {
  override name = 'TijoriRateLimitError';
  /** Seconds the gateway asked to wait (Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(message: string, fields: TijoriErrorFields & { retryAfter?: number | undefined } = {}) {
    super(message, fields);
    this.retryAfter = fields.retryAfter;
  }
}

/** 5xx, or a reply that is not the gateway's JSON (a proxy's error page), after the retries allowed. */
export class TijoriServerError extends TijoriError {
  override name = 'TijoriServerError';
}

/** No reply: the connection failed or broke, after the retries allowed. The request may or may not have been carried out. */
export class TijoriConnectionError extends TijoriError {
  override name = 'TijoriConnectionError';
}

/** No reply within timeoutMs, after the retries allowed. The request may or may not have been carried out. */
export class TijoriTimeoutError extends TijoriConnectionError {
  override name = 'TijoriTimeoutError';
}

/** A reply whose signature did not verify against the gateway's published keys (verifyResponses): do not act on it. */
export class TijoriResponseVerificationError extends TijoriError {
  override name = 'TijoriResponseVerificationError';
  /** Why: a code of @tijori/signing's verifyResponse, or jwks_unavailable when the keys could not be fetched. */
  readonly code: ResponseVerifyFailureCode | 'jwks_unavailable';

  constructor(code: ResponseVerifyFailureCode | 'jwks_unavailable', message: string, fields: TijoriErrorFields = {}) {
    super(message, fields);
    this.code = code;
  }
}

/** A webhook delivery that did not verify: answer it with a 400 and do not act on it. */
export class TijoriWebhookVerificationError extends TijoriError {
  override name = 'TijoriWebhookVerificationError';
  /** Why: missing_headers, invalid_timestamp, timestamp_outside_tolerance, invalid_signature, invalid_secret; or invalid_payload for a verified body that is not JSON. */
  readonly code: WebhookVerifyFailureCode | 'invalid_payload';

  constructor(code: WebhookVerifyFailureCode | 'invalid_payload', message: string) {
    super(message);
    this.code = code;
  }
}

type ApiErrorClass = new (message: string, fields: TijoriErrorFields) => TijoriError;

/** The class for a refusal, from its HTTP status (the catalogue gives every error code one status). */
export function errorClassForStatus(status: number): ApiErrorClass {
  if (status === 401) return TijoriAuthenticationError;
  if (status === 403) return TijoriPermissionError;
  if (status === 404) return TijoriNotFoundError;
  if (status === 409) return TijoriConflictError;
  if (status === 429) return TijoriRateLimitError;
  if (status >= 400 && status < 500) return TijoriValidationError;
  return TijoriServerError;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** The error a non-success reply stands for: the envelope's code, message and details when it has them, the status's class either way. */
export function errorFromReply(reply: Reply, envelope: unknown, retryAfterSeconds: number | undefined): TijoriError {
  const failure = asFailureEnvelope(envelope);
  const requestId = reply.headers.get('x-request-id') ?? failure?.request_id;
  const ErrorClass = errorClassForStatus(reply.status);
  const fields = { status: reply.status, errorCode: failure?.error_code, requestId, details: failure?.details, retryAfter: retryAfterSeconds };
  const message =
    failure?.message ??
    `The gateway answered ${reply.status} without Tijori's JSON error envelope: something between you and the gateway (a proxy or load balancer) answered instead, or baseUrl does not point at a Tijori gateway.`;
  return new ErrorClass(message, fields);
}

interface FailureFields {
  message: string;
  error_code: string;
  request_id: string | undefined;
  details: Record<string, unknown> | undefined;
}

function asFailureEnvelope(value: unknown): FailureFields | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.status !== 'failed' || typeof v.error_code !== 'string' || typeof v.message !== 'string') return undefined;
  return {
    message: v.message,
    error_code: v.error_code,
    request_id: typeof v.request_id === 'string' ? v.request_id : undefined,
    details: typeof v.details === 'object' && v.details !== null ? (v.details as Record<string, unknown>) : undefined,
  };
}
