import type { ActivityRow, AlertView, AttemptView, CustomerOrder, KekStatusView, DeliveryView, EndpointView, EventView, KeyView, KeyWithSecret, MerchantView, SigningKeyView } from './admin-client.js';
import { type Cell, renderFields, renderTable } from './table.js';

/** The readable (non --json) renderings of the admin API's objects. */

export const SECRET_WARNING = 'Store this secret now: it is shown only once.';

export function merchantsTable(merchants: readonly MerchantView[]): string {
  if (merchants.length === 0) return 'No merchants yet. Create one with: tijori merchant create --name <name>\n';
  return renderTable(['ID', 'NAME', 'STATUS', 'CREATED'], merchants.map((m) => [m.id, m.name, m.status, m.created_at]));
}

export function merchantFields(m: MerchantView): string {
  return renderFields([
    ['Merchant', m.id],
    ['Name', m.name],
    ['Status', m.status],
    ['Created', m.created_at],
  ]);
}

export function keysTable(keys: readonly KeyView[]): string {
  if (keys.length === 0) return 'No keys.\n';
  return renderTable(
    ['API KEY', 'MODE', 'STATUS', 'LABEL', 'SECRET AGE', 'ROTATION', 'LAST USED'],
    keys.map((k) => [k.api_key, k.mode, k.status, k.label, `${k.secret_age_days}d`, k.rotation_due ? 'due' : 'ok', k.last_used_at ?? 'never']),
  );
}

export function keyFields(k: KeyView): string {
  const rows: [string, Cell][] = [
    ['API key', k.api_key],
    ['Key id', k.id],
    ['Merchant', k.merchant_id],
    ['Mode', k.mode],
    ['Label', k.label],
    ['Kind', k.kind],
    ['Status', k.status],
    ['Created', k.created_at],
    ['Secret issued', `${k.secret_issued_at} (${k.secret_age_days} days old${k.rotation_due ? ', rotation due' : ''})`],
    ['Previous secret', k.previous_secret_valid_until ? `valid until ${k.previous_secret_valid_until}` : 'none'],
    ['Schemes', k.allowed_schemes.join(', ')],
    ['IP allowlist', allowlistText(k)],
    ['Rate limit', `${k.rate_limit_per_minute}/min${k.rate_limit_is_default ? ' (default)' : ''}`],
    ['Last used', k.last_used_at ? `${k.last_used_at}${k.last_used_ip ? ` from ${k.last_used_ip}` : ''}` : 'never'],
  ];
  if (k.revoked_at) rows.push(['Revoked', k.revoked_at]);
  return renderFields(rows);
}

export function allowlistText(k: Pick<KeyView, 'ip_allowlist' | 'ip_allowlist_mode'>): string {
  if (k.ip_allowlist.length === 0) return 'any address (no allowlist)';
  return `${k.ip_allowlist.join(', ')} (${k.ip_allowlist_mode === 'report' ? 'report only: others are let through and recorded' : 'enforced'})`;
}

/** A key fresh from create or roll: the one time its secret is printed. */
export function newSecretFields(k: KeyWithSecret, extra: readonly (readonly [string, Cell])[] = []): string {
  return (
    renderFields([
      ['API key', k.api_key],
      ['Key id', k.id],
      ['Merchant', k.merchant_id],
      ['Mode', k.mode],
      ...(k.label ? [['Label', k.label] as const] : []),
      ['Secret', k.secret_key],
      ...extra,
    ]) + `\n${SECRET_WARNING}\n`
  );
}

export function activityTable(rows: readonly ActivityRow[]): string {
  if (rows.length === 0) return 'No API activity recorded yet.\n';
  return renderTable(
    ['KEY', 'IP', 'REQUESTS', 'REFUSED', 'OUTSIDE ALLOWLIST', 'LAST SEEN'],
    rows.map((r) => [r.api_key, r.ip, r.requests, r.refused, r.outside_allowlist, r.last_seen_at]),
  );
}

export function endpointsTable(endpoints: readonly EndpointView[]): string {
  if (endpoints.length === 0) return 'No webhook endpoints. Add one with: tijori webhook create <merchant_id> <url>\n';
  return renderTable(
    ['ENDPOINT', 'MODE', 'URL', 'EVENTS', 'STATE'],
    endpoints.map((e) => [e.id, e.mode, e.url, e.events.join(','), endpointState(e)]),
  );
}

function endpointState(e: EndpointView): string {
  if (!e.enabled) return `disabled (${e.disabled_reason ?? 'operator'})`;
  return e.failing_since ? `failing since ${e.failing_since}` : 'enabled';
}

