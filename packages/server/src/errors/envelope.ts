import type { ErrorDetails } from './api-error.js';
import type { ErrorCode } from './catalogue.js';

/**
 * KwikPaisa v3 reply envelope: `code` is the HTTP status as a string,
 * `status` is "success" or "failed". Tijori adds `error_code` and
 * `request_id` to failures so integrators can branch and quote them.
 */
export interface SuccessEnvelope<T> {
  code: string;
  status: 'success';
  message: string;
  return_data: T;
}

export interface FailureEnvelope {
  code: string;
  status: 'failed';
  message: string;
  error_code: ErrorCode;
  request_id: string;
  details?: ErrorDetails;
}

export function successEnvelope<T>(httpStatus: number, message: string, data: T): SuccessEnvelope<T> {
  return { code: String(httpStatus), status: 'success', message, return_data: data };
}

export function failureEnvelope(
  httpStatus: number,
  errorCode: ErrorCode,
  message: string,
  requestId: string,
  details?: ErrorDetails,
): FailureEnvelope {
  const body: FailureEnvelope = { code: String(httpStatus), status: 'failed', message, error_code: errorCode, request_id: requestId };
  if (details !== undefined) body.details = details;
  return body;
}
