import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export interface MerchantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: Date;
}

export interface ApiKeyRow {
  id: string;
  merchantId: string;
  apiKey: string;
  mode: Mode;
  secretEnc: Uint8Array;
  status: 'active' | 'revoked';
  merchantStatus: 'active' | 'suspended';
}

export async function countMerchants(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM merchants');
  return Number(rows[0]?.n ?? 0);
}

export async function insertMerchant(db: Queryable, m: { id: string; name: string; createdAt: Date }): Promise<void> {
  await db.query('INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)', [m.id, m.name, m.createdAt]);
}

export async function insertApiKey(
  db: Queryable,
  k: { id: string; merchantId: string; apiKey: string; mode: Mode; secretEnc: Uint8Array; createdAt: Date },
): Promise<void> {
  await db.query(
    'INSERT INTO api_keys (id, merchant_id, api_key, mode, secret_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [k.id, k.merchantId, k.apiKey, k.mode, k.secretEnc, k.createdAt],
  );
}

/** The one lookup behind every authenticated request (cached by core/api-key-resolver). */
export async function findApiKey(db: Queryable, apiKey: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.query<{
    id: string;
    merchant_id: string;
    api_key: string;
    mode: Mode;
    secret_enc: Uint8Array;
    status: 'active' | 'revoked';
    merchant_status: 'active' | 'suspended';
  }>(
    `SELECT k.id, k.merchant_id, k.api_key, k.mode, k.secret_enc, k.status, m.status AS merchant_status
       FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
      WHERE k.api_key = $1`,
    [apiKey],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    merchantId: r.merchant_id,
    apiKey: r.api_key,
    mode: r.mode,
    secretEnc: r.secret_enc,
    status: r.status,
    merchantStatus: r.merchant_status,
  };
}

export async function revokeApiKey(db: Queryable, id: string, at: Date): Promise<void> {
  await db.query("UPDATE api_keys SET status = 'revoked', revoked_at = $2 WHERE id = $1", [id, at]);
}

export async function setMerchantStatus(db: Queryable, id: string, status: 'active' | 'suspended'): Promise<void> {
  await db.query('UPDATE merchants SET status = $2 WHERE id = $1', [id, status]);
}
