import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiKeyResolver } from '../core/api-key-resolver.js';
import type { Keyring } from '../core/keyring.js';
import type { Clock } from '../lib/clock.js';
import { newRequestId } from '../lib/ids.js';
import type { ReplayStore } from '../replay/replay-store.js';
import type { Queryable } from '../store/db.js';
import type { OrderStore } from '../store/order-store.js';
import { registerErrorHandling } from './error-handler.js';
import { registerJsonBody } from './json-body.js';
import { registerRequestAuth } from './plugins/request-auth.js';
import { healthRoutes } from './routes/health.js';
import { orderCreateRoute } from './routes/order-create.js';
import { orderStatusRoute } from './routes/order-status.js';

export interface AppDeps {
  db: Queryable;
  orders: OrderStore;
  keyring: Keyring;
  resolver: ApiKeyResolver;
  replay: ReplayStore;
  clock: Clock;
  logger: Logger;
  publicBaseUrl: string;
  bodyLimitBytes: number;
  signatureToleranceSeconds: number;
}

/** Builds the HTTP application; main.ts chooses the implementations behind `deps`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: newRequestId,
    // Never trust a caller's request id: ours is what support can look up.
    requestIdHeader: false,
    bodyLimit: deps.bodyLimitBytes,
    return503OnClosing: true,
    ajv: {
      // Validation must not rewrite the body: the signature covers what the
      // client sent, and the handler must act on exactly that.
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true },
    },
  });

  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onRequest', function setRequestIdHeader(request, reply, done) {
    reply.header('x-request-id', request.id);
    done();
  });
  registerErrorHandling(app, deps.bodyLimitBytes);

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

  healthRoutes(app, deps.db);

  // The merchant API: its own scope, so its body parser and authentication apply to it alone.
  await app.register(async function merchantApi(api) {
    registerJsonBody(api, deps.bodyLimitBytes);
    registerRequestAuth(api, {
      resolver: deps.resolver,
      replay: deps.replay,
      clock: deps.clock,
      toleranceSeconds: deps.signatureToleranceSeconds,
    });
    const routeDeps = { orders: deps.orders, keyring: deps.keyring, clock: deps.clock, publicBaseUrl: deps.publicBaseUrl };
    orderCreateRoute(api, routeDeps);
    orderStatusRoute(api, routeDeps);
  });

  return app;
}
