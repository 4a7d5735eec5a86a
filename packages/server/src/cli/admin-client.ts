import type { keyView, merchantView, usageView } from '../http/admin/admin-views.js';
import type { attemptView, deliveryView, endpointView, eventView } from '../http/webhook-views.js';
import type { signingKeyView } from '../http/admin/signing-key-routes.js';
import type { Secret } from '../lib/secret.js';
import type { AuditRecord } from '../core/audit-chain.js';
import type { alertView } from '../core/security-alerts.js';

/** The admin API's objects, typed from the server's own views so the two cannot drift. */
export type MerchantView = ReturnType<typeof merchantView>;
export type KeyView = ReturnType<typeof keyView>;
export type ActivityRow = ReturnType<typeof usageView>;
export type EndpointView = ReturnType<typeof endpointView>;
export type EventView = ReturnType<typeof eventView>;
export type DeliveryView = ReturnType<typeof deliveryView>;
export type AttemptView = ReturnType<typeof attemptView>;
export type SigningKeyView = ReturnType<typeof signingKeyView>;
export type AlertView = ReturnType<typeof alertView>;
export interface KekStatusView {
  current_kek: string;
  available_keks: string[];
  data_keys_by_kek: Array<{ kek_id: string; data_keys: number }>;
}
export interface CustomerOrder {
  gateway_order_id: string;
  order_id: string | number;
  mode: string;
  order_status: string;
  order_amount: string;
  order_currency: string;
  created_at: string;
}
/** Only create and roll replies carry the secret. */
export type KeyWithSecret = KeyView & { secret_key: string };

export type MerchantMode = 'sandbox' | 'live';
export type SchemeName = 'v1' | 'v2';
export type AllowlistMode = 'enforce' | 'report';

/** The failure envelope every admin refusal uses (the merchant API's, with error_code and request_id). */
export interface AdminFailureBody {
  code: string;
  status: 'failed';
  message: string;
  error_code: string;
  request_id: string;
  details?: Record<string, unknown>;
}

/**
 * Expected failures are values: `refused` is the gateway saying no (exit 1),
 * `unreachable` is not getting an answer from a Tijori gateway at all (exit 3).
 */
export type AdminResult<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; kind: 'refused'; status: number; body: AdminFailureBody }
  | { ok: false; kind: 'unreachable'; message: string };

export interface AdminClientOptions {
  /** e.g. "http://127.0.0.1:8080", without a trailing slash. */
  baseUrl: string;
  token: Secret<string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

// Long enough for a loaded server, short enough that a script with a wrong URL fails instead of hanging.
export const ADMIN_TIMEOUT_MS = 10_000;

const seg = (value: string) => encodeURIComponent(value);

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The HTTP client for /admin/v1: one method per route, JSON in and out. */
export class AdminClient {
  readonly #baseUrl: string;
  readonly #token: Secret<string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: AdminClientOptions) {
    this.#baseUrl = options.baseUrl;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? ADMIN_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  createMerchant(body: { name: string; mode: MerchantMode }) {
    return this.request<{ merchant: MerchantView; key: KeyWithSecret }>('POST', '/admin/v1/merchants', body);
  }

  listMerchants() {
    return this.request<{ merchants: MerchantView[] }>('GET', '/admin/v1/merchants');
  }

  showMerchant(merchantId: string) {
    return this.request<{ merchant: MerchantView; keys: KeyView[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}`);
  }

  setMerchantActive(merchantId: string, active: boolean) {
    return this.request<{ merchant: MerchantView }>('POST', `/admin/v1/merchants/${seg(merchantId)}/${active ? 'activate' : 'suspend'}`);
  }

  merchantActivity(merchantId: string) {
    return this.request<{ activity: ActivityRow[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/activity`);
  }

  createKey(merchantId: string, body: { mode: MerchantMode; label?: string }) {
    return this.request<{ key: KeyWithSecret }>('POST', `/admin/v1/merchants/${seg(merchantId)}/keys`, body);
  }

  /** Registers the merchant's public key: no secret exists, so the reply has none. */
  registerPublicKey(merchantId: string, body: { mode: MerchantMode; label?: string; public_key_pem: string }) {
    return this.request<{ key: KeyView }>('POST', `/admin/v1/merchants/${seg(merchantId)}/keys`, body);
  }

