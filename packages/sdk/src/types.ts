/**
 * The request and reply types of the merchant API, named. Each is read out of
 * generated/openapi.ts, which scripts/generate-api-types.ts writes from the
 * gateway's own GET /openapi.json (itself generated from the route schemas the
 * gateway validates with): a field added, removed or retyped there changes
 * these types, and openapi-types.test.ts fails until the file is regenerated.
 */
import type { paths } from './generated/openapi.js';

type Post<P extends keyof paths> = paths[P] extends { post: infer Operation } ? Operation : never;
type JsonRequest<P extends keyof paths> = NonNullable<Post<P> extends { requestBody?: infer B } ? B : never> extends { content: { 'application/json': infer J } } ? J : never;
type Success<P extends keyof paths> = Post<P> extends { responses: { 200: { content: { 'application/json': infer J } } } } ? J : never;
type ReturnData<P extends keyof paths> = Success<P> extends { return_data: infer D } ? D : never;

/** POST /api/v3/pg/order/create */
export type CreateOrderParams = JsonRequest<'/api/v3/pg/order/create'>;
/** An order as create, status and simulate return it (`return_data`). */
export type Order = ReturnData<'/api/v3/pg/order/create'>;
export type OrderStatus = Order['order_status'];
export type OrderPayment = NonNullable<Order['payment']>;
export type OrderId = CreateOrderParams['order_id'];
/** POST /api/v3/sandbox/order/simulate */
export type SimulatePaymentParams = JsonRequest<'/api/v3/sandbox/order/simulate'>;
/** POST /api/v3/webhooks/deliveries */
export type ListDeliveriesParams = JsonRequest<'/api/v3/webhooks/deliveries'>;
export type DeliveryList = ReturnData<'/api/v3/webhooks/deliveries'>;
export type WebhookDelivery = NonNullable<DeliveryList['deliveries']>[number];
/** POST /api/v3/webhooks/delivery */
export type DeliveryWithAttempts = ReturnData<'/api/v3/webhooks/delivery'>;
/** POST /api/v3/webhooks/resend */
export type ResendResult = ReturnData<'/api/v3/webhooks/resend'>;
/** The failure envelope of every route (`status: "failed"`, `error_code`, `request_id`). */
export type FailureEnvelope = Post<'/api/v3/pg/order/create'> extends { responses: { '4XX': { content: { 'application/json': infer J } } } } ? J : never;
/** GET /.well-known/jwks.json */
export type JsonWebKeySet = paths['/.well-known/jwks.json']['get']['responses'][200]['content']['application/json'];
