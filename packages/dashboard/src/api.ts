/**
 * The dashboard's one client for the gateway's /dashboard/api/ (written by
 * packages/server/src/http/dashboard/). Every call is same-origin with the
 * session cookie; every state-changing call carries the CSRF token in
 * X-CSRF-Token (the browser adds Origin itself). Failures are values:
 * `{ ok: false, error }`, never thrown, so each screen decides what to say.
 *
 * Written against packages/server/src/http/dashboard/dashboard-api.ts: the
 * server's JSON (snake_case) is mapped here to the shapes the screens use,
 * so a change of wire format touches this file alone. The CSRF token is the
 * session's: every reply that rotates the session (sign-in steps, 2FA
 * confirmation, re-authentication) carries the new one, and GET /me does.
 */
const API = '/dashboard/api';

export interface ApiError {
  status: number;
  /** The server's stable error code, or 'network_error' when no reply came. */
  code: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type Mode = 'sandbox' | 'live';

export type Stage = 'full' | 'totp' | 'enrol';

export interface Me {
  /** 'full': signed in; 'totp': password accepted, code awaited; 'enrol': the merchant requires 2FA first. */
  stage: Stage;
  user: { id: string; email: string; role: string; totpEnabled: boolean };
  merchant: { id: string; name: string; requireTwoFactor: boolean };
  sessionId: string;
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  /** An image URL for the QR code (a data: URL), when the server sends one. */
  qrImage: string | undefined;
}

export interface SessionInfo {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  clientIp: string;
  userAgent: string;
}

let csrfToken: string | undefined;
let onSessionEnded: (() => void) | undefined;

/** Called when a signed-in call finds the session gone (expired, revoked from another browser, signed out elsewhere). */
export function whenSessionEnds(listener: () => void): void {
  onSessionEnded = listener;
}

async function call<T>(method: string, path: string, body?: unknown, map?: (json: any) => T): Promise<Result<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, error: { status: 0, code: 'network_error', message: 'The gateway could not be reached. Check your connection and try again.' } };
  }
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    // GET /me answering this is how the page learns nobody is signed in; anywhere else it means the session just ended.
    if (json?.error_code === 'dashboard_sign_in_required' && path !== '/me') {
      csrfToken = undefined;
      onSessionEnded?.();
    }
    return {
      ok: false,
      error: {
        status: res.status,
        code: String(json?.error_code ?? json?.code ?? `http_${res.status}`),
        message: String(json?.message ?? json?.error ?? `The gateway answered ${res.status}.`),
      },
    };
  }
  if (json && typeof json.csrf_token === 'string') csrfToken = json.csrf_token;
  return { ok: true, value: map ? map(json) : (json as T) };
}

function toMe(json: any): Me {
  const totpEnabled = Boolean(json.user?.two_factor_enabled);
  const requireTwoFactor = Boolean(json.merchant?.require_two_factor);
  let stage: Stage = json.session?.stage ?? 'full';
  // As the server's access gate counts it: a merchant that starts requiring 2FA sends its users without it to enrol at once.
  if (stage === 'full' && requireTwoFactor && !totpEnabled) stage = 'enrol';
  return {
    stage,
    user: { id: json.user?.id, email: json.user?.email, role: json.user?.role, totpEnabled },
    merchant: { id: json.merchant?.id, name: json.merchant?.name, requireTwoFactor },
    sessionId: json.session?.id,
  };
}

const toStage = (json: any): Stage => json?.stage ?? 'full';

