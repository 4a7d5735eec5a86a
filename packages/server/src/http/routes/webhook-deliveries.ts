import type { FastifyInstance } from 'fastify';
import { findOrder } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import { successEnvelope } from '../../errors/envelope.js';
import type { Db } from '../../store/db.js';
import { type DeliveryStatus, findDelivery, findEvent, listAttempts, listDeliveries, resendEvent } from '../../store/queries/webhook-deliveries.js';
import { successSchema } from '../order-view.js';
import { FAILURE_SCHEMA, ORDER_ID_SCHEMA, SIGNED_REQUEST_SECURITY } from '../schemas.js';
import { attemptView, deliveryView } from '../webhook-views.js';
import type { OrderRouteDeps } from './order-create.js';

const DELIVERY_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'whd_...' },
    event_id: { type: 'string', description: 'evt_...: the webhook-id header and the payload event_id; the same on every attempt and resend.' },
    event_type: { type: 'string' },
    mode: { type: 'string', enum: ['sandbox', 'live'] },
    gateway_order_id: { type: ['string', 'null'] },
    endpoint_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer', description: 'Attempts made in the current run (a resend starts a new run).' },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
    last_status_code: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'], description: 'timeout, connection_failed, tls_failed, dns_failed, forbidden_address, ... when no HTTP reply came.' },
    delivered_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const ATTEMPT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    attempt: { type: 'integer' },
    attempted_at: { type: 'string', format: 'date-time' },
    status_code: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'] },
    latency_ms: { type: 'integer' },
    response_body: { type: ['string', 'null'], description: 'The first 1 KiB of your endpoint\'s reply.' },
  },
} as const;

const EVENT_ID = { type: 'string', pattern: '^evt_[0-9a-f]{24}$' } as const;

/**
 * The merchant's view of its webhook deliveries, signed like every /api/
 * call and scoped to the key's merchant and mode: list deliveries (by event,
 * order or status), see one delivery's attempts, and resend an event.
 */
export function webhookDeliveryRoutes(app: FastifyInstance, deps: OrderRouteDeps & { db: Db }): void {
  app.post<{ Body: { event_id?: string; order_id?: string | number; status?: DeliveryStatus; limit?: number } }>('/api/v3/webhooks/deliveries', {
    schema: {
      summary: 'List webhook deliveries, newest first',
      tags: ['webhooks'],
      security: SIGNED_REQUEST_SECURITY,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          event_id: EVENT_ID,
          order_id: ORDER_ID_SCHEMA,
          status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          limit: { type: 'integer', minimum: 1, maximum: 500, description: 'Default 50.' },
        },
      },
      response: { 200: successSchema({ type: 'object', properties: { deliveries: { type: 'array', items: DELIVERY_SCHEMA } } }, 'Deliveries found'), '4xx': FAILURE_SCHEMA, '5xx': FAILURE_SCHEMA },
    },
    handler: async function listDeliveriesHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      const body = request.body ?? {};
      let orderId: string | undefined;
      if (body.order_id !== undefined) {
        const order = await findOrder(deps.orders, { merchantId: key.merchantId, mode: key.mode }, body.order_id);
        if (!order) throw new ApiError('order_not_found');
        orderId = order.id;
      }
      const deliveries = await listDeliveries(deps.db, key.merchantId, {
        mode: key.mode,
        limit: body.limit ?? 50,
        ...(body.event_id ? { eventId: body.event_id } : {}),
        ...(orderId ? { orderId } : {}),
        ...(body.status ? { status: body.status } : {}),
      });
      return reply.code(200).send(successEnvelope(200, 'Deliveries found', { deliveries: deliveries.map(deliveryView) }));
    },
  });

  app.post<{ Body: { delivery_id: string } }>('/api/v3/webhooks/delivery', {
    schema: {
      summary: 'Show a webhook delivery and every attempt made: status code, latency, the start of your reply',
      tags: ['webhooks'],
      security: SIGNED_REQUEST_SECURITY,
      body: { type: 'object', additionalProperties: false, required: ['delivery_id'], properties: { delivery_id: { type: 'string', pattern: '^whd_[0-9a-f]{24,32}$' } } },
      response: {
        200: successSchema({ type: 'object', properties: { delivery: DELIVERY_SCHEMA, attempts: { type: 'array', items: ATTEMPT_SCHEMA } } }, 'Delivery found'),
        '4xx': FAILURE_SCHEMA,
        '5xx': FAILURE_SCHEMA,
      },
    },
    handler: async function showDeliveryHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      const delivery = await findDelivery(deps.db, request.body.delivery_id);
      // Another merchant's (or mode's) delivery is answered exactly like a missing one.
      if (!delivery || delivery.merchantId !== key.merchantId || delivery.mode !== key.mode) throw new ApiError('webhook_delivery_not_found');
      const attempts = await listAttempts(deps.db, delivery.id);
      return reply.code(200).send(successEnvelope(200, 'Delivery found', { delivery: deliveryView(delivery), attempts: attempts.map(attemptView) }));
    },
  });

  app.post<{ Body: { event_id: string } }>('/api/v3/webhooks/resend', {
    schema: {
      summary: 'Deliver an event again (same event_id) to every enabled endpoint subscribed to it',
      tags: ['webhooks'],
      security: SIGNED_REQUEST_SECURITY,
      body: { type: 'object', additionalProperties: false, required: ['event_id'], properties: { event_id: EVENT_ID } },
      response: { 200: successSchema({ type: 'object', properties: { event_id: { type: 'string' }, deliveries: { type: 'array', items: { type: 'string' } } } }, 'Event queued'), '4xx': FAILURE_SCHEMA, '5xx': FAILURE_SCHEMA },
    },
    handler: async function resendHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      const event = await findEvent(deps.db, request.body.event_id);
      if (!event || event.merchantId !== key.merchantId || event.mode !== key.mode) throw new ApiError('webhook_event_not_found');
      const deliveries = await resendEvent(deps.db, event.id, new Date(deps.clock.nowMs()));
      return reply.code(200).send(successEnvelope(200, 'Event queued', { event_id: event.id, deliveries }));
    },
  });
}
