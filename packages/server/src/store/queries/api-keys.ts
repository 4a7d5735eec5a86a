import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export type SignatureSchemeName = 'v1' | 'v2';
export type AllowlistMode = 'enforce' | 'report';

export interface ApiKeyRecord {
  id: string;
  merchantId: string;
  apiKey: string;
  mode: Mode;
  label: string | null;
  kind: 'hmac' | 'public_key';
  secretEnc: Uint8Array | null;
  publicKeyPem: string | null;
  status: 'active' | 'revoked';
  createdAt: Date;
  secretIssuedAt: Date;
  revokedAt: Date | null;
  previousSecretEnc: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
  allowedSchemes: SignatureSchemeName[];
  ipAllowlist: string[];
  ipAllowlistMode: AllowlistMode;
  rateLimitPerMinute: number | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  merchantStatus: 'active' | 'suspended';
}

const SELECT = `SELECT k.id, k.merchant_id, k.api_key, k.mode, k.label, k.kind, k.secret_enc, k.public_key_pem, k.status,
    k.created_at, k.secret_issued_at, k.revoked_at, k.previous_secret_enc, k.previous_secret_expires_at,
    k.allowed_schemes, k.ip_allowlist, k.ip_allowlist_mode, k.rate_limit_per_minute, k.last_used_at, k.last_used_ip,
    m.status AS merchant_status
  FROM api_keys k JOIN merchants m ON m.id = k.merchant_id`;

type Raw = Record<string, unknown>;

/** jsonb arrives parsed from both drivers; a string would mean a driver change, so parse defensively. */
function jsonArray(value: unknown): string[] {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return Array.isArray(v) ? v.map(String) : [];
}

function toRecord(r: Raw): ApiKeyRecord {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    apiKey: r.api_key as string,
    mode: r.mode as Mode,
    label: (r.label as string | null) ?? null,
    kind: r.kind as 'hmac' | 'public_key',
    secretEnc: (r.secret_enc as Uint8Array | null) ?? null,
    publicKeyPem: (r.public_key_pem as string | null) ?? null,
    status: r.status as 'active' | 'revoked',
    createdAt: r.created_at as Date,
    secretIssuedAt: (r.secret_issued_at as Date | null) ?? (r.created_at as Date),
    revokedAt: (r.revoked_at as Date | null) ?? null,
    previousSecretEnc: (r.previous_secret_enc as Uint8Array | null) ?? null,
    previousSecretExpiresAt: (r.previous_secret_expires_at as Date | null) ?? null,
    allowedSchemes: jsonArray(r.allowed_schemes) as SignatureSchemeName[],
    ipAllowlist: jsonArray(r.ip_allowlist),
    ipAllowlistMode: r.ip_allowlist_mode as AllowlistMode,
    rateLimitPerMinute: r.rate_limit_per_minute === null || r.rate_limit_per_minute === undefined ? null : Number(r.rate_limit_per_minute),
    lastUsedAt: (r.last_used_at as Date | null) ?? null,
    lastUsedIp: (r.last_used_ip as string | null) ?? null,
    merchantStatus: r.merchant_status as 'active' | 'suspended',
  };
}

export type NewApiKey = Pick<ApiKeyRecord, 'id' | 'merchantId' | 'apiKey' | 'mode' | 'label' | 'kind' | 'secretEnc' | 'publicKeyPem' | 'createdAt'>;

export async function insertApiKey(db: Queryable, k: NewApiKey): Promise<void> {
  await db.query(
    `INSERT INTO api_keys (id, merchant_id, api_key, mode, label, kind, secret_enc, public_key_pem, created_at, secret_issued_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
    [k.id, k.merchantId, k.apiKey, k.mode, k.label, k.kind, k.secretEnc, k.publicKeyPem, k.createdAt],
  );
}

/** By the public API key (pk_...) or the record id (key_...). */
export async function findApiKey(db: Queryable, ref: string): Promise<ApiKeyRecord | undefined> {
  const column = ref.startsWith('key_') ? 'k.id' : 'k.api_key';
  const rows = await db.query<Raw>(`${SELECT} WHERE ${column} = $1`, [ref]);
  return rows[0] && toRecord(rows[0]);
}

export async function listApiKeys(db: Queryable, merchantId: string): Promise<ApiKeyRecord[]> {
  const rows = await db.query<Raw>(`${SELECT} WHERE k.merchant_id = $1 ORDER BY k.created_at, k.id`, [merchantId]);
  return rows.map(toRecord);
}

/** Active keys whose current secret was issued before `cutoff`: due for rotation. */
export async function listKeysIssuedBefore(db: Queryable, cutoff: Date): Promise<ApiKeyRecord[]> {
  const rows = await db.query<Raw>(`${SELECT} WHERE k.status = 'active' AND k.secret_issued_at < $1 ORDER BY k.secret_issued_at`, [cutoff]);
  return rows.map(toRecord);
}

export async function rollApiKeySecret(
  db: Queryable,
  id: string,
  roll: { secretEnc: Uint8Array; previousSecretEnc: Uint8Array | null; previousExpiresAt: Date | null; issuedAt: Date },
): Promise<void> {
  await db.query(
    `UPDATE api_keys SET secret_enc = $2, previous_secret_enc = $3, previous_secret_expires_at = $4, secret_issued_at = $5
      WHERE id = $1`,
    [id, roll.secretEnc, roll.previousSecretEnc, roll.previousExpiresAt, roll.issuedAt],
  );
}

export async function revokeApiKey(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("UPDATE api_keys SET status = 'revoked', revoked_at = $2 WHERE id = $1", [id, at]);
}

export async function setIpAllowlist(db: Queryable, id: string, entries: readonly string[], mode: AllowlistMode): Promise<void> {
  await db.query('UPDATE api_keys SET ip_allowlist = $2::jsonb, ip_allowlist_mode = $3 WHERE id = $1', [id, JSON.stringify(entries), mode]);
}

export async function setAllowedSchemes(db: Queryable, id: string, schemes: readonly SignatureSchemeName[]): Promise<void> {
  await db.query('UPDATE api_keys SET allowed_schemes = $2::jsonb WHERE id = $1', [id, JSON.stringify(schemes)]);
}

export async function setRateLimit(db: Queryable, id: string, perMinute: number | null): Promise<void> {
  await db.query('UPDATE api_keys SET rate_limit_per_minute = $2 WHERE id = $1', [id, perMinute]);
}

export const KEY_CHANGES_CHANNEL = 'tijori_key_changes';

/** Tells every process sharing the database to drop its cached copy of this key; delivered when the transaction commits. */
export async function notifyKeyChanged(db: Queryable, apiKey: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [KEY_CHANGES_CHANNEL, apiKey]);
}