const accountApi = {
  /** The signed-in user, merchant and session (any stage); 401 dashboard_sign_in_required when there is none. */
  me: () => call('GET', '/me', undefined, toMe),
  /** A new merchant (sandbox) and its owner, signed in: a full session. */
  signUp: (input: { email: string; password: string; merchantName: string }) =>
    call('POST', '/sign-up', { email: input.email, password: input.password, merchant_name: input.merchantName }, toStage),
  /** The password step: stage 'totp' when the account has 2FA, 'enrol' when the merchant requires it and the user has none. */
  signIn: (input: { email: string; password: string }) => call('POST', '/sign-in', input, toStage),
  /** The second step: a TOTP code or a recovery code. */
  signInCode: (code: string) => call('POST', '/sign-in/totp', { code }, toStage),
  /** Opens sensitive actions for five minutes (the server rotates the session). */
  reauthenticate: (proof: { password: string } | { code: string }) => call('POST', '/reauth', proof, () => undefined),
  signOut: async () => {
    const result = await call('POST', '/sign-out', {}, () => undefined);
    csrfToken = undefined;
    return result;
  },
  enrolTotp: () =>
    call('POST', '/2fa/enrol', {}, (json): Enrolment => ({
      secret: json.secret,
      otpauthUri: json.otpauth_uri,
      // Only a data: image is shown: the page's policy allows no other image source but its own origin.
      qrImage: typeof json.qr_code === 'string' && json.qr_code.startsWith('data:image/') ? json.qr_code : undefined,
    })),
  /** Turns 2FA on with a first code; the reply's recovery codes are shown once. */
  confirmTotp: (code: string) => call('POST', '/2fa/confirm', { code }, (json): string[] => json.recovery_codes ?? []),
  sessions: () =>
    call('GET', '/sessions', undefined, (json): SessionInfo[] =>
      (json.sessions ?? []).map((s: any) => ({ id: s.id, current: Boolean(s.current), createdAt: s.created_at, lastSeenAt: s.last_seen_at, clientIp: s.client_ip, userAgent: s.user_agent })),
    ),
  revokeSession: (id: string) => call('DELETE', `/sessions/${encodeURIComponent(id)}`, undefined, () => undefined),
};

export type Role = 'owner' | 'developer' | 'viewer';

export const ROLES: readonly Role[] = ['owner', 'developer', 'viewer'];

export interface TeamUser {
  id: string;
  email: string;
  role: Role;
  totpEnabled: boolean;
  createdAt: string;
}

function toUser(u: any): TeamUser {
  return { id: u.id, email: u.email, role: u.role, totpEnabled: Boolean(u.two_factor_enabled), createdAt: u.created_at };
}

/** The merchant's users (owners add them and change roles) and each user's own password and 2FA. */
const teamApi = {
  users: () => call('GET', '/users', undefined, (json): TeamUser[] => (json.users ?? []).map(toUser)),
  /** Owner only; the reply's initial password is shown once, for the owner to pass on. */
  addUser: (input: { email: string; role: Role }) => call('POST', '/users', input, (json) => ({ user: toUser(json.user), initialPassword: String(json.initial_password) })),
  /** Owner only; the merchant always keeps an owner (last_owner). */
  changeRole: (id: string, role: Role) => call('PATCH', `/users/${encodeURIComponent(id)}`, { role }, (json): TeamUser => toUser(json.user)),
  /** Owner only, re-auth. */
  setRequireTwoFactor: (required: boolean) => call('PUT', '/merchant/require-2fa', { required }, (json): boolean => Boolean(json.require_two_factor)),
  /** Rotates the session (the reply's CSRF token is kept) and ends the user's other sessions. */
  changePassword: (input: { currentPassword: string; newPassword: string }) =>
    call('POST', '/password', { current_password: input.currentPassword, new_password: input.newPassword }, () => undefined),
  /** Re-auth; refused while the merchant requires 2FA (two_factor_required_by_merchant). */
  disableTotp: () => call('POST', '/2fa/disable', {}, () => undefined),
};

// ---- Integration API (packages/server/src/http/dashboard/dashboard-*.ts) ----

export interface ApiKeyInfo {
  id: string;
  apiKey: string;
  mode: Mode;
  label: string | null;
  kind: string;
  status: string;
  createdAt: string;
  secretIssuedAt: string;
  secretAgeDays: number | undefined;
  rotationDue: boolean;
  /** The rolled-away secret still verifies until then (null: no overlap left). */
  previousValidUntil: string | null;
  allowedSchemes: string[];
  ipAllowlist: string[];
  ipAllowlistMode: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
}

/** A secret in a create or roll reply: shown once by the screen, never stored by the page. */
export interface IssuedSecret {
  apiKey: string;
  secretKey: string;
  rolled: boolean;
  previousValidUntil: string | undefined;
}

function toKey(k: any): ApiKeyInfo {
  return {
    id: k.id,
    apiKey: k.api_key,
    mode: k.mode === 'live' ? 'live' : 'sandbox',
    label: k.label ?? null,
    kind: k.kind,
    status: k.status,
    createdAt: k.created_at,
    secretIssuedAt: k.secret_issued_at,
    secretAgeDays: typeof k.secret_age_days === 'number' ? k.secret_age_days : undefined,
    rotationDue: Boolean(k.rotation_due),
    previousValidUntil: k.previous_secret_valid_until ?? null,
    allowedSchemes: k.allowed_schemes ?? [],
    ipAllowlist: k.ip_allowlist ?? [],
    ipAllowlistMode: k.ip_allowlist_mode ?? 'enforce',
    lastUsedAt: k.last_used_at ?? null,
    lastUsedIp: k.last_used_ip ?? null,
  };
}

