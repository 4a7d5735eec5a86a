import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../../errors/catalogue.js';
import type { GatewayMetrics } from '../../lib/metrics.js';

// Any other method (Fastify routes none) is one label value, not one per spelling a client invents.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Every 401 is an authentication refusal (the merchant checks in request-auth,
// and the admin token); ip_not_allowed is the allowlist's 403.
const AUTH_FAILURES: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((code) => ERRORS[code].status === 401 || code === 'ip_not_allowed'));
const RATE_LIMIT_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'too_many_auth_failures']);

/** Counts one reply that has been sent. */
export function countReply(metrics: GatewayMetrics, request: FastifyRequest, reply: FastifyReply): void {
  const code = reply.errorCode;
  const route = request.routeOptions.url ?? 'unmatched';
  metrics.request(route, METHODS.has(request.method) ? request.method : 'OTHER', reply.statusCode, code ?? '', reply.elapsedTime / 1000);
  if (code !== null) {
    if (AUTH_FAILURES.has(code)) metrics.authFailure(code);
    else if (RATE_LIMIT_REFUSALS.has(code)) metrics.rateLimitRefusal(code);
  }
}

/**
 * Counts every reply once it has been sent: the route pattern (never the
 * raw URL, which would make one series per order id), method, status and
 * the envelope's error_code, which sendError leaves on the reply so nothing
 * is parsed again. Registered on the root before any route so it sees them all.
 */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  // A callback hook: it runs on every request and needs no promise.
  app.addHook('onResponse', function countRequest(request, reply, done) {
    countReply(metrics, request, reply);
    done();
  });
}
