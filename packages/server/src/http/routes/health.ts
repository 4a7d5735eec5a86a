import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import type { ReplayStore } from '../../replay/replay-store.js';
import type { Queryable } from '../../store/db.js';

// A readiness probe that hangs is worse than one that fails.
const READY_TIMEOUT_MS = 2000;

/** /readyz: the database answers, and (when given) the replay store can take claims, since without it every signed request is refused. */
export function healthRoutes(app: FastifyInstance, db: Queryable, replay?: ReplayStore): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'] } }, async function healthz() {
    return { status: 'ok' };
  });

  app.get('/readyz', { schema: { summary: 'Storage (and Redis, when configured) is reachable', tags: ['operations'] } }, async function readyz(request) {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A process that would refuse every signed request should be taken out of the balancer, not sent traffic.
      if (replay?.isAvailable?.() === false) throw new ApiError('service_unavailable', 'Redis is not reachable: signed requests are refused until it is.');
      await Promise.race([
        db.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('readiness query timed out')), READY_TIMEOUT_MS);
        }),
      ]);
      return { status: 'ready' };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      request.log.warn({ err }, 'storage not ready');
      throw new ApiError('service_unavailable', 'Storage is not reachable.');
    } finally {
      clearTimeout(timer);
    }
  });
}
