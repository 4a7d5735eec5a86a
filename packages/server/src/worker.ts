import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { gatewayMetrics, startBackgroundJobs } from './background-jobs.js';
import type { Config } from './config/schema.js';
import { AdminToken, loadAdminToken } from './core/admin-token.js';
import { buildMetricsListener } from './http/metrics-listener.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';
import { openStorage } from './open-storage.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

export interface Worker {
  /** /healthz, /readyz and /metrics (behind the admin token when one is configured) on PORT. */
  app: FastifyInstance;
  logger: Logger;
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

/**
 * `tijori worker`: the background jobs without the merchant API, for
 * deployments that keep webhook delivery off the processes answering
 * merchants (set TIJORI_WEBHOOK_DISPATCHER_ENABLED=false on those). It always
 * dispatches, whatever that setting says: dispatching is what it is for.
 * Any number of workers and serve processes may dispatch at once; a delivery
 * is claimed by one of them (FOR UPDATE SKIP LOCKED) for the length of its attempt.
 */
export async function startWorker(config: Config, options: { clock?: Clock; logger?: Logger; listen?: boolean } = {}): Promise<Worker> {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? createLogger(config.logLevel)).child({ role: 'worker' });
  const storage = await openStorage(config, { logger, clock });
  try {
    const { db, keyring } = storage;
    const metrics = gatewayMetrics(db, clock, logger);
    const jobs = await startBackgroundJobs(config, { db, keyring, clock, logger, metrics, dispatch: true });
    const adminToken = await loadAdminToken(config.adminToken, storage.embedded ? storage.dataDir : undefined);
    const app = buildMetricsListener(metrics, logger, { health: db, ...(adminToken ? { token: new AdminToken(adminToken.token) } : {}) });
    if (options.listen === false) await app.ready();
    else await app.listen({ port: config.port, host: config.host });
    logger.info({ concurrency: config.webhookConcurrency }, 'worker dispatching webhooks');
    return {
      app,
      logger,
      webhooks: jobs.webhooks,
      async close() {
        await app.close().catch((err: unknown) => logger.warn({ err }, 'could not close the health listener'));
        await jobs.stop().catch((err: unknown) => logger.warn({ err }, 'could not stop the background jobs cleanly'));
        await storage.close();
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
