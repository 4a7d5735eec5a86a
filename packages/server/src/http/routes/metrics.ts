import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminToken } from '../../core/admin-token.js';
import { ApiError } from '../../errors/api-error.js';
import type { GatewayMetrics } from '../../lib/metrics.js';

export interface MetricsRouteOptions {
  metrics: GatewayMetrics;
  /** Set: a scrape must bring it as `Authorization: Bearer`. Unset only on the separate metrics listener. */
  token: AdminToken | undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** GET /metrics in the Prometheus text format. */
export function metricsRoute(app: FastifyInstance, { metrics, token }: MetricsRouteOptions): void {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (Authorization: Bearer <admin token>)', tags: ['operations'] },
    // Traffic volumes and error rates are the operator's business, not the internet's.
    onRequest: token
      ? async function authenticateScraper(request) {
          if (!token.matches(bearer(request))) throw new ApiError('admin_unauthorized', 'GET /metrics needs Authorization: Bearer <admin token>.');
        }
      : [],
    handler: async function scrape(_request, reply) {
      reply.type(metrics.contentType);
      return metrics.render();
    },
  });
}
