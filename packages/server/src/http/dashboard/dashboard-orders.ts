import type { FastifyInstance } from 'fastify';
import { withCurrency } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import { findOrderById, type OrderStatus, searchOrders } from '../../store/queries/orders.js';
import { listAttemptsOfOrder } from '../../store/queries/payment-attempts.js';
import { orderView, paymentView } from '../order-view.js';
import type { DashboardApiDeps } from './dashboard-api.js';
import { LIMIT_FIELD, limitOf, MODE_FIELD, merchantOf, type ModeName, storedMode } from './merchant-scope.js';

const ORDER_ID = { type: 'string', pattern: '^ord_[0-9a-f]{24}$' } as const;
const ORDER_PARAM = { type: 'object', required: ['orderId'], properties: { orderId: ORDER_ID } } as const;

interface OrderQuery {
  mode: ModeName;
  order_id?: string;
  status?: OrderStatus;
  before?: string;
  limit?: string;
}

/**
 * The merchant's orders: search (by its own order_id, by status; newest
 * first, paged with `before`) and one order with every payment attempt.
 * The shapes are the status API's (http/order-view.ts), which carries no
 * customer contact details: those stay encrypted and are never read here.
 */
export function dashboardOrderRoutes(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { db, clock } = deps;
  const { keyring, publicBaseUrl } = deps.integration;

  app.get<{ Querystring: OrderQuery }>('/orders', {
    config: { dashboard: { permission: 'read' } },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['mode'],
        properties: {
          mode: MODE_FIELD,
          order_id: { type: 'string', minLength: 1, maxLength: 64, description: "the merchant's own order_id, exactly" },
          status: { type: 'string', enum: ['UN_PAID', 'PROCESSING', 'PAID', 'FAILED', 'EXPIRED'] },
          before: { ...ORDER_ID, description: 'the next_before of the previous page' },
          limit: LIMIT_FIELD,
        },
      },
    },
    handler: async (request) => {
      const q = request.query;
      const limit = limitOf(q.limit);
      const nowMs = clock.nowMs();
      const orders = await searchOrders(db, {
        merchantId: merchantOf(request),
        mode: storedMode(q.mode),
        ...(q.order_id !== undefined ? { orderRef: q.order_id } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.before !== undefined ? { beforeId: q.before } : {}),
        now: new Date(nowMs),
        limit,
      });
      const last = orders[orders.length - 1];
      return { orders: orders.map((o) => orderView(withCurrency(o), keyring, publicBaseUrl, nowMs)), next_before: orders.length === limit && last ? last.id : null };
    },
  });

  app.get<{ Params: { orderId: string } }>('/orders/:orderId', {
    config: { dashboard: { permission: 'read' } },
    schema: { params: ORDER_PARAM },
    handler: async (request) => {
      const order = await findOrderById(db, request.params.orderId);
      // Another merchant's order is answered as a missing one.
      if (!order || order.merchantId !== merchantOf(request)) throw new ApiError('order_not_found', 'No such order for your merchant.');
      return {
        order: orderView(withCurrency(order), keyring, publicBaseUrl, clock.nowMs()),
        payment_attempts: (await listAttemptsOfOrder(db, order.id)).map(paymentView),
      };
    },
  });
}
