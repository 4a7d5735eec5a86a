import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { newRequestId } from '../lib/ids.js';
import type { GatewayMetrics } from '../lib/metrics.js';
import { handleFrameworkError, registerErrorHandling } from './error-handler.js';
import type { AdminToken } from '../core/admin-token.js';
import type { Queryable } from '../store/db.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { registerSecurityHeaders } from './security-headers.js';

// GET only: nothing here reads a body.
const BODY_LIMIT_BYTES = 1024;

export interface OperationsRoutes {
  /** Adds /healthz and /readyz (readiness = this database answers): `tijori worker`'s only port. */
  health?: Queryable;
  /** Puts /metrics behind this bearer token; without one it is open (for a scraper on a network the operator controls). */
  token?: AdminToken;
}

/**
 * A listener for operations alone, never the merchant API: the metricsPort
 * listener (GET /metrics and nothing else, without authentication, on
 * metricsHost, loopback by default; the main port then has no /metrics), and
 * `tijori worker`'s port (health, and metrics behind the admin token).
 */
export function buildMetricsListener(metrics: GatewayMetrics, logger: Logger, routes: OperationsRoutes = {}): FastifyInstance {
  // A scrape every few seconds is not worth two info lines each: warn at most, or quieter if the log level is.
  const level = logger.levelVal > logger.levels.values.warn! ? logger.level : 'warn';
  const app = Fastify({
    loggerInstance: logger.child({ listener: 'metrics' }, { level }) as FastifyBaseLogger,
    genReqId: newRequestId,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: handleFrameworkError,
  }) as unknown as FastifyInstance;
  app.addHook('onRequest', function setRequestIdHeader(request, reply, done) {
    reply.header('x-request-id', request.id);
    done();
  });
  registerErrorHandling(app, BODY_LIMIT_BYTES);
  registerSecurityHeaders(app);
  if (routes.health) healthRoutes(app, routes.health);
  metricsRoute(app, { metrics, token: routes.token });
  return app;
}
