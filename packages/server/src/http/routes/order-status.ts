import type { FastifyInstance } from 'fastify';
import { findOrder } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import { successEnvelope } from '../../errors/envelope.js';
import { ORDER_VIEW_SCHEMA, orderView, successSchema } from '../order-view.js';
import { FAILURE_SCHEMA, ORDER_ID_SCHEMA, SIGNED_REQUEST_SECURITY } from '../schemas.js';
import type { OrderRouteDeps } from './order-create.js';

export const ORDER_STATUS_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['order_id'],
  properties: { order_id: ORDER_ID_SCHEMA },
} as const;

export function orderStatusRoute(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.post<{ Body: { order_id: string | number } }>('/api/v3/pg/order/status', {
    schema: {
      summary: 'Read an order',
      description: "The source of truth for an order's state. Only orders of the calling merchant, in the API key's mode, are visible.",
      tags: ['orders'],
      security: SIGNED_REQUEST_SECURITY,
      body: ORDER_STATUS_BODY,
      response: { 200: successSchema(ORDER_VIEW_SCHEMA, 'Order found'), '4xx': FAILURE_SCHEMA, '5xx': FAILURE_SCHEMA },
    },
    handler: async function orderStatusHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      const order = await findOrder(deps.orders, { merchantId: key.merchantId, mode: key.mode }, request.body.order_id);
      // Same reply whether the id is unknown or belongs to someone else: no probing other merchants' ids.
      if (!order) throw new ApiError('order_not_found');
      return reply.code(200).send(successEnvelope(200, 'Order found', orderView(order, deps.keyring, deps.publicBaseUrl, deps.clock.nowMs())));
    },
  });
}
