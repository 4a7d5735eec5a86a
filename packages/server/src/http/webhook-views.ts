import type { AttemptRecord, DeliveryRow, EventRow } from '../store/queries/webhook-deliveries.js';
import type { WebhookEndpointRow, WebhookSecretRow } from '../store/queries/webhook-endpoints.js';

/** Webhook shapes shared by the admin API and the merchant API; the CLI's --json output is these objects. Never a secret's value. */

const iso = (d: Date | null) => d?.toISOString() ?? null;
const modeName = (m: 'test' | 'live') => (m === 'test' ? 'sandbox' : 'live');

export function endpointView(e: WebhookEndpointRow, secrets: readonly WebhookSecretRow[]) {
  return {
    id: e.id,
    merchant_id: e.merchantId,
    mode: modeName(e.mode),
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    disabled_at: iso(e.disabledAt),
    failing_since: iso(e.failingSince),
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
    secrets: secrets.map((s) => ({ id: s.id, created_at: s.createdAt.toISOString(), expires_at: iso(s.expiresAt) })),
  };
}

export function eventView(e: EventRow) {
  return { id: e.id, type: e.type, mode: modeName(e.mode), order_id: e.orderId, created_at: e.createdAt.toISOString(), payload: JSON.parse(e.payload) as unknown };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    mode: modeName(d.mode),
    gateway_order_id: d.orderId,
    endpoint_id: d.endpointId,
    status: d.status,
    attempts: d.attemptCount,
    next_attempt_at: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    delivered_at: iso(d.deliveredAt),
    created_at: d.createdAt.toISOString(),
  };
}

export function attemptView(a: AttemptRecord) {
  return {
    id: a.id,
    attempt: a.attemptNumber,
    attempted_at: a.attemptedAt.toISOString(),
    status_code: a.statusCode,
    error: a.errorCode,
    latency_ms: a.latencyMs,
    response_body: a.responseBody,
  };
}
