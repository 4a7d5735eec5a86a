import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../../core/audit-trail.js';
import type { Clock } from '../../lib/clock.js';
import type { ClientAddressResolver } from '../client-address.js';

export interface AuditPluginOptions {
  /** Where records go; `record` must not block (core/audit-trail.ts buffers). */
  trail: { record(entry: AuditEntry): void };
  clock: Clock;
  clientAddress: ClientAddressResolver;
}

// Every merchant, admin and dashboard API call, refusals and unknown routes under them included.
const AUDITED = /^\/(api|admin|dashboard\/api)(\/|\?|$)/;
// A path is an identifier, not a payload: anything longer is cut (the URL limit of Node's parser is ~16 KiB).
const MAX_PATH = 2048;

/**
 * Appends one audit record per /api/, /admin/ and /dashboard/api/ reply, after it is sent
 * (onResponse), so the client never waits for it. What is recorded is
 * listed here and nowhere else: time, request id, merchant and key (when
 * authentication named one), client address, method, path without the
 * query string, status, error code, latency. Never a header, a body, a
 * signature, a token or a query string.
 *
 * Registered on the root instance before any scope, so it sees refusals
 * from every hook (admin token, signature, allowlist) and 404s too. Replies
 * to URLs Fastify cannot route run no hook: the returned function records
 * them, called from the app's frameworkErrors handler.
 */
export function registerAudit(app: FastifyInstance, options: AuditPluginOptions): (request: FastifyRequest, reply: FastifyReply) => void {
  const { trail, clock, clientAddress } = options;

  function recordReply(request: FastifyRequest, reply: FastifyReply): void {
    const url = request.url;
    if (AUDITED.test(url)) trail.record(entryFor(request, reply, url));
  }

  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onResponse', function auditResponse(request: FastifyRequest, reply: FastifyReply, done) {
    recordReply(request, reply);
    done();
  });

  function entryFor(request: FastifyRequest, reply: FastifyReply, url: string): AuditEntry {
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    // Set by request-auth on /api/ routes; other scopes never resolve a key.
    const key = request.apiKey ?? null;
    return {
      at: new Date(clock.nowMs()).toISOString(),
      request_id: request.id,
      // A dashboard call names the signed-in user's merchant (set by http/dashboard's access hook).
      merchant_id: key ? key.merchantId : (request.dashboardMerchantId ?? null),
      key_id: key ? key.keyId : null,
      // request-auth resolved it for /api/; admin calls and 404s are resolved here, by the same rules.
      client_ip: request.clientIp || clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']),
      method: request.method,
      path: path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path,
      status: reply.statusCode,
      error_code: reply.errorCode ?? null,
      // Microseconds are plenty; rounding keeps the number the same after a database round trip.
      latency_ms: Math.round(reply.elapsedTime * 1000) / 1000,
    };
  }

  // For replies no hook sees (a URL Fastify cannot route): the frameworkErrors handler calls it.
  return recordReply;
}
