import { parsePublicKey } from '@tijori/signing';
import type { ApiKeyRecord } from '../../store/queries/api-keys.js';
import type { UsageRow } from '../../store/queries/api-key-usage.js';
import type { MerchantRow } from '../../store/queries/merchants.js';

/** The admin API's JSON shapes. Stable: the CLI's --json output is these objects. Secrets appear only in create/roll replies. */

export interface KeyPolicyDefaults {
  rateLimitPerMinute: number;
  rotationWarningDays: number;
  nowMs: number;
}

export function merchantView(m: MerchantRow) {
  return { id: m.id, name: m.name, status: m.status, created_at: m.createdAt.toISOString() };
}

const DAY_MS = 86_400_000;

export function keyView(k: ApiKeyRecord, defaults: KeyPolicyDefaults) {
  const ageDays = Math.floor((defaults.nowMs - k.secretIssuedAt.getTime()) / DAY_MS);
  const previousValid = k.previousSecretExpiresAt && k.previousSecretExpiresAt.getTime() > defaults.nowMs ? k.previousSecretExpiresAt.toISOString() : null;
  return {
    id: k.id,
    api_key: k.apiKey,
    merchant_id: k.merchantId,
    mode: k.mode === 'test' ? 'sandbox' : 'live',
    label: k.label,
    kind: k.kind,
    public_key_fingerprint: k.publicKeyPem ? fingerprint(k.publicKeyPem) : null,
    status: k.status,
    created_at: k.createdAt.toISOString(),
    secret_issued_at: k.secretIssuedAt.toISOString(),
    secret_age_days: ageDays,
    rotation_due: k.status === 'active' && ageDays >= defaults.rotationWarningDays,
    previous_secret_valid_until: previousValid,
    allowed_schemes: k.allowedSchemes,
    ip_allowlist: k.ipAllowlist,
    ip_allowlist_mode: k.ipAllowlistMode,
    rate_limit_per_minute: k.rateLimitPerMinute ?? defaults.rateLimitPerMinute,
    rate_limit_is_default: k.rateLimitPerMinute === null,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    last_used_ip: k.lastUsedIp,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}

export function usageView(u: UsageRow) {
  return {
    key_id: u.keyId,
    api_key: u.apiKey,
    ip: u.ip,
    first_seen_at: u.firstSeenAt.toISOString(),
    last_seen_at: u.lastSeenAt.toISOString(),
    requests: u.requests,
    refused: u.refused,
    outside_allowlist: u.outsideAllowlist,
  };
}

function fingerprint(pem: string): string | null {
  const parsed = parsePublicKey(pem);
  return parsed.ok ? parsed.fingerprint : null;
}
