import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../core/keyring.js';
import {
  changeEndpoint,
  createEndpoint,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  type EndpointFailure,
  MAX_SECRET_OVERLAP_SECONDS,
} from '../../core/webhook-endpoints.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../core/webhook-events.js';
import { rollEndpointSecret } from '../../core/webhook-endpoints.js';
import { ApiError } from '../../errors/api-error.js';
import type { Clock } from '../../lib/clock.js';
import type { Db } from '../../store/db.js';
import { findMerchant } from '../../store/queries/merchants.js';
import { type DeliveryStatus, findDelivery, findEvent, listAttempts, listDeliveries, listEvents, resendEvent } from '../../store/queries/webhook-deliveries.js';
import { activeSecrets, findEndpoint, listEndpoints, type WebhookEndpointRow } from '../../store/queries/webhook-endpoints.js';
import type { EndpointPolicy } from '../../webhooks/ssrf-guard.js';
import { attemptView, deliveryView, endpointView, eventView } from '../webhook-views.js';

export interface WebhookAdminDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  policy: EndpointPolicy;
}

const MERCHANT_PARAM = { type: 'object', required: ['merchantId'], properties: { merchantId: { type: 'string', pattern: '^mer_[0-9a-f]{24}$' } } } as const;
export const ENDPOINT_PARAM = { type: 'object', required: ['endpointId'], properties: { endpointId: { type: 'string', pattern: '^we_[0-9a-f]{24}$' } } } as const;
export const EVENT_PARAM = { type: 'object', required: ['eventId'], properties: { eventId: { type: 'string', pattern: '^evt_[0-9a-f]{24}$' } } } as const;
export const DELIVERY_PARAM = { type: 'object', required: ['deliveryId'], properties: { deliveryId: { type: 'string', pattern: '^whd_[0-9a-f]{24,32}$' } } } as const;
export const EVENTS = { type: 'array', minItems: 1, maxItems: SUBSCRIBABLE_EVENT_TYPES.length, items: { type: 'string', enum: [...SUBSCRIBABLE_EVENT_TYPES] } } as const;
export const URL_FIELD = { type: 'string', minLength: 1, maxLength: 2048 } as const;
export const DESCRIPTION = { type: ['string', 'null'], maxLength: 200 } as const;
// Query strings stay strings (the app's validator neither coerces nor fills in defaults): 1-500, default 50.
const LIMIT = { type: 'string', pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$', description: '1-500, default 50' } as const;
const limitOf = (text: string | undefined) => (text === undefined ? 50 : Number(text));

/** Shared with the dashboard's webhook routes. */
export function failure(f: EndpointFailure): ApiError {
  return new ApiError(f.code, f.message, 'reason' in f ? { reason: f.reason } : undefined);
}

/**
 * Webhook endpoints, events, deliveries and attempts under /admin/v1, in
 * the admin API's scope (its token check applies). Secrets appear only in
 * the replies that create them.
 */
export function webhookAdminRoutes(app: FastifyInstance, deps: WebhookAdminDeps): void {
  const { db, keyring, clock } = deps;

  async function merchantOr404(id: string) {
    const merchant = await findMerchant(db, id);
    if (!merchant) throw new ApiError('merchant_not_found');
    return merchant;
  }

  async function view(endpoint: WebhookEndpointRow) {
    return endpointView(endpoint, await activeSecrets(db, [endpoint.id], new Date(clock.nowMs())));
  }

  app.post<{ Params: { merchantId: string }; Body: { url: string; events?: string[]; mode?: 'sandbox' | 'live'; description?: string | null } }>(
    '/admin/v1/merchants/:merchantId/webhook-endpoints',
    {
      schema: {
        summary: 'Register a webhook endpoint (its secret is in this reply only)',
        tags: ['admin', 'webhooks'],
        params: MERCHANT_PARAM,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: { url: URL_FIELD, events: EVENTS, mode: { type: 'string', enum: ['sandbox', 'live'], default: 'sandbox' }, description: DESCRIPTION },
        },
      },
      handler: async (request, reply) => {
        const merchant = await merchantOr404(request.params.merchantId);
        reply.code(201);
        return registerEndpoint(deps, merchant.id, request.body);
      },
    },
  );

  app.get<{ Params: { merchantId: string } }>('/admin/v1/merchants/:merchantId/webhook-endpoints', {
    schema: { summary: "List a merchant's webhook endpoints", tags: ['admin', 'webhooks'], params: MERCHANT_PARAM },
    handler: async (request) => {
      const merchant = await merchantOr404(request.params.merchantId);
      return { endpoints: await Promise.all((await listEndpoints(db, merchant.id)).map(view)) };
    },
  });

  app.get<{ Params: { endpointId: string } }>('/admin/v1/webhook-endpoints/:endpointId', {
    schema: { summary: 'Show a webhook endpoint (never its secret)', tags: ['admin', 'webhooks'], params: ENDPOINT_PARAM },
    handler: async (request) => {
      const endpoint = await findEndpoint(db, request.params.endpointId);
      if (!endpoint) throw new ApiError('webhook_endpoint_not_found');
      return { endpoint: await view(endpoint) };
    },
  });

  app.put<{ Params: { endpointId: string }; Body: { url?: string; events?: string[]; description?: string | null; enabled?: boolean } }>('/admin/v1/webhook-endpoints/:endpointId', {
    schema: {
      summary: 'Change a webhook endpoint: URL, events, description, or enabled (enabling resumes its pending deliveries)',
      tags: ['admin', 'webhooks'],
      params: ENDPOINT_PARAM,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { url: URL_FIELD, events: EVENTS, description: DESCRIPTION, enabled: { type: 'boolean' } } },
    },
    handler: async (request) => {
      const changed = await changeEndpoint(db, clock, deps.policy, request.params.endpointId, request.body);
      if (!changed.ok) throw failure(changed);
      return { endpoint: await view(changed.endpoint) };
    },
  });

  app.post<{ Params: { endpointId: string }; Body: { overlap_seconds?: number } | undefined }>('/admin/v1/webhook-endpoints/:endpointId/roll-secret', {
    schema: {
      summary: 'Issue a new webhook secret; deliveries carry a signature for the old one too until the overlap ends (default 24 h, at most 7 days)',
      tags: ['admin', 'webhooks'],
      params: ENDPOINT_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: MAX_SECRET_OVERLAP_SECONDS } } },
    },
    handler: async (request) => {
      const rolled = await rollEndpointSecret(db, keyring, clock, request.params.endpointId, request.body?.overlap_seconds ?? DEFAULT_SECRET_OVERLAP_SECONDS);
      if (!rolled.ok) throw failure(rolled);
      const endpoint = (await findEndpoint(db, request.params.endpointId)) as WebhookEndpointRow;
      return { endpoint: await view(endpoint), secret: rolled.secret.reveal(), previous_secret_valid_until: rolled.previousValidUntil.toISOString() };
    },
  });

  app.get<{ Params: { merchantId: string }; Querystring: { type?: string; order_id?: string; before?: string; limit?: string } }>('/admin/v1/merchants/:merchantId/webhook-events', {
    schema: {
      summary: "List a merchant's events, newest first",
      tags: ['admin', 'webhooks'],
      params: MERCHANT_PARAM,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { type: { type: 'string', maxLength: 64 }, order_id: { type: 'string', pattern: '^ord_[0-9a-f]{24}$' }, before: { type: 'string', format: 'date-time' }, limit: LIMIT },
      },
    },
    handler: async (request) => {
      const merchant = await merchantOr404(request.params.merchantId);
      const q = request.query;
      const events = await listEvents(db, merchant.id, {
        limit: limitOf(q.limit),
        ...(q.type ? { type: q.type } : {}),
        ...(q.order_id ? { orderId: q.order_id } : {}),
        ...(q.before ? { before: new Date(q.before) } : {}),
      });
      return { events: events.map(eventView) };
    },
  });

  app.post<{ Params: { eventId: string } }>('/admin/v1/webhook-events/:eventId/resend', {
    schema: { summary: 'Deliver an event again to every enabled endpoint subscribed to it, starting a new run of attempts', tags: ['admin', 'webhooks'], params: EVENT_PARAM },
    handler: async (request, reply) => {
      const event = await findEvent(db, request.params.eventId);
      if (!event) throw new ApiError('webhook_event_not_found');
      const deliveries = await resendEvent(db, event.id, new Date(clock.nowMs()));
      reply.code(202);
      return { event_id: event.id, deliveries };
    },
  });

  app.get<{ Params: { merchantId: string }; Querystring: { endpoint_id?: string; event_id?: string; status?: DeliveryStatus; limit?: string } }>('/admin/v1/merchants/:merchantId/webhook-deliveries', {
    schema: {
      summary: "List a merchant's webhook deliveries, newest first",
      tags: ['admin', 'webhooks'],
      params: MERCHANT_PARAM,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          endpoint_id: ENDPOINT_PARAM.properties.endpointId,
          event_id: EVENT_PARAM.properties.eventId,
          status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          limit: LIMIT,
        },
      },
    },
    handler: async (request) => {
      const merchant = await merchantOr404(request.params.merchantId);
      const q = request.query;
      const deliveries = await listDeliveries(db, merchant.id, {
        limit: limitOf(q.limit),
        ...(q.endpoint_id ? { endpointId: q.endpoint_id } : {}),
        ...(q.event_id ? { eventId: q.event_id } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      return { deliveries: deliveries.map(deliveryView) };
    },
  });

  app.get<{ Params: { deliveryId: string } }>('/admin/v1/webhook-deliveries/:deliveryId', {
    schema: { summary: 'Show a delivery and every attempt made (status code, latency, start of the reply)', tags: ['admin', 'webhooks'], params: DELIVERY_PARAM },
    handler: async (request) => {
      const delivery = await findDelivery(db, request.params.deliveryId);
      if (!delivery) throw new ApiError('webhook_delivery_not_found');
      return { delivery: deliveryView(delivery), attempts: (await listAttempts(db, delivery.id)).map(attemptView) };
    },
  });
}

/** Registers an endpoint from a create body: the reply (with the secret, shown this once) of the admin API and the dashboard. */
export async function registerEndpoint(
  deps: WebhookAdminDeps,
  merchantId: string,
  body: { url: string; events?: string[]; mode?: 'sandbox' | 'live'; description?: string | null },
) {
  const { db, keyring, clock } = deps;
  const created = await createEndpoint(db, keyring, clock, deps.policy, {
    merchantId,
    mode: body.mode === 'live' ? 'live' : 'test',
    url: body.url,
    ...(body.events ? { events: body.events } : {}),
    description: body.description ?? null,
  });
  if (!created.ok) throw failure(created);
  return { endpoint: endpointView(created.endpoint, await activeSecrets(db, [created.endpoint.id], new Date(clock.nowMs()))), secret: created.secret.reveal() };
}
