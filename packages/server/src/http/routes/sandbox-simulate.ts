import type { FastifyInstance } from 'fastify';
import { applyPaymentOutcome, type PaymentOutcome } from '../../core/order-lifecycle.js';
import { findOrder } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import { successEnvelope } from '../../errors/envelope.js';
import type { Db } from '../../store/db.js';
import type { PaymentMethod } from '../../store/queries/payment-attempts.js';
import { ORDER_VIEW_SCHEMA, orderView, successSchema } from '../order-view.js';
import { FAILURE_SCHEMA, ORDER_ID_SCHEMA, SIGNED_REQUEST_SECURITY } from '../schemas.js';
import type { OrderRouteDeps } from './order-create.js';

export const SIMULATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['order_id', 'outcome'],
  properties: {
    order_id: ORDER_ID_SCHEMA,
    outcome: { type: 'string', enum: ['success', 'failed', 'processing'] },
    payment_method: { type: 'string', enum: ['UPI', 'CARD', 'NET_BANKING'], default: 'UPI' },
  },
} as const;

/**
 * For merchants' automated tests: the checkout page's outcomes without a
 * browser, through the same transitions. Sandbox keys only.
 */
export function sandboxSimulateRoute(app: FastifyInstance, deps: OrderRouteDeps & { db: Db }): void {
  app.post<{ Body: { order_id: string | number; outcome: PaymentOutcome; payment_method?: PaymentMethod } }>('/api/v3/sandbox/order/simulate', {
    schema: {
      summary: 'Sandbox: pay, fail or leave processing an order, as the checkout page would',
      tags: ['sandbox'],
      security: SIGNED_REQUEST_SECURITY,
      body: SIMULATE_BODY,
      response: { 200: successSchema(ORDER_VIEW_SCHEMA, 'Order updated'), '4xx': FAILURE_SCHEMA, '5xx': FAILURE_SCHEMA },
    },
    handler: async function simulateHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      if (key.mode !== 'test') throw new ApiError('sandbox_only');
      const caller = { merchantId: key.merchantId, mode: key.mode };
      const order = await findOrder(deps.orders, caller, request.body.order_id);
      if (!order) throw new ApiError('order_not_found');
      const result = await applyPaymentOutcome(deps.db, deps.clock, order.id, request.body.outcome, request.body.payment_method ?? 'UPI');
      if (!result.ok) {
        if (result.code === 'order_not_found') throw new ApiError('order_not_found');
        request.log.warn({ order: order.id, from: result.from, to: result.to }, 'refused an illegal order transition');
        throw new ApiError('illegal_transition', `The order is ${result.from}; it cannot become ${result.to}.`, { order_status: result.from });
      }
      const updated = await findOrder(deps.orders, caller, request.body.order_id);
      if (!updated) throw new Error('order vanished after its update');
      return reply.code(200).send(successEnvelope(200, 'Order updated', orderView(updated, deps.keyring, deps.publicBaseUrl, deps.clock.nowMs())));
    },
  });
}
