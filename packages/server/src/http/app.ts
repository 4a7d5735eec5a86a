import type { Duplex } from 'node:stream';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AdminToken } from '../core/admin-token.js';
import type { ApiKeyResolver } from '../core/api-key-resolver.js';
import type { AuthFailureGuard } from '../core/auth-failure-guard.js';
import type { UsageTracker } from '../core/usage-tracker.js';
import type { ResponseSigningKeys } from '../core/response-signing-keys.js';
import type { AuditTrail } from '../core/audit-trail.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import { adminApi } from './admin/admin-api.js';
import { registerCheckout } from './checkout/checkout-routes.js';
import { registerDashboardStatic } from './dashboard-static.js';
import type { ClientAddressResolver } from './client-address.js';
import type { Keyring } from '../core/keyring.js';
import type { Clock } from '../lib/clock.js';
import type { GatewayMetrics } from '../lib/metrics.js';
import { newRequestId } from '../lib/ids.js';
import { failureEnvelope } from '../errors/envelope.js';
import type { ReplayStore } from '../replay/replay-store.js';
import type { Db } from '../store/db.js';
import type { OrderStore } from '../store/order-store.js';
import { handleFrameworkError, registerErrorHandling } from './error-handler.js';
import { type HttpsDetector, registerHttpsOnly } from './https-only.js';
import { registerAdminJsonBody, registerJsonBody } from './json-body.js';
import { countReply, registerMetrics } from './plugins/metrics.js';
import { registerRequestAuth } from './plugins/request-auth.js';
import { registerAudit } from './plugins/audit.js';
import { registerAnomalyWatch } from './plugins/anomaly-watch.js';
import type { AnomalyDetector } from '../core/anomaly-detector.js';
import type { SecurityAlerts } from '../core/security-alerts.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { jwksRoute } from './routes/jwks.js';
import { registerResponseSigning } from './plugins/response-signing.js';
import { orderCreateRoute } from './routes/order-create.js';
import { orderStatusRoute } from './routes/order-status.js';
import { sandboxSimulateRoute } from './routes/sandbox-simulate.js';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries.js';
import { webhookListenRoute } from './routes/webhook-listen.js';
import type { WakeSignal } from '../lib/wake-signal.js';
import { registerSecurityHeaders } from './security-headers.js';
import type { TlsServerOptions } from './tls-files.js';
import type { EndpointPolicy } from '../webhooks/ssrf-guard.js';
import type { KeyProvider } from '../kek/key-provider.js';
import type { DashboardAccounts } from '../core/dashboard/accounts.js';
import { DASHBOARD_API_PREFIX, dashboardApi } from './dashboard/dashboard-api.js';

export interface AppDeps {
  db: Db;
  orders: OrderStore;
  keyring: Keyring;
  resolver: ApiKeyResolver;
  replay: ReplayStore;
  clock: Clock;
  logger: Logger;
  publicBaseUrl: string;
  bodyLimitBytes: number;
  /** How long one request (headers and body) may take to arrive. */
  requestTimeoutMs: number;
  signatureToleranceSeconds: number;
  orderLifetimeSeconds: number;
  clientAddress: ClientAddressResolver;
  rateLimiter: RateLimiter;
  failureGuard: AuthFailureGuard;
  usage: UsageTracker;
  /** The gateway's response-signing keys: every /api/ reply is signed, and /.well-known/jwks.json lists the public halves. */
  signingKeys: ResponseSigningKeys;
  /** Absent when TIJORI_AUDIT_ENABLED=false (benchmark comparison only): no audit records are written. */
  audit: AuditTrail | undefined;
  /** Absent when TIJORI_ALERTS_ENABLED=false: the anomaly rules watch every /api/ reply and raise security alerts. */
  anomalies: { detector: AnomalyDetector; alerts: SecurityAlerts } | undefined;
  policy: { rateLimitPerMinute: number; rateLimitsEnabled: boolean; keyRotationWarningDays: number; keyMaxAgeDays: number | undefined };
  /** Absent when no admin token is configured: the admin API is then not mounted at all. */
  admin: { token: AdminToken } | undefined;
  /** The KEK provider, for the admin API's KEK status and rotation. */
  keyProvider: KeyProvider;
  /** Notified whenever any process records webhook events: wakes `tijori listen`'s long polls. */
  webhookWake: WakeSignal;
  /** Which webhook URLs may be registered (the SSRF rules; checked again at delivery). */
  webhookPolicy: EndpointPolicy;
  /** Set: serve HTTPS (TLS 1.2+) on this socket instead of plain HTTP. */
  tls: TlsServerOptions | undefined;
  /** Set (production): refuse requests that did not arrive over HTTPS, send HSTS on those that did. */
  httpsOnly: { isHttps: HttpsDetector } | undefined;
  /** The dashboard API (/dashboard/api/): accounts and sessions, the origins it answers to, and the transport mode (for the cookie's Secure flag). */
  dashboard: { accounts: DashboardAccounts; origins: ReadonlySet<string>; mode: 'sandbox' | 'production'; signUpEnabled: boolean };
  /** Every reply is counted in `collector`; with `token` set, GET /metrics is served here behind it (unset: on the metrics port, or off). */
  metrics: { collector: GatewayMetrics; token: AdminToken | undefined };
}

