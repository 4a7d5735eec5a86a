import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { Keyring } from './core/keyring.js';
import { ExpirySweeper } from './core/order-expiry.js';
import type { Clock } from './lib/clock.js';
import { GatewayMetrics } from './lib/metrics.js';
import { WakeSignal } from './lib/wake-signal.js';
import type { Db } from './store/db.js';
import { WEBHOOK_WAKE_CHANNEL, webhookQueueDepth } from './store/queries/webhook-deliveries.js';
import { deleteStaleListeners } from './store/queries/webhook-listeners.js';
import { parseRetrySchedule } from './webhooks/retry-schedule.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

// How often UN_PAID orders past their time are written as EXPIRED (replies show it at once regardless).
const EXPIRY_SWEEP_MS = 30_000;
// tijori listen: listeners neither polled nor closed for a day are deleted (with what was queued for them), checked hourly.
const STALE_LISTENER_MS = 86_400_000;
const LISTENER_CLEANUP_MS = 3_600_000;

/** What /metrics exports, `serve` and `worker` alike; the queue gauges read the queue at each scrape. */
export function gatewayMetrics(db: Db, clock: Clock, logger: Logger): GatewayMetrics {
  return new GatewayMetrics({
    webhookQueueDepth: () => webhookQueueDepth(db, new Date(clock.nowMs())),
    onCollectError: (err) => logger.warn({ err }, 'could not read the webhook queue depth for /metrics'),
  });
}

export interface BackgroundJobs {
  webhooks: WebhookDispatcher;
  /** Notified when a webhook event is queued by any process (tijori listen's long polls wait on it). */
  webhookWake: WakeSignal;
  stop(): Promise<void>;
}

/**
 * The work no request waits for, which `serve` and `worker` both run: the
 * webhook dispatcher (when `dispatch` is true), the order-expiry sweep and the
 * clean-up of abandoned `tijori listen` listeners. Each is safe in any number
 * of processes at once: deliveries are claimed with FOR UPDATE SKIP LOCKED,
 * and the sweep and clean-up are idempotent statements.
 */
export async function startBackgroundJobs(
  config: Config,
  deps: { db: Db; keyring: Keyring; clock: Clock; logger: Logger; metrics: GatewayMetrics; dispatch: boolean },
): Promise<BackgroundJobs> {
  const { db, keyring, clock, logger, metrics } = deps;
  const sweeper = new ExpirySweeper(db, clock, (err) => logger.warn({ err }, 'order expiry sweep failed; retrying next interval'));
  sweeper.start(EXPIRY_SWEEP_MS);
  const webhooks = new WebhookDispatcher(db, keyring, clock, logger, {
    timeoutMs: config.webhookTimeoutMs,
    scheduleSeconds: parseRetrySchedule(config.webhookRetryScheduleSeconds),
    concurrency: config.webhookConcurrency,
    concurrencyPerEndpoint: config.webhookConcurrencyPerEndpoint,
    pollIntervalMs: config.webhookPollIntervalMs,
    policy: config.mode === 'production' ? 'production' : 'sandbox',
    disableAfterFailingMs: config.webhookDisableAfterFailingDays * 86_400_000,
    onAttempt: (a) => metrics.webhookAttempt(a.outcome, a.latencyMs / 1000),
  });
  const webhookWake = new WakeSignal();
  const unlistenWebhooks = await db.listen(WEBHOOK_WAKE_CHANNEL, () => {
    webhooks.wake();
    webhookWake.notify();
  });
  const listenerCleanup = setInterval(() => {
    deleteStaleListeners(db, new Date(clock.nowMs() - STALE_LISTENER_MS)).catch((err: unknown) => logger.warn({ err }, 'could not delete stale webhook listeners; retrying next hour'));
  }, LISTENER_CLEANUP_MS);
  listenerCleanup.unref();
  if (deps.dispatch) webhooks.start();
  return {
    webhooks,
    webhookWake,
    async stop() {
      clearInterval(listenerCleanup);
      const results = await Promise.allSettled([sweeper.stop(), webhooks.stop(), unlistenWebhooks()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
