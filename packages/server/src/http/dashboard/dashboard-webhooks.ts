import type { FastifyInstance, FastifyRequest } from 'fastify';
import { applyPaymentOutcome } from '../../core/order-lifecycle.js';
import { createOrder } from '../../core/orders.js';
import { changeEndpoint, DEFAULT_SECRET_OVERLAP_SECONDS, MAX_SECRET_OVERLAP_SECONDS, rollEndpointSecret } from '../../core/webhook-endpoints.js';
import { ApiError } from '../../errors/api-error.js';
import { ID_PREFIX, newId } from '../../lib/ids.js';
import { type DeliveryRow, type DeliveryStatus, findDelivery, listAttempts, listDeliveries, listEvents, resendEvent } from '../../store/queries/webhook-deliveries.js';
import { activeSecrets, findEndpoint, listEndpoints, type WebhookEndpointRow } from '../../store/queries/webhook-endpoints.js';
import { DELIVERY_PARAM, DESCRIPTION, ENDPOINT_PARAM, EVENT_PARAM, EVENTS, failure, registerEndpoint, URL_FIELD } from '../admin/webhook-admin-routes.js';
import { attemptView, deliveryView, endpointView } from '../webhook-views.js';
import type { DashboardApiDeps } from './dashboard-api.js';
import { LIMIT_FIELD, limitOf, MODE_FIELD, merchantOf, type ModeName, storedMode } from './merchant-scope.js';

// The test event is a real sandbox payment: an order of 1.00 INR paid through the sandbox path, so the
// endpoint receives exactly what a real payment.success looks like, signed as every delivery is.
const TEST_EVENT = 'payment.success';
const TEST_CUSTOMER = { name: 'Webhook test', email: 'webhook-test@example.invalid', phone: '9999999999' };

/**
 * The merchant's webhook endpoints and deliveries, in the admin API's
 * shapes (http/webhook-views.ts). Registering an endpoint needs a recent
 * re-authentication; its secret, like a rolled one, is in that reply only.
 * Another merchant's endpoint or delivery is answered as a missing one.
 */
