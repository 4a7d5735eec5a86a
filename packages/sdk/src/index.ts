/**
 * @tijori/sdk: the merchant's client for a Tijori gateway. Fetch and WebCrypto
 * only, so it runs on Node 20+, Deno, Bun and edge runtimes; its one
 * dependency is @tijori/signing's crypto-free `messages` entry.
 */
export { Tijori, type TijoriOptions } from './tijori.js';
export type { RequestOptions } from './http-client.js';
export type { Orders } from './orders.js';
export type { Sandbox } from './sandbox.js';
export type { Webhooks } from './webhooks.js';
export {
  TijoriAuthenticationError,
  TijoriConflictError,
  TijoriConnectionError,
  TijoriError,
  type TijoriErrorFields,
  TijoriNotFoundError,
  TijoriPermissionError,
  TijoriRateLimitError,
  TijoriResponseVerificationError,
  TijoriServerError,
  TijoriTimeoutError,
  TijoriValidationError,
  TijoriWebhookVerificationError,
} from './errors.js';
export { verifyWebhook, type VerifyWebhookOptions, type WebhookSecret } from './webhook-verification.js';
export { isPaymentEvent, type OtherEvent, PAYMENT_EVENT_TYPES, type PaymentEvent, type PaymentEventData, type PaymentEventType, type WebhookEvent } from './webhook-event.js';
export type { PrivateKeyInput } from './request-signer.js';
export type {
  CreateOrderParams,
  DeliveryList,
  DeliveryWithAttempts,
  FailureEnvelope,
  JsonWebKeySet,
  ListDeliveriesParams,
  Order,
  OrderId,
  OrderPayment,
  OrderStatus,
  ResendResult,
  SimulatePaymentParams,
  WebhookDelivery,
} from './types.js';
export type { SignatureScheme, WebhookHeaders } from '@tijori/signing/messages';
export { SDK_VERSION } from './version.js';

import { verifyWebhook } from './webhook-verification.js';

/** For a receiver that has no API key: `webhooks.verify(rawBody, headers, secret)`, the same as `tijori.webhooks.verify`. */
export const webhooks = { verify: verifyWebhook } as const;
