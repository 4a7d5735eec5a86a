import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { failureEnvelope } from '../errors/envelope.js';
import type { FieldProblem } from '../core/orders.js';
import { ReplayStoreUnavailable } from '../replay/replay-store.js';
import { DataKeyDestroyedError } from '../core/keyring.js';
import { StorageUnavailable } from '../store/storage-unavailable.js';
import { SECURITY_HEADERS } from './security-headers.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** With Ajv's `verbose` option: the schema holding the failed keyword. */
  parentSchema?: { description?: unknown };
}

/** Turns schema errors into one readable problem per field, e.g. `customer.email: must match format "email"`. */
export function fieldProblems(errors: readonly AjvError[]): FieldProblem[] {
  const seen = new Map<string, string>();
  for (const e of errors) {
    const base = e.instancePath.slice(1).replaceAll('/', '.');
    const join = (child: unknown) => (base ? `${base}.${String(child)}` : String(child));
    let field = base || '(body)';
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      field = join(e.params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field = join(e.params.additionalProperty);
      message = 'is not a recognised field';
    } else if (e.keyword === 'pattern' && typeof e.parentSchema?.description === 'string') {
      // The field's description says what it must be; its regular expression (e.g. for a limit of 1-500) says it to no one.
      message = `is not valid: ${e.parentSchema.description}`;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    if (!seen.has(field)) seen.set(field, message);
  }
  return [...seen].map(([field, message]) => ({ field, message }));
}

declare module 'fastify' {
  interface FastifyReply {
    /** The error_code of a refusal this reply carries (null on success): read by the audit log and metrics after the reply is sent. */
    errorCode: ErrorCode | null;
  }
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  reply.errorCode = error.code;
  return reply.code(error.status).send(failureEnvelope(error.status, error.code, error.message, reply.request.id, error.details));
}

function fromFastify(error: FastifyError, bodyLimitBytes: number): ApiError | undefined {
  if (error.validation) {
    const problems = fieldProblems(error.validation as AjvError[]);
    return new ApiError('validation_failed', `Invalid fields: ${problems.map((p) => p.field).join(', ')}.`, { errors: problems });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', `The request body is larger than ${bodyLimitBytes} bytes.`, { limit_bytes: bodyLimitBytes });
    default:
      return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? new ApiError('bad_request') : undefined;
  }
}

/**
 * Every failure leaves as the same envelope with a stable code. Internal
 * detail goes to the log with the request id, never into the reply.
 */
export function registerErrorHandling(app: FastifyInstance, bodyLimitBytes: number): void {
  app.decorateReply('errorCode', null);
  app.setErrorHandler(function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (error instanceof ApiError) return sendError(reply, error);
    if (error instanceof ReplayStoreUnavailable) {
      request.log.error({ err: error }, 'replay store unavailable: refusing requests rather than risking replays');
      return sendError(reply, new ApiError('service_unavailable'));
    }
    // The database is down, restarting or too slow: temporary and ours, so 503 (clients and balancers retry), not 500.
    if (error instanceof StorageUnavailable) {
      request.log.error({ err: error }, 'storage unavailable: refusing the request');
      return sendError(reply, new ApiError('storage_unavailable'));
    }
    // An erased merchant's data key is gone for good: nothing may be sealed for it again (no new key, endpoint or secret).
    if (error instanceof DataKeyDestroyedError) return sendError(reply, new ApiError('merchant_erased'));
    const mapped = fromFastify(error, bodyLimitBytes);
    if (mapped) return sendError(reply, mapped);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new ApiError('internal_error'));
  });

  app.setNotFoundHandler(function handleNotFound(request, reply) {
    return sendError(reply, new ApiError('route_not_found', `No endpoint ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}.`));
  });
}

/**
 * For Fastify's `frameworkErrors` option: failures found while routing,
 * before any hook runs (a URL whose percent-encoding does not decode, a
 * path parameter past maxParamLength). Without it Fastify answers them
 * itself with a body of its own that names its internal error code.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, sign?: (request: FastifyRequest, reply: FastifyReply, body: string) => void): void {
  // No onRequest hook ran: set what they would have (a JSON error, whatever the path).
  reply.header('x-request-id', request.id);
  for (const [name, value] of SECURITY_HEADERS.api) reply.header(name, value);
  const message = error.code === 'FST_ERR_BAD_URL' ? 'The request URL is not valid: check its percent-encoding.' : undefined;
  const refusal = new ApiError('bad_request', message);
  reply.errorCode = refusal.code;
  // Serialised here, not by Fastify: no onSend hook runs either, so the reply is signed over these exact bytes.
  const body = JSON.stringify(failureEnvelope(refusal.status, refusal.code, refusal.message, request.id, refusal.details));
  reply.code(refusal.status).type('application/json; charset=utf-8');
  sign?.(request, reply, body);
  reply.send(body);
}