const q = (params: Record<string, string | undefined>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
};
const seg = encodeURIComponent;

export const keysApi = {
  keys: (mode: Mode) => call('GET', `/keys${q({ mode })}`, undefined, (json): ApiKeyInfo[] => (json.keys ?? []).map(toKey)),
  /** A live key needs a recent re-authentication (reauthentication_required otherwise). */
  createKey: (input: { mode: Mode; label: string | undefined }) =>
    call('POST', '/keys', input.label ? { mode: input.mode, label: input.label } : { mode: input.mode }, (json): IssuedSecret => ({
      apiKey: json.key.api_key,
      secretKey: json.key.secret_key,
      rolled: false,
      previousValidUntil: undefined,
    })),
  rollKey: (id: string, overlapSeconds: number) =>
    call('POST', `/keys/${seg(id)}/roll`, { overlap_seconds: overlapSeconds }, (json): IssuedSecret => ({
      apiKey: json.key.api_key,
      secretKey: json.key.secret_key,
      rolled: true,
      // An overlap of 0 ends the old secret now: nothing to say about it.
      previousValidUntil: overlapSeconds > 0 ? json.previous_secret_valid_until : undefined,
    })),
  revokeKey: (id: string) => call('POST', `/keys/${seg(id)}/revoke`, {}, (json): ApiKeyInfo => toKey(json.key)),
  setKeyAllowedIps: (id: string, entries: string[], mode: 'enforce' | 'report' = 'enforce') =>
    call('PUT', `/keys/${seg(id)}/ip-allowlist`, { entries, mode }, (json): ApiKeyInfo => toKey(json.key)),
  setKeySchemes: (id: string, schemes: string[]) => call('PUT', `/keys/${seg(id)}/schemes`, { schemes }, (json): ApiKeyInfo => toKey(json.key)),
};

/** The events an endpoint can subscribe to (the server's SUBSCRIBABLE_EVENT_TYPES; no route lists them). */
export const WEBHOOK_EVENT_TYPES = ['payment.processing', 'payment.success', 'payment.failed', 'payment.expired', 'security.alert'] as const;

