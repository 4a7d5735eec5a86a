import type { WebhookHeaders } from '@tijori/signing/messages';
import type { HttpClient, RequestOptions } from './http-client.js';
import type { DeliveryList, DeliveryWithAttempts, ListDeliveriesParams, ResendResult } from './types.js';
import type { WebhookEvent } from './webhook-event.js';
import { verifyWebhook, type VerifyWebhookOptions, type WebhookSecret } from './webhook-verification.js';

/** Receiving webhooks (verify) and inspecting their deliveries in the key's mode. */
export class Webhooks {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** verifyWebhook: checks a delivery's signature and returns its event (see webhook-verification.ts). */
  verify(rawBody: string | Uint8Array | ArrayBuffer, headers: WebhookHeaders, secret: WebhookSecret, options?: VerifyWebhookOptions): Promise<WebhookEvent> {
    return verifyWebhook(rawBody, headers, secret, options);
  }

  /** Deliveries, newest first: by event_id, order_id or status; at most `limit` (default 50). */
  listDeliveries(params: ListDeliveriesParams = {}, options?: RequestOptions): Promise<DeliveryList> {
    return this.#http.post<DeliveryList>('/api/v3/webhooks/deliveries', params, options);
  }

  /** One delivery with every attempt made: status code or error, latency, the start of your endpoint's reply. */
  getDelivery(deliveryId: string, options?: RequestOptions): Promise<DeliveryWithAttempts> {
    return this.#http.post<DeliveryWithAttempts>('/api/v3/webhooks/delivery', { delivery_id: deliveryId }, options);
  }

  /** Delivers an event again (same event_id) to every enabled endpoint subscribed to it. */
  resend(eventId: string, options?: RequestOptions): Promise<ResendResult> {
    return this.#http.post<ResendResult>('/api/v3/webhooks/resend', { event_id: eventId }, options);
  }
}