export function endpointFields(e: EndpointView, secret?: string): string {
  const rows: [string, Cell][] = [
    ['Endpoint', e.id],
    ['Merchant', e.merchant_id],
    ['Mode', e.mode],
    ['URL', e.url],
    ['Events', e.events.join(', ')],
    ['Description', e.description],
    ['State', endpointState(e)],
    ['Secrets in force', e.secrets.map((s) => (s.expires_at ? `${s.id} until ${s.expires_at}` : s.id)).join(', ')],
    ['Created', e.created_at],
  ];
  if (secret !== undefined) rows.push(['Secret', secret]);
  return renderFields(rows) + (secret !== undefined ? `\n${SECRET_WARNING}\n` : '');
}

export function eventsTable(events: readonly EventView[]): string {
  if (events.length === 0) return 'No events.\n';
  return renderTable(['EVENT', 'TYPE', 'MODE', 'ORDER', 'CREATED'], events.map((e) => [e.id, e.type, e.mode, e.order_id, e.created_at]));
}

export function deliveriesTable(deliveries: readonly DeliveryView[]): string {
  if (deliveries.length === 0) return 'No deliveries.\n';
  return renderTable(
    ['DELIVERY', 'EVENT', 'TYPE', 'ENDPOINT', 'STATUS', 'ATTEMPTS', 'LAST', 'NEXT'],
    deliveries.map((d) => [d.id, d.event_id, d.event_type, d.endpoint_id, d.status, String(d.attempts), d.last_status_code === null ? d.last_error : String(d.last_status_code), d.next_attempt_at]),
  );
}

export function attemptsTable(attempts: readonly AttemptView[]): string {
  if (attempts.length === 0) return 'No attempts yet.\n';
  return renderTable(
    ['#', 'AT', 'RESULT', 'LATENCY', 'REPLY'],
    attempts.map((a) => [String(a.attempt), a.attempted_at, a.status_code === null ? a.error : String(a.status_code), `${a.latency_ms} ms`, (a.response_body ?? '').slice(0, 60).replace(/\s+/g, ' ')]),
  );
}

export function signingKeysTable(keys: readonly SigningKeyView[]): string {
  if (keys.length === 0) return 'No signing keys yet: the gateway creates one when it starts.\n';
  return renderTable(
    ['KEY ID', 'STATUS', 'CREATED', 'RETIRES'],
    keys.map((k) => [k.kid, k.status === 'published' ? 'published (replaced)' : k.status, k.created_at, k.retires_at ?? '']),
  );
}

export function customerOrdersTable(orders: readonly CustomerOrder[]): string {
  if (orders.length === 0) return 'No orders for that customer.\n';
  return renderTable(['ORDER', 'GATEWAY ID', 'MODE', 'STATUS', 'AMOUNT', 'CREATED'], orders.map((o) => [String(o.order_id), o.gateway_order_id, o.mode, o.order_status, `${o.order_currency} ${o.order_amount}`, o.created_at]));
}

export function kekStatusText(s: KekStatusView): string {
  const table = renderTable(['KEK', 'DATA KEYS', ''], s.data_keys_by_kek.map((k) => [k.kek_id, String(k.data_keys), k.kek_id === s.current_kek ? 'current' : 'to rewrap']));
  return `Current KEK: ${s.current_kek}\nAvailable here: ${s.available_keks.join(', ')}\n\n${table}`;
}

export function alertsTable(alerts: readonly AlertView[]): string {
  if (alerts.length === 0) return 'No alerts.\n';
  return renderTable(
    ['ALERT', 'FIRST SEEN', 'RULE', 'SEVERITY', 'MERCHANT', 'MODE', 'ADDRESS', 'TIMES', 'STATE'],
    alerts.map((a) => [a.alert_id, a.first_seen_at, a.rule, a.severity, a.merchant_id, a.mode, a.client_ip ?? '', String(a.occurrences), a.acknowledged_at ? 'acknowledged' : 'open']),
  );
}

export function alertFields(a: AlertView): string {
  return renderFields([
    ['Alert', a.alert_id],
    ['Rule', a.rule],
    ['Severity', a.severity],
    ['Summary', a.summary],
    ['Merchant', a.merchant_id],
    ['Mode', a.mode],
    ['Key', a.key_id ?? ''],
    ['Address', a.client_ip ?? ''],
    ['Occurrences', String(a.occurrences)],
    ['First seen', a.first_seen_at],
    ['Last seen', a.last_seen_at],
    ['Acknowledged', a.acknowledged_at ? `${a.acknowledged_at}${a.acknowledged_note ? ` (${a.acknowledged_note})` : ''}` : 'no'],
    ['Details', JSON.stringify(a.details)],
  ]);
}