export interface WebhookEndpoint {
  id: string;
  mode: Mode;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
  /** Secrets that verify now: more than one during a roll's overlap. */
  secretCount: number;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  orderId: string | null;
  endpointId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface DeliveryAttempt {
  id: string;
  attempt: number;
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number | null;
  responseBody: string | null;
}

function toEndpoint(e: any): WebhookEndpoint {
  return {
    id: e.id,
    mode: e.mode === 'live' ? 'live' : 'sandbox',
    url: e.url,
    events: e.events ?? [],
    description: e.description ?? null,
    enabled: Boolean(e.enabled),
    disabledReason: e.disabled_reason ?? null,
    failingSince: e.failing_since ?? null,
    createdAt: e.created_at,
    secretCount: Array.isArray(e.secrets) ? e.secrets.length : 0,
  };
}

function toDelivery(d: any): Delivery {
  return {
    id: d.id,
    eventId: d.event_id,
    eventType: d.event_type,
    orderId: d.gateway_order_id ?? null,
    endpointId: d.endpoint_id,
    status: d.status,
    attempts: d.attempts ?? 0,
    nextAttemptAt: d.next_attempt_at ?? null,
    lastStatusCode: d.last_status_code ?? null,
    lastError: d.last_error ?? null,
    deliveredAt: d.delivered_at ?? null,
    createdAt: d.created_at,
  };
}

function toAttempt(a: any): DeliveryAttempt {
  return { id: a.id, attempt: a.attempt, attemptedAt: a.attempted_at, statusCode: a.status_code ?? null, error: a.error ?? null, latencyMs: a.latency_ms ?? null, responseBody: a.response_body ?? null };
}

export const webhooksApi = {
  webhookEndpoints: (mode: Mode) => call('GET', `/webhooks/endpoints${q({ mode })}`, undefined, (json): WebhookEndpoint[] => (json.endpoints ?? []).map(toEndpoint)),
  /** Needs a recent re-authentication; the reply's secret is shown once. No `events`: every event. */
  createWebhookEndpoint: (input: { mode: Mode; url: string; events: string[]; description: string | undefined }) =>
    call(
      'POST',
      '/webhooks/endpoints',
      { mode: input.mode, url: input.url, ...(input.events.length ? { events: input.events } : {}), ...(input.description ? { description: input.description } : {}) },
      (json) => ({ endpoint: toEndpoint(json.endpoint), secret: String(json.secret) }),
    ),
  setWebhookEnabled: (id: string, enabled: boolean) => call('PUT', `/webhooks/endpoints/${seg(id)}`, { enabled }, (json) => toEndpoint(json.endpoint)),
  rollWebhookSecret: (id: string) =>
    call('POST', `/webhooks/endpoints/${seg(id)}/roll-secret`, {}, (json) => ({ secret: String(json.secret), previousValidUntil: json.previous_secret_valid_until as string | undefined })),
  /** Sandbox only: a real 1.00 INR sandbox order, paid, so the endpoint gets a genuine payment.success. */
  sendTestEvent: (id: string) => call('POST', `/webhooks/endpoints/${seg(id)}/test`, {}, (json) => ({ eventId: json.event_id as string, deliveryId: (json.delivery_id ?? null) as string | null })),
  webhookDeliveries: (mode: Mode, endpointId: string) =>
    call('GET', `/webhooks/deliveries${q({ mode, endpoint_id: endpointId })}`, undefined, (json): Delivery[] => (json.deliveries ?? []).map(toDelivery)),
  deliveryAttempts: (id: string) => call('GET', `/webhooks/deliveries/${seg(id)}`, undefined, (json): DeliveryAttempt[] => (json.attempts ?? []).map(toAttempt)),
  /** A new run of attempts for the delivery's event, to every enabled endpoint subscribed to it. */
  resendDelivery: (id: string) => call('POST', `/webhooks/deliveries/${seg(id)}/resend`, {}, () => undefined),
};

export interface OrderSummary {
  gatewayOrderId: string;
  /** The merchant's own order_id. */
  orderId: string;
  amount: string;
  currency: string;
  status: string;
  note: string | null;
  createdAt: string;
  expiresAt: string;
}

export interface PaymentAttempt {
  id: string;
  method: string;
  status: string;
  bankReference: string | null;
  startedAt: string;
  completedAt: string | null;
}

export interface OrderDetail extends OrderSummary {
  payments: PaymentAttempt[];
}

function toOrder(o: any): OrderSummary {
  return {
    gatewayOrderId: o.gateway_order_id,
    orderId: String(o.order_id),
    amount: o.order_amount,
    currency: o.order_currency,
    status: o.order_status,
    note: o.order_note ?? null,
    createdAt: o.created_at,
    expiresAt: o.expires_at,
  };
}

function toPayment(p: any): PaymentAttempt {
  return { id: p.payment_id, method: p.payment_method, status: p.payment_status, bankReference: p.bank_reference ?? null, startedAt: p.started_at, completedAt: p.completed_at ?? null };
}

/** Tijori's own order ids; anything else typed in the search box is the merchant's order_id. */
export const GATEWAY_ORDER_ID = /^ord_[0-9a-f]{24}$/;

export const ordersApi = {
  /** Newest first; `orderId` is the merchant's own order_id, matched exactly. */
  orders: (filter: { mode: Mode; orderId: string | undefined; status: string | undefined }) =>
    call('GET', `/orders${q({ mode: filter.mode, order_id: filter.orderId, status: filter.status })}`, undefined, (json): OrderSummary[] => (json.orders ?? []).map(toOrder)),
  order: (gatewayOrderId: string) =>
    call('GET', `/orders/${seg(gatewayOrderId)}`, undefined, (json): OrderDetail => ({ ...toOrder(json.order), payments: (json.payment_attempts ?? []).map(toPayment) })),
};

export interface AuditRecord {
  seq: number;
  at: string;
  requestId: string;
  keyId: string | null;
  clientIp: string;
  method: string;
  path: string;
  status: number;
  errorCode: string | null;
  latencyMs: number;
}

export interface AuditFilter {
  keyId?: string | undefined;
  /** ISO date-times: from inclusive, to exclusive. */
  from?: string | undefined;
  to?: string | undefined;
  outcome?: string | undefined;
}

export interface SecurityAlert {
  id: string;
  rule: string;
  severity: string;
  keyId: string | null;
  clientIp: string | null;
  summary: string;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedNote: string | null;
}

function toAudit(r: any): AuditRecord {
  return { seq: r.seq, at: r.at, requestId: r.request_id, keyId: r.key_id ?? null, clientIp: r.client_ip, method: r.method, path: r.path, status: r.status, errorCode: r.error_code ?? null, latencyMs: r.latency_ms };
}

function toAlert(a: any): SecurityAlert {
  return {
    id: a.alert_id,
    rule: a.rule,
    severity: a.severity,
    keyId: a.key_id ?? null,
    clientIp: a.client_ip ?? null,
    summary: a.summary,
    occurrences: a.occurrences ?? 1,
    firstSeenAt: a.first_seen_at,
    lastSeenAt: a.last_seen_at,
    acknowledgedAt: a.acknowledged_at ?? null,
    acknowledgedNote: a.acknowledged_note ?? null,
  };
}

const auditQuery = (f: AuditFilter) => ({ key_id: f.keyId, from: f.from, to: f.to, outcome: f.outcome });

export const activityApi = {
  /** In the log's order (seq ascending); `nextAfterSeq` pages on. Merchant-wide: the log has no mode. */
  audit: (filter: AuditFilter, afterSeq?: number) =>
    call('GET', `/audit${q({ ...auditQuery(filter), after_seq: afterSeq === undefined ? undefined : String(afterSeq), limit: '100' })}`, undefined, (json) => ({
      records: (json.records ?? []).map(toAudit) as AuditRecord[],
      nextAfterSeq: (json.next_after_seq ?? null) as number | null,
    })),
  /** A same-origin link: the browser downloads the JSON lines with the session cookie (a GET needs no CSRF token). */
  auditExportUrl: (filter: AuditFilter) => `${API}/audit/export${q(auditQuery(filter))}`,
  alerts: (mode: Mode, state: 'open' | 'acknowledged' | undefined, limit = 100) =>
    call('GET', `/alerts${q({ mode, state, limit: String(limit) })}`, undefined, (json): SecurityAlert[] => (json.alerts ?? []).map(toAlert)),
  acknowledgeAlert: (id: string, note: string | undefined) => call('POST', `/alerts/${seg(id)}/acknowledge`, note ? { note } : {}, (json): SecurityAlert => toAlert(json.alert)),
};

/** What the gateway signed, or would have: the exact string, to compare with what the client signed. */
export interface SignedString {
  scheme: string;
  signed: string;
}

export interface SignatureExplanation {
  apiKey: string;
  mode: Mode;
  ok: boolean;
  scheme: string | null;
  /** 'raw' (the bytes sent) or 'canonical' (canonical JSON of the body), when it verified. */
  form: string | null;
  code: string | null;
  message: string | null;
  notes: string[];
  covers: SignedString | null;
  expected: SignedString[];
  /** Sandbox keys only: the signatures the gateway expected (never for a live key: that would be a signing oracle). */
  expectedSignatures: { scheme: string; signature: string }[] | null;
}

export interface SignatureQuestion {
  apiKey: string;
  signature: string;
  timestamp: string;
  /** Absent: both schemes are tried. */
  scheme: 'v1' | 'v2' | undefined;
  method: string;
  /** Path and query as sent; needed to check v2. */
  path: string | undefined;
  body: string;
}

export const toolsApi = {
  /** The signature debugger (the CLI's `tijori verify`): the server uses the key's own secret; the reply holds none. */
  explainSignature: (input: SignatureQuestion) =>
    call(
      'POST',
      '/tools/explain-signature',
      {
        api_key: input.apiKey,
        signature: input.signature,
        timestamp: input.timestamp,
        body: input.body,
        method: input.method,
        ...(input.scheme ? { scheme: input.scheme } : {}),
        ...(input.path ? { path: input.path } : {}),
      },
      (json): SignatureExplanation => ({
        apiKey: json.api_key,
        mode: json.mode === 'live' ? 'live' : 'sandbox',
        ok: Boolean(json.verdict?.ok),
        scheme: json.verdict?.scheme ?? null,
        form: json.verdict?.form ?? null,
        code: json.verdict?.code ?? null,
        message: json.verdict?.message ?? null,
        notes: json.verdict?.notes ?? [],
        covers: json.verdict?.covers ?? null,
        expected: json.verdict?.expected ?? [],
        expectedSignatures: json.expected_signatures ?? null,
      }),
    ),
};

/** Every call the screens make. */
export const api = { ...accountApi, ...teamApi, ...keysApi, ...webhooksApi, ...ordersApi, ...activityApi, ...toolsApi };
