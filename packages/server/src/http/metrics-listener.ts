import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { newRequestId } from '../lib/ids.js';
import type { GatewayMetrics } from '../lib/metrics.js';
import { handleFrameworkError, registerErrorHandling } from './error-handler.js';
import { metricsRoute } from './routes/metrics.js';
import { registerSecurityHeaders } from './security-headers.js';

// GET only: nothing here reads a body.
const BODY_LIMIT_BYTES = 1024;

/**
 * The metricsPort listener: GET /metrics and nothing else, without
 * authentication, for a scraper on a network the operator controls
 * (metricsHost, loopback by default). The main port then has no /metrics.
 */
export function buildMetricsListener(metrics: GatewayMetrics, logger: Logger): FastifyInstance {
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
  metricsRoute(app, { metrics, token: undefined });
  return app;
}
