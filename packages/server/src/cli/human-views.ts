import type { ActivityRow, KeyView, KeyWithSecret, MerchantView } from './admin-client.js';
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
