import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { ApiKeyResolver } from './core/api-key-resolver.js';
import type { Keyring } from './core/keyring.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { openStorage } from './open-storage.js';
import { gatewayMetrics, startBackgroundJobs } from './background-jobs.js';
import { ensureSandboxMerchant, type IssuedCredentials } from './core/merchants.js';
import { AdminToken, loadAdminToken } from './core/admin-token.js';
import { AuthFailureGuard } from './core/auth-failure-guard.js';
import { UsageTracker } from './core/usage-tracker.js';
import { ResponseSigningKeys } from './core/response-signing-keys.js';
import { SIGNING_KEY_CHANGES_CHANNEL } from './store/queries/gateway-signing-keys.js';
import { AuditTrail } from './core/audit-trail.js';
import { AnomalyDetector } from './core/anomaly-detector.js';
import { SecurityAlerts } from './core/security-alerts.js';
import { knownAddressesOfKey } from './store/queries/api-key-usage.js';
import { buildApp } from './http/app.js';
import { DashboardAccounts } from './core/dashboard/accounts.js';
import { PasswordHasher } from './core/dashboard/passwords.js';
import { DashboardSessions } from './core/dashboard/sessions.js';
import { SignInThrottle } from './core/dashboard/sign-in-throttle.js';
import { parseDashboardOrigins } from './http/dashboard/origin-policy.js';
import { createClientAddressResolver } from './http/client-address.js';
import { createHttpsDetector } from './http/https-only.js';
import { buildMetricsListener } from './http/metrics-listener.js';
import { type LoadedTls, loadTlsFiles } from './http/tls-files.js';
import { createTrustedPeerCheck } from './http/trusted-peer.js';
import { MemoryRateLimiter } from './rate-limit/memory-rate-limiter.js';
import type { RateLimiter } from './rate-limit/rate-limiter.js';
import { RedisRateLimiter } from './rate-limit/redis-rate-limiter.js';
import { KEY_CHANGES_CHANNEL } from './store/queries/api-keys.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createLogger } from './lib/logger.js';
import type { GatewayMetrics } from './lib/metrics.js';
import { MemoryReplayStore } from './replay/memory-replay-store.js';
import { RedisReplayStore } from './replay/redis-replay-store.js';
import { FallbackReplayStore } from './replay/fallback-replay-store.js';
import type { Db } from './store/db.js';
import { createOrderStore, orderStoreOptionsFor } from './store/order-store.js';

export interface Gateway {
  app: FastifyInstance;
  db: Db;
  keyring: Keyring;
  logger: Logger;
  publicBaseUrl: string;
  /** Set on the first start against an empty store. */
  sandboxCredentialsFile: string | undefined;
  /** Delivers webhooks from the durable queue; running unless webhookDispatcherEnabled is false. */
  webhooks: WebhookDispatcher;
  /** The gateway's response-signing keys (the active one, the JWKS, rotation). */
  signingKeys: ResponseSigningKeys;
  /** The audit log's writer (undefined when auditEnabled is false); tests flush it. */
  audit: AuditTrail | undefined;
  /** Security alerts (undefined when alertsEnabled is false); tests flush them. */
  alerts: SecurityAlerts | undefined;
  /** Where the generated admin token is, when it was not configured. */
  adminTokenFile: string | undefined;
  /** What GET /metrics exports. */
  metrics: GatewayMetrics;
  /** The separate listener serving /metrics when metricsPort is set. */
  metricsApp: FastifyInstance | undefined;
  close(): Promise<void>;
}

// How often per-key usage counts (last used, addresses) are written: one batch per interval.
const USAGE_FLUSH_MS = 5000;
// Ended dashboard sessions and old sign-in failures are deleted hourly.
const DASHBOARD_CLEANUP_MS = 3_600_000;
// How long start-up waits for Redis before serving anyway (signed requests then get 503 until it answers).
const REDIS_READY_WAIT_MS = 2000;
// How often observed anomalies are written as alerts (and announced): one batch per interval.
const ALERT_FLUSH_MS = 1000;
// How often signing keys are reloaded if a rotation's NOTIFY was lost; well inside any sensible rotation overlap.
const SIGNING_KEY_RELOAD_MS = 60_000;
// Long enough to renew through an ordinary change window; a certificate that lapses fails every client at once.
const CERT_EXPIRY_WARNING_MS = 14 * 86_400_000;

function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Tests hand in a database (e.g. a schema of their own); otherwise config decides. */
  db?: Db;
  /** Tests use app.inject() and skip the socket. */
  listen?: boolean;
}

