import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import type { Queryable } from '../../store/db.js';

// A readiness probe that hangs is worse than one that fails.
const READY_TIMEOUT_MS = 2000;

export function healthRoutes(app: FastifyInstance, db: Queryable): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'] } }, async function healthz() {
    return { status: 'ok' };
  });

  app.get('/readyz', { schema: { summary: 'Storage is reachable', tags: ['operations'] } }, async function readyz(request) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('readiness query timed out')), READY_TIMEOUT_MS);
        }),
      ]);
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'storage not ready');
      throw new ApiError('service_unavailable', 'Storage is not reachable.');
    } finally {
      clearTimeout(timer);
    }
  });
}