// Load balancers probe these over plain HTTP even when clients may not use it;
// they carry no secrets and change nothing, so production still answers them.
const PLAIN_HTTP_ROUTES = ['/healthz', '/readyz'];

/** Builds the HTTP application; main.ts chooses the implementations behind `deps`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Set once the audit and signing plugins are registered below; the frameworkErrors handler, which runs later, uses them.
  let auditReply: ((request: FastifyRequest, reply: FastifyReply) => void) | undefined;
  let signReply: ((request: FastifyRequest, reply: FastifyReply, body: string) => void) | undefined;
  // Node cuts a request off only when it sweeps its connections (every 30 s
  // by default): sweep four times per timeout, so a slow client goes within
  // 1.25 × requestTimeoutMs. headersTimeout must not exceed requestTimeout:
  // when it does, Node swaps the two, and a stalled body got the 60 s
  // default of headersTimeout instead.
  const serverTimeouts = {
    requestTimeout: deps.requestTimeoutMs,
    headersTimeout: deps.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(250, Math.floor(deps.requestTimeoutMs / 4)),
  };
  // Cast: with `https` set Fastify types the instance for an https.Server;
  // nothing here depends on which server is underneath.
  const app = Fastify({
    https: deps.tls ? { ...deps.tls, ...serverTimeouts } : null,
    // For http.createServer when there is no TLS (Fastify's types take `http` or `https`, not both).
    ...({ http: serverTimeouts } as object),
    // Fastify's default is 0, no limit (and it sets this on the server after
    // creating it): a client that sent its headers and then dribbled the body
    // a byte at a time, or stalled, held a connection and its request forever
    // (found by the HTTP fuzzer's slow bodies); only headers were bounded
    // (Node's headersTimeout, 60 s).
    requestTimeout: deps.requestTimeoutMs,
    // Fastify must not believe X-Forwarded-*: client-address.ts and
    // https-only.ts decide, and only for the configured proxies.
    trustProxy: false,
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: newRequestId,
    // Never trust a caller's request id: ours is what support can look up.
    requestIdHeader: false,
    bodyLimit: deps.bodyLimitBytes,
    return503OnClosing: true,
    // Routing failures (a URL that does not decode) get our envelope, not Fastify's body naming its error code.
    // No hook runs for them, so they are counted here.
    frameworkErrors: function frameworkError(error, request, reply) {
      handleFrameworkError(error, request, reply, signReply);
      countReply(deps.metrics.collector, request, reply);
      auditReply?.(request, reply);
    },
    ajv: {
      // Validation must not rewrite the body: the signature covers what the
      // client sent, and the handler must act on exactly that.
      // verbose: errors carry their schema, so a failed pattern is explained by the field's description (error-handler.ts).
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true, verbose: true },
    },
  }) as unknown as FastifyInstance;

  // CONNECT asks for a tunnel, which this server never opens. Without a
  // 'connect' listener Node dropped the connection without a word (found by
  // the HTTP fuzzer); it gets an answer like any request we cannot serve.
  app.server.on('connect', function refuseTunnel(_request: unknown, socket: Duplex) {
    const body = JSON.stringify(failureEnvelope(400, 'bad_request', 'CONNECT is not supported: this server is not a proxy.', newRequestId()));
    socket.on('error', () => {}); // the client may be gone already
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onRequest', function setRequestIdHeader(request, reply, done) {
    reply.header('x-request-id', request.id);
    done();
  });
  registerErrorHandling(app, deps.bodyLimitBytes);
  registerMetrics(app, deps.metrics.collector);
  // On the root, before every scope: it must see /api/ and /admin/ refusals from any hook, and their 404s.
  if (deps.audit) auditReply = registerAudit(app, { trail: deps.audit, clock: deps.clock, clientAddress: deps.clientAddress });
  // Before every route and plugin, so that every reply (refusals included) carries them.
  registerSecurityHeaders(app);
  // On the root and chosen by URL, so 404s and root-hook refusals under /api/ are signed too (see the plugin).
  signReply = registerResponseSigning(app, { keys: deps.signingKeys, clock: deps.clock });
  if (deps.httpsOnly) registerHttpsOnly(app, { isHttps: deps.httpsOnly.isHttps, plainHttpRoutes: PLAIN_HTTP_ROUTES });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tijori gateway API',
        version: '3.0.0',
        description:
          'KwikPaisa v3 compatible merchant API. Every /api/ call is signed: X-API-KEY, X-TIMESTAMP (UNIX seconds) and X-SIGNATURE = hex(HMAC-SHA256(secret_key, body + timestamp)), or with X-SIGNATURE-VERSION: 2, hex(HMAC-SHA256(secret_key, METHOD + PATH + BODY + TIMESTAMP)).',
      },
      components: {
        securitySchemes: {
          ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
          Timestamp: { type: 'apiKey', in: 'header', name: 'X-TIMESTAMP' },
          Signature: { type: 'apiKey', in: 'header', name: 'X-SIGNATURE' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async function openapi() {
    return app.swagger();
  });

  healthRoutes(app, deps.db, deps.replay);
  if (deps.metrics.token) metricsRoute(app, { metrics: deps.metrics.collector, token: deps.metrics.token });
  jwksRoute(app, deps.signingKeys);
  // The customer-facing checkout page: HTML, its own scope, no request signing (the link's token is the credential).
  await registerCheckout(app, { db: deps.db, keyring: deps.keyring, clock: deps.clock, publicBaseUrl: deps.publicBaseUrl });
  registerDashboardStatic(app); // the merchant dashboard's built page at /dashboard/ (not /dashboard/api/)

  // The merchant API: its own scope, so its body parser and authentication apply to it alone.
  // Listings of alerts (admin and dashboard) first wait for the rules still judging recent requests, then write what they raised.
  const anomalies = deps.anomalies;
  const alertsFlush = anomalies && {
    flush: async () => {
      await anomalies.detector.idle();
      await anomalies.alerts.flush();
    },
  };

  await app.register(async function merchantApi(api) {
    registerJsonBody(api, deps.bodyLimitBytes);
    registerRequestAuth(api, {
      resolver: deps.resolver,
      replay: deps.replay,
      clock: deps.clock,
      toleranceSeconds: deps.signatureToleranceSeconds,
      clientAddress: deps.clientAddress,
      rateLimiter: deps.rateLimiter,
      failureGuard: deps.failureGuard,
      usage: deps.usage,
      defaultRateLimitPerMinute: deps.policy.rateLimitsEnabled ? deps.policy.rateLimitPerMinute : null,
      keyRotationWarningDays: deps.policy.keyRotationWarningDays,
      keyMaxAgeDays: deps.policy.keyMaxAgeDays,
    });
    if (deps.anomalies) registerAnomalyWatch(api, deps.anomalies.detector);
    const routeDeps = { orders: deps.orders, keyring: deps.keyring, clock: deps.clock, publicBaseUrl: deps.publicBaseUrl, orderLifetimeSeconds: deps.orderLifetimeSeconds };
    orderCreateRoute(api, routeDeps);
    orderStatusRoute(api, routeDeps);
    sandboxSimulateRoute(api, { ...routeDeps, db: deps.db });
    webhookDeliveryRoutes(api, { ...routeDeps, db: deps.db });
    webhookListenRoute(api, { db: deps.db, clock: deps.clock, wake: deps.webhookWake });
  });

  // The dashboard's API: its own scope (cookie sessions, CSRF and CORS), sharing nothing with /api/ or /admin/.
  await app.register(
    async function dashboardScope(scope) {
      await dashboardApi(scope, {
        ...deps.dashboard,
        db: deps.db,
        clock: deps.clock,
        bodyLimitBytes: deps.bodyLimitBytes,
        clientAddress: deps.clientAddress,
        integration: {
          keyring: deps.keyring,
          orders: deps.orders,
          publicBaseUrl: deps.publicBaseUrl,
          orderLifetimeSeconds: deps.orderLifetimeSeconds,
          onKeysChanged: (keys) => keys.forEach((k) => deps.resolver.forget(k)),
          rateLimitPerMinute: deps.policy.rateLimitPerMinute,
          rotationWarningDays: deps.policy.keyRotationWarningDays,
          webhookPolicy: deps.webhookPolicy,
          audit: deps.audit,
          alerts: alertsFlush,
        },
      });
    },
    { prefix: DASHBOARD_API_PREFIX },
  );

  const admin = deps.admin;
  if (admin) {
    await app.register(async function operatorApi(scope) {
      registerAdminJsonBody(scope, deps.bodyLimitBytes);
      await adminApi(scope, {
        db: deps.db,
        keyring: deps.keyring,
        clock: deps.clock,
        token: admin.token,
        usage: deps.usage,
        onKeysChanged: (keys) => keys.forEach((k) => deps.resolver.forget(k)),
        rateLimitPerMinute: deps.policy.rateLimitPerMinute,
        rotationWarningDays: deps.policy.keyRotationWarningDays,
        webhookPolicy: deps.webhookPolicy,
        signingKeys: deps.signingKeys,
        keyProvider: deps.keyProvider,
        audit: deps.audit,
        alerts: alertsFlush,
      });
    });
  }

  return app;
}