  listKeys(merchantId: string) {
    return this.request<{ keys: KeyView[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/keys`);
  }

  rotationDue() {
    return this.request<{ keys: KeyView[] }>('GET', '/admin/v1/keys?rotation_due=true');
  }

  showKey(ref: string) {
    return this.request<{ key: KeyView }>('GET', `/admin/v1/keys/${seg(ref)}`);
  }

  /** Without an overlap the server's default (24 h) applies. */
  rollKey(ref: string, overlapSeconds?: number) {
    const body = overlapSeconds === undefined ? {} : { overlap_seconds: overlapSeconds };
    return this.request<{ key: KeyWithSecret; previous_secret_valid_until: string }>('POST', `/admin/v1/keys/${seg(ref)}/roll`, body);
  }

  revokeKey(ref: string) {
    return this.request<{ key: KeyView }>('POST', `/admin/v1/keys/${seg(ref)}/revoke`);
  }

  setIpAllowlist(ref: string, entries: readonly string[], mode: AllowlistMode) {
    return this.request<{ key: KeyView }>('PUT', `/admin/v1/keys/${seg(ref)}/ip-allowlist`, { entries, mode });
  }

  setSchemes(ref: string, schemes: readonly SchemeName[]) {
    return this.request<{ key: KeyView }>('PUT', `/admin/v1/keys/${seg(ref)}/schemes`, { schemes });
  }

  /** null returns the key to the gateway's default. */
  setRateLimit(ref: string, perMinute: number | null) {
    return this.request<{ key: KeyView }>('PUT', `/admin/v1/keys/${seg(ref)}/rate-limit`, { per_minute: perMinute });
  }

  createWebhookEndpoint(merchantId: string, body: { url: string; mode: MerchantMode; events?: string[]; description?: string }) {
    return this.request<{ endpoint: EndpointView; secret: string }>('POST', `/admin/v1/merchants/${seg(merchantId)}/webhook-endpoints`, body);
  }

  listWebhookEndpoints(merchantId: string) {
    return this.request<{ endpoints: EndpointView[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/webhook-endpoints`);
  }

  showWebhookEndpoint(endpointId: string) {
    return this.request<{ endpoint: EndpointView }>('GET', `/admin/v1/webhook-endpoints/${seg(endpointId)}`);
  }

  updateWebhookEndpoint(endpointId: string, body: { url?: string; events?: string[]; description?: string | null; enabled?: boolean }) {
    return this.request<{ endpoint: EndpointView }>('PUT', `/admin/v1/webhook-endpoints/${seg(endpointId)}`, body);
  }

  rollWebhookSecret(endpointId: string, overlapSeconds?: number) {
    const body = overlapSeconds === undefined ? {} : { overlap_seconds: overlapSeconds };
    return this.request<{ endpoint: EndpointView; secret: string; previous_secret_valid_until: string }>('POST', `/admin/v1/webhook-endpoints/${seg(endpointId)}/roll-secret`, body);
  }

  listWebhookEvents(merchantId: string, query: { type?: string; limit?: number }) {
    return this.request<{ events: EventView[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/webhook-events${queryString(query)}`);
  }

  resendWebhookEvent(eventId: string) {
    return this.request<{ event_id: string; deliveries: string[] }>('POST', `/admin/v1/webhook-events/${seg(eventId)}/resend`);
  }

  listWebhookDeliveries(merchantId: string, query: { endpoint_id?: string; event_id?: string; status?: string; limit?: number }) {
    return this.request<{ deliveries: DeliveryView[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/webhook-deliveries${queryString(query)}`);
  }

  showWebhookDelivery(deliveryId: string) {
    return this.request<{ delivery: DeliveryView; attempts: AttemptView[] }>('GET', `/admin/v1/webhook-deliveries/${seg(deliveryId)}`);
  }

  /** One page of audit records in seq order; next_after_seq is set when there may be more. */
  listAudit(query: { merchant_id?: string; key_id?: string; from?: string; to?: string; outcome?: string; after_seq?: number; limit?: number }) {
    return this.request<{ records: AuditRecord[]; next_after_seq: number | null }>('GET', `/admin/v1/audit${queryString(query)}`);
  }

  /** Newest first; next_to is set when there may be more (pass it as `to`). */
  listAlerts(query: { merchant_id?: string; key_id?: string; rule?: string; state?: string; from?: string; to?: string; limit?: number }) {
    return this.request<{ alerts: AlertView[]; next_to: string | null }>('GET', `/admin/v1/alerts${queryString(query)}`);
  }

  showAlert(alertId: string) {
    return this.request<{ alert: AlertView }>('GET', `/admin/v1/alerts/${seg(alertId)}`);
  }

  acknowledgeAlert(alertId: string, note?: string) {
    return this.request<{ alert: AlertView }>('POST', `/admin/v1/alerts/${seg(alertId)}/acknowledge`, note === undefined ? {} : { note });
  }

  listSigningKeys() {
    return this.request<{ signing_keys: SigningKeyView[] }>('GET', '/admin/v1/signing-keys');
  }

  /** Without an overlap the server's default (24 h) applies. */
  rotateSigningKey(overlapSeconds?: number) {
    const body = overlapSeconds === undefined ? {} : { overlap_seconds: overlapSeconds };
    return this.request<{ active: SigningKeyView; retiring: SigningKeyView[] }>('POST', '/admin/v1/signing-keys/rotate', body);
  }

  eraseMerchant(merchantId: string) {
    return this.request<{ merchant: MerchantView & { erased_at: string | null }; destroyed_data_keys: string[]; revoked_api_keys: string[] }>(
      'POST',
      `/admin/v1/merchants/${seg(merchantId)}/erase`,
      { confirm: merchantId },
    );
  }

  findCustomerOrders(merchantId: string, query: { customer_email?: string; customer_phone?: string }) {
    return this.request<{ orders: CustomerOrder[] }>('GET', `/admin/v1/merchants/${seg(merchantId)}/orders${queryString(query)}`);
  }

  kekStatus() {
    return this.request<KekStatusView>('GET', '/admin/v1/kek');
  }

  rotateKek() {
    return this.request<KekStatusView & { rewrapped: number }>('POST', '/admin/v1/kek/rotate');
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<AdminResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.#token.reveal()}`, 'user-agent': 'tijori-cli' };
    // No Content-Type without a body: Fastify refuses an empty body declared as JSON.
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(this.#baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // Never follow a redirect: it would carry the admin token to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      return { ok: false, kind: 'unreachable', message: this.#describeFailure(err) };
    }
    if (res.status >= 300 && res.status < 400) {
      return {
        ok: false,
        kind: 'unreachable',
        message: `${this.#baseUrl} answered with a redirect (HTTP ${res.status} to ${res.headers.get('location') ?? 'nowhere'}); give --url the gateway's own address.`,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, kind: 'unreachable', message: `${this.#baseUrl} answered HTTP ${res.status} with something other than JSON: is --url a Tijori gateway?` };
    }
    if (res.ok) return { ok: true, status: res.status, body: parsed as T };
    if (isFailureBody(parsed)) return { ok: false, kind: 'refused', status: res.status, body: parsed };
    return { ok: false, kind: 'unreachable', message: `${this.#baseUrl} answered HTTP ${res.status} without a Tijori error envelope: is --url a Tijori gateway?` };
  }

  #describeFailure(err: unknown): string {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    if (e.name === 'TimeoutError') return `${this.#baseUrl} did not answer within ${this.#timeoutMs / 1000} s.`;
    // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
    const code = e.cause?.code ?? e.cause?.errors?.[0]?.code;
    switch (code) {
      case 'ECONNREFUSED':
        return `nothing is listening at ${this.#baseUrl} (connection refused). Start the gateway (tijori serve) or point --url / TIJORI_URL at it.`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot resolve the host of ${this.#baseUrl} (${code}).`;
      default:
        return `cannot reach ${this.#baseUrl}: ${code ?? e.cause?.message ?? e.message ?? String(err)}.`;
    }
  }
}

function isFailureBody(value: unknown): value is AdminFailureBody {
  const v = value as Partial<AdminFailureBody> | null;
  return typeof v === 'object' && v !== null && v.status === 'failed' && typeof v.error_code === 'string' && typeof v.message === 'string';
}