/**
 * The one composition root: configuration, then storage, then keys, then
 * HTTP. Only here are implementations chosen (PGlite or PostgreSQL, the
 * in-process replay store).
 */
export async function startGateway(config: Config, options: StartOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  // Before anything is opened: a wrong certificate path is a sentence at start-up, not a half-started gateway.
  const tls = config.tlsCertFile && config.tlsKeyFile ? await loadTlsFiles(config.tlsCertFile, config.tlsKeyFile) : undefined;
  if (tls) logCertificate(logger, tls, clock.nowMs());
  const trustedProxies = splitList(config.trustedProxies);
  // Validates the proxy list (with a sentence) before the HTTPS check builds on it.
  const clientAddress = createClientAddressResolver({ trustedProxies });
  const isHttps = createHttpsDetector(createTrustedPeerCheck(trustedProxies));
  const storage = await openStorage(config, { logger, clock, ...(options.db ? { db: options.db } : {}) });
  const { db, keyring, dataDir, embedded } = storage;
  try {
    const scheme = tls || config.mode === 'production' ? 'https' : 'http';
    const publicBaseUrl = config.publicBaseUrl ?? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    if (config.mode === 'production' && !tls && config.publicBaseUrl === undefined) {
      logger.warn({ publicBaseUrl }, 'production behind a proxy without TIJORI_PUBLIC_BASE_URL: payment links name this guess; set it to the https:// origin clients reach');
    }
    const sandbox = await ensureSandboxMerchant(db, keyring, clock);
    const sandboxCredentialsFile = sandbox ? await writeSandboxCredentials(dataDir, sandbox, publicBaseUrl) : undefined;

    const adminToken = await loadAdminToken(config.adminToken, embedded ? dataDir : undefined);
    if (!adminToken) logger.warn('no TIJORI_ADMIN_TOKEN: the admin API (/admin/v1) is off');
    const resolver = new ApiKeyResolver(db, keyring, { ttlMs: config.keyCacheTtlMs, clock });
    // Changes made by any process reach this one's cache when their transaction commits.
    const unlisten = await db.listen(
      KEY_CHANGES_CHANNEL,
      (apiKey) => resolver.forget(apiKey),
      () => {
        // Revocations made while this process could not hear them must not wait for the cache TTL.
        resolver.forgetAll();
        logger.warn('listening again for key changes after a lost database connection: cached API keys dropped');
      },
    );
    const rateLimiter: RateLimiter = config.redisUrl
      ? new RedisRateLimiter(config.redisUrl, { onConnectionError: (err) => logger.warn({ err }, 'Redis connection error (rate limits)') })
      : new MemoryRateLimiter();
    const usage = new UsageTracker(db, clock, (err) => logger.warn({ err }, 'could not record key usage'));
    usage.start(USAGE_FLUSH_MS);
    const audit = config.auditEnabled
      ? new AuditTrail(db, {
          onError: (err) => logger.warn({ err }, 'could not write audit records; they stay buffered and are retried at the next flush'),
          onDropped: (count) => logger.error({ dropped: count }, 'audit buffer full while the database was unreachable: records dropped'),
        })
      : undefined;
    audit?.start(config.auditFlushMs);
    const metrics = gatewayMetrics(db, clock, logger);
    const jobs = await startBackgroundJobs(config, { db, keyring, clock, logger, metrics, dispatch: config.webhookDispatcherEnabled });
    const { webhooks, webhookWake } = jobs;
    // Created on first start and held ready in memory (never decrypted per reply); a rotation by any process reaches this one when it commits.
    const signingKeys = new ResponseSigningKeys(db, { seal: (text, context) => keyring.seal('system', text, context), unseal: (sealed, context) => keyring.unseal(sealed, context) }, clock);
    await signingKeys.reload();
    const onSigningKeyError = (err: unknown) => logger.warn({ err }, 'could not reload the response-signing keys; still signing with the key in memory, retrying at the next interval');
    const reloadSigningKeys = () => void signingKeys.reload().catch(onSigningKeyError);
    const unlistenSigningKeys = await db.listen(SIGNING_KEY_CHANGES_CHANNEL, reloadSigningKeys, reloadSigningKeys);
    signingKeys.startReloading(SIGNING_KEY_RELOAD_MS, onSigningKeyError);
    const dashboardOrigins = parseDashboardOrigins(config.dashboardOrigins, publicBaseUrl);
    const dashboardSessions = new DashboardSessions(db, clock, { idleMs: config.dashboardSessionIdleSeconds * 1000, absoluteMs: config.dashboardSessionAbsoluteSeconds * 1000 });
    const signInThrottle = new SignInThrottle(db, rateLimiter, clock, { failuresPerHourPerIp: config.dashboardSignInFailuresPerHourPerIp });
    const dashboardAccounts = new DashboardAccounts({
      db,
      keyring,
      clock,
      hasher: new PasswordHasher({ memoryKib: config.dashboardArgon2MemoryKib, iterations: config.dashboardArgon2Iterations, parallelism: 1 }),
      throttle: signInThrottle,
      sessions: dashboardSessions,
    });
    const dashboardCleanup = setInterval(() => {
      Promise.all([dashboardSessions.prune(), signInThrottle.prune()]).catch((err: unknown) => logger.warn({ err }, 'could not delete ended dashboard sessions or old sign-in failures; retrying next hour'));
    }, DASHBOARD_CLEANUP_MS);
    dashboardCleanup.unref();
    // With Redis, every process shares one record of accepted signatures (and fails closed without it); alone, memory is enough.
    const redisReplay = config.redisUrl
      ? new RedisReplayStore(config.redisUrl, { onConnectionError: (err) => logger.warn({ err }, 'Redis connection error (replay store)') })
      : undefined;
    const replay = redisReplay
      ? config.replayFallback === 'postgres'
        ? new FallbackReplayStore(redisReplay, db, {
            toleranceSeconds: config.signatureToleranceSeconds,
            onSwitch: (usingPostgres) =>
              usingPostgres
                ? logger.error('Redis is unreachable: replay claims go to PostgreSQL (TIJORI_REPLAY_FALLBACK=postgres) until it answers')
                : logger.warn('Redis answers again: replay claims go to Redis (and to PostgreSQL too, for twice the signature tolerance)'),
            onError: (err) => logger.warn({ err }, 'replay fallback: could not announce the fallback or delete expired claims'),
          })
        : redisReplay
      : new MemoryReplayStore({ maxLifetimeSeconds: 2 * config.signatureToleranceSeconds, maxEntries: config.replayMaxEntries });
    if (replay instanceof FallbackReplayStore) await replay.start();
    if (redisReplay && !(await redisReplay.ready(REDIS_READY_WAIT_MS))) {
      logger.error(
        replay instanceof FallbackReplayStore
          ? 'Redis is unreachable: replay claims go to PostgreSQL (TIJORI_REPLAY_FALLBACK=postgres) until it answers'
          : 'Redis is unreachable: signed requests are refused (503 service_unavailable) until it answers, rather than risk executing a replay',
      );
    }
    const anomalies = config.alertsEnabled ? startAnomalyRules(config, { db, clock, logger, rateLimiter, metrics }) : undefined;
    const app = await buildApp({
      db,
      orders: createOrderStore(db, orderStoreOptionsFor(db, config.databaseConcurrentBatches)),
      keyring,
      resolver,
      replay,
      clock,
      logger,
      publicBaseUrl,
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      signatureToleranceSeconds: config.signatureToleranceSeconds,
      orderLifetimeSeconds: config.orderLifetimeSeconds,
      clientAddress,
      rateLimiter,
      failureGuard: new AuthFailureGuard(rateLimiter, config.authFailuresPerMinutePerIp),
      usage,
      signingKeys,
      audit,
      anomalies,
      webhookWake,
      policy: { rateLimitPerMinute: config.rateLimitPerMinute, rateLimitsEnabled: config.rateLimitsEnabled, keyRotationWarningDays: config.keyRotationWarningDays, keyMaxAgeDays: config.keyMaxAgeDays },
      admin: adminToken ? { token: new AdminToken(adminToken.token) } : undefined,
      webhookPolicy: config.mode === 'production' ? 'production' : 'sandbox',
      keyProvider: storage.keyProvider,
      tls: tls?.options,
      httpsOnly: config.mode === 'production' ? { isHttps } : undefined,
      dashboard: { accounts: dashboardAccounts, origins: dashboardOrigins, mode: config.mode, signUpEnabled: config.dashboardSignUpEnabled },
      // With a metrics port, /metrics lives there alone; without one, behind the admin token, or nowhere.
      metrics: { collector: metrics, token: config.metricsPort === undefined && adminToken ? new AdminToken(adminToken.token) : undefined },
    });
    const metricsApp = config.metricsPort === undefined ? undefined : buildMetricsListener(metrics, logger);
    if (!metricsApp && !adminToken) logger.warn('no admin token and no TIJORI_METRICS_PORT: /metrics is off');
    if (options.listen !== false) {
      await app.listen({ port: config.port, host: config.host });
      await metricsApp?.listen({ port: config.metricsPort, host: config.metricsHost });
    } else {
      await app.ready();
      await metricsApp?.ready();
    }

    return {
      app,
      db,
      keyring,
      logger,
      publicBaseUrl,
      sandboxCredentialsFile,
      webhooks,
      signingKeys,
      audit,
      alerts: anomalies?.alerts,
      adminTokenFile: adminToken?.origin === 'config' ? undefined : adminToken && join(dataDir, 'admin-token'),
      metrics,
      metricsApp,
      /** Stops taking requests, drains, then releases everything; one failing step does not keep the others open. */
      async close() {
        const steps: Array<() => Promise<unknown> | undefined> = [
          // Long polls (tijori listen) answer at once instead of holding the shutdown for their wait.
          () => void webhookWake.close(),
          () => app.close(),
          () => void clearInterval(dashboardCleanup),
          () => metricsApp?.close(),
          () => usage.stop(),
          async () => {
            const unwritten = (await audit?.stop()) ?? 0;
            if (unwritten > 0) logger.error({ unwritten }, 'audit records could not be written before shutdown and are lost');
          },
          () => anomalies?.alerts.stop(),
          () => jobs.stop(),
          () => void signingKeys.stop(),
          () => unlistenSigningKeys(),
          () => unlisten(),
          () => rateLimiter.close?.(),
          () => (replay instanceof FallbackReplayStore || replay instanceof RedisReplayStore ? replay.close() : undefined),
          () => storage.close(),
        ];
        const failures: unknown[] = [];
        for (const step of steps) {
          try {
            await step();
          } catch (err) {
            failures.push(err);
          }
        }
        if (failures.length > 0) logger.warn({ err: failures[0] }, `${failures.length} step(s) failed while closing`);
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}

function startAnomalyRules(config: Config, deps: { db: Db; clock: Clock; logger: Logger; rateLimiter: RateLimiter; metrics: GatewayMetrics }) {
  const { db, clock, logger } = deps;
  const alerts = new SecurityAlerts(db, logger, {
    onError: (err) => logger.warn({ err }, 'could not write security alerts; they stay pending and are retried at the next flush'),
    onRaised: (alert) => deps.metrics.securityAlert(alert.rule, alert.severity),
  });
  alerts.start(ALERT_FLUSH_MS);
  const detector = new AnomalyDetector(
    {
      signatureFailures: config.alertSignatureFailures,
      signatureFailureWindowSeconds: config.alertSignatureFailureWindowSeconds,
      repeatSeconds: config.alertRepeatSeconds,
      newAddress: config.alertNewAddress,
      rateSpikeFactor: config.alertRateSpikeFactor,
      rateSpikeMinPerMinute: config.alertRateSpikeMinPerMinute,
      rateBaselineMinutes: config.alertRateBaselineMinutes,
    },
    {
      clock,
      limiter: deps.rateLimiter,
      knownAddresses: (keyId, limit) => knownAddressesOfKey(db, keyId, limit),
      raise: (observation) => alerts.raise(observation),
      onError: (err) => logger.warn({ err }, 'an anomaly rule could not be evaluated for a request'),
    },
  );
  return { detector, alerts };
}

function logCertificate(logger: Logger, tls: LoadedTls, nowMs: number): void {
  const fields = { subject: tls.subject, notAfter: tls.notAfter.toISOString() };
  const left = tls.notAfter.getTime() - nowMs;
  if (left <= 0) logger.error(fields, 'the TLS certificate has expired: every verifying client will refuse the gateway; renew TLS_CERT_FILE and restart');
  else if (left < CERT_EXPIRY_WARNING_MS) logger.warn(fields, 'the TLS certificate expires soon; renew TLS_CERT_FILE and restart');
  else logger.info(fields, 'serving HTTPS (TLS 1.2 minimum)');
}

/** The newcomer's credentials, readable by the owner only; the secret is never logged. */
async function writeSandboxCredentials(dataDir: string, creds: IssuedCredentials, baseUrl: string): Promise<string> {
  const file = join(dataDir, 'sandbox-credentials.json');
  const tmp = `${file}.${process.pid}.tmp`;
  const body = { merchant_id: creds.merchantId, api_key: creds.apiKey, secret_key: creds.secretKey.reveal(), base_url: baseUrl };
  await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}
