import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../core/keyring.js';
import { type CreateOrderInput, createOrder } from '../../core/orders.js';
import { ApiError } from '../../errors/api-error.js';
import { successEnvelope } from '../../errors/envelope.js';
import type { Clock } from '../../lib/clock.js';
import type { OrderStore } from '../../store/order-store.js';
import { ORDER_VIEW_SCHEMA, orderView, successSchema } from '../order-view.js';
import { FAILURE_SCHEMA, ORDER_ID_SCHEMA, SIGNED_REQUEST_SECURITY } from '../schemas.js';

export interface OrderRouteDeps {
  orders: OrderStore;
  keyring: Keyring;
  clock: Clock;
  publicBaseUrl: string;
  /** How long a new order may wait for payment before it expires. */
  orderLifetimeSeconds: number;
}

export const ORDER_CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['order_id', 'order_amount', 'order_currency', 'service_type', 'customer'],
  properties: {
    order_id: ORDER_ID_SCHEMA,
    order_amount: {
      type: ['string', 'number'],
      maxLength: 20,
      exclusiveMinimum: 0,
      description: 'Decimal amount, e.g. "105.00" or 105; at most the currency\'s minor digits.',
    },
    order_currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. INR.' },
    order_note: { type: 'string', maxLength: 500 },
    service_type: { type: 'string', enum: ['DIGITAL', 'PHYSICAL_GOODS'] },
    customer: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'email', 'phone'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        email: { type: 'string', format: 'email', maxLength: 254 },
        phone: { type: 'string', pattern: '^\\+?[0-9]{6,15}$', description: 'Digits, optionally with a leading +.' },
      },
    },
    return_url: { type: 'string', maxLength: 2048, description: 'Where the checkout sends the customer afterwards (https in live mode).' },
  },
} as const;

export function orderCreateRoute(app: FastifyInstance, deps: OrderRouteDeps): void {
  app.post<{ Body: CreateOrderInput }>('/api/v3/pg/order/create', {
    schema: {
      summary: 'Create an order',
      description: 'Creates an order in the mode of the API key (sandbox or live). Replies only after the order is committed.',
      tags: ['orders'],
      security: SIGNED_REQUEST_SECURITY,
      body: ORDER_CREATE_BODY,
      response: { 200: successSchema(ORDER_VIEW_SCHEMA, 'Order created'), '4xx': FAILURE_SCHEMA, '5xx': FAILURE_SCHEMA },
    },
    handler: async function createOrderHandler(request, reply) {
      const key = request.apiKey;
      if (!key) throw new Error('request-auth did not run');
      const result = await createOrder(deps.orders, deps.keyring, deps.clock, { merchantId: key.merchantId, mode: key.mode }, request.body, deps.orderLifetimeSeconds);
      if (result.ok) return reply.code(200).send(successEnvelope(200, 'Order created', orderView(result.order, deps.keyring, deps.publicBaseUrl, deps.clock.nowMs())));
      if (result.code === 'validation_failed') {
        throw new ApiError('validation_failed', `Invalid fields: ${result.problems.map((p) => p.field).join(', ')}.`, { errors: result.problems });
      }
      const existing = result.existing;
      throw new ApiError('duplicate_order_id', `order_id ${existing.orderRef} already exists as ${existing.id}; use the status API to read it.`, {
        gateway_order_id: existing.id,
        order_id: existing.orderRefNumeric ? Number(existing.orderRef) : existing.orderRef,
        order_status: existing.status,
      });
    },
  });
}