export function dashboardWebhookRoutes(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { db, clock } = deps;
  const { keyring, webhookPolicy } = deps.integration;

  async function view(endpoint: WebhookEndpointRow) {
    return endpointView(endpoint, await activeSecrets(db, [endpoint.id], new Date(clock.nowMs())));
  }

  async function ownEndpoint(request: FastifyRequest, id: string): Promise<WebhookEndpointRow> {
    const endpoint = await findEndpoint(db, id);
    if (!endpoint || endpoint.merchantId !== merchantOf(request)) throw new ApiError('webhook_endpoint_not_found');
    return endpoint;
  }

  async function ownDelivery(request: FastifyRequest, id: string): Promise<DeliveryRow> {
    const delivery = await findDelivery(db, id);
    if (!delivery || delivery.merchantId !== merchantOf(request)) throw new ApiError('webhook_delivery_not_found');
    return delivery;
  }

  app.get<{ Querystring: { mode: ModeName } }>('/webhooks/endpoints', {
    config: { dashboard: { permission: 'read' } },
    schema: { querystring: { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: MODE_FIELD } } },
    handler: async (request) => {
      const mode = storedMode(request.query.mode);
      const endpoints = (await listEndpoints(db, merchantOf(request))).filter((e) => e.mode === mode);
      return { endpoints: await Promise.all(endpoints.map(view)) };
    },
  });

  app.post<{ Body: { mode: ModeName; url: string; events?: string[]; description?: string | null } }>('/webhooks/endpoints', {
    config: { dashboard: { permission: 'write', reauth: true } },
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['mode', 'url'], properties: { mode: MODE_FIELD, url: URL_FIELD, events: EVENTS, description: DESCRIPTION } },
    },
    handler: async (request, reply) => {
      reply.code(201);
      return registerEndpoint({ db, keyring, clock, policy: webhookPolicy }, merchantOf(request), request.body);
    },
  });

  app.get<{ Params: { endpointId: string } }>('/webhooks/endpoints/:endpointId', {
    config: { dashboard: { permission: 'read' } },
    schema: { params: ENDPOINT_PARAM },
    handler: async (request) => ({ endpoint: await view(await ownEndpoint(request, request.params.endpointId)) }),
  });

  app.put<{ Params: { endpointId: string }; Body: { url?: string; events?: string[]; description?: string | null; enabled?: boolean } }>('/webhooks/endpoints/:endpointId', {
    config: { dashboard: { permission: 'write' } },
    schema: {
      params: ENDPOINT_PARAM,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { url: URL_FIELD, events: EVENTS, description: DESCRIPTION, enabled: { type: 'boolean' } } },
    },
    handler: async (request) => {
      const endpoint = await ownEndpoint(request, request.params.endpointId);
      const changed = await changeEndpoint(db, clock, webhookPolicy, endpoint.id, request.body);
      if (!changed.ok) throw failure(changed);
      return { endpoint: await view(changed.endpoint) };
    },
  });

  app.post<{ Params: { endpointId: string }; Body: { overlap_seconds?: number } | undefined }>('/webhooks/endpoints/:endpointId/roll-secret', {
    config: { dashboard: { permission: 'write' } },
    schema: {
      params: ENDPOINT_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: MAX_SECRET_OVERLAP_SECONDS } } },
    },
    handler: async (request) => {
      const endpoint = await ownEndpoint(request, request.params.endpointId);
      const rolled = await rollEndpointSecret(db, keyring, clock, endpoint.id, request.body?.overlap_seconds ?? DEFAULT_SECRET_OVERLAP_SECONDS);
      if (!rolled.ok) throw failure(rolled);
      const after = (await findEndpoint(db, endpoint.id)) as WebhookEndpointRow;
      return { endpoint: await view(after), secret: rolled.secret.reveal(), previous_secret_valid_until: rolled.previousValidUntil.toISOString() };
    },
  });

  app.post<{ Params: { endpointId: string } }>('/webhooks/endpoints/:endpointId/test', {
    config: { dashboard: { permission: 'write' } },
    schema: { params: ENDPOINT_PARAM },
    handler: async (request, reply) => {
      const endpoint = await ownEndpoint(request, request.params.endpointId);
      if (endpoint.mode !== 'test') throw new ApiError('sandbox_only', 'Test events are sandbox only: a live endpoint receives real payments only.');
      if (!endpoint.enabled || !endpoint.events.includes(TEST_EVENT)) {
        throw new ApiError('validation_failed', `The test event is a ${TEST_EVENT}: enable the endpoint and subscribe it to ${TEST_EVENT} first.`);
      }
      const merchantId = merchantOf(request);
      const created = await createOrder(
        deps.integration.orders,
        keyring,
        clock,
        { merchantId, mode: 'test' },
        { order_id: `webhook_test_${newId(ID_PREFIX.order).slice(4, 16)}`, order_amount: '1.00', order_currency: 'INR', order_note: 'Webhook test event sent from the dashboard', service_type: 'DIGITAL', customer: TEST_CUSTOMER },
        deps.integration.orderLifetimeSeconds,
      );
      if (!created.ok) throw new Error(`the webhook test order was refused: ${created.code}`);
      const paid = await applyPaymentOutcome(db, clock, created.order.id, 'success', 'UPI');
      if (!paid.ok) throw new Error(`the webhook test payment was refused: ${paid.code}`);
      const [event] = await listEvents(db, merchantId, { orderId: created.order.id, type: TEST_EVENT, limit: 1 });
      if (!event) throw new Error('the webhook test payment recorded no event');
      const deliveries = await listDeliveries(db, merchantId, { eventId: event.id, limit: 100 });
      reply.code(202);
      return {
        event_id: event.id,
        event_type: TEST_EVENT,
        gateway_order_id: created.order.id,
        delivery_id: deliveries.find((d) => d.endpointId === endpoint.id)?.id ?? null,
        deliveries: deliveries.map((d) => d.id),
      };
    },
  });

  app.get<{ Querystring: { mode: ModeName; endpoint_id?: string; event_id?: string; status?: DeliveryStatus; limit?: string } }>('/webhooks/deliveries', {
    config: { dashboard: { permission: 'read' } },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['mode'],
        properties: {
          mode: MODE_FIELD,
          endpoint_id: ENDPOINT_PARAM.properties.endpointId,
          event_id: EVENT_PARAM.properties.eventId,
          status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
          limit: LIMIT_FIELD,
        },
      },
    },
    handler: async (request) => {
      const q = request.query;
      const deliveries = await listDeliveries(db, merchantOf(request), {
        mode: storedMode(q.mode),
        limit: limitOf(q.limit),
        ...(q.endpoint_id ? { endpointId: q.endpoint_id } : {}),
        ...(q.event_id ? { eventId: q.event_id } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      return { deliveries: deliveries.map(deliveryView) };
    },
  });

  app.get<{ Params: { deliveryId: string } }>('/webhooks/deliveries/:deliveryId', {
    config: { dashboard: { permission: 'read' } },
    schema: { params: DELIVERY_PARAM },
    handler: async (request) => {
      const delivery = await ownDelivery(request, request.params.deliveryId);
      return { delivery: deliveryView(delivery), attempts: (await listAttempts(db, delivery.id)).map(attemptView) };
    },
  });

  app.post<{ Params: { deliveryId: string } }>('/webhooks/deliveries/:deliveryId/resend', {
    config: { dashboard: { permission: 'write' } },
    schema: { params: DELIVERY_PARAM },
    handler: async (request, reply) => {
      const delivery = await ownDelivery(request, request.params.deliveryId);
      // The admin API's resend: a new run of attempts for the event, to every enabled endpoint subscribed to it.
      const deliveries = await resendEvent(db, delivery.eventId, new Date(clock.nowMs()));
      reply.code(202);
      return { event_id: delivery.eventId, deliveries };
    },
  });
}
