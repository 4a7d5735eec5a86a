import type { Queryable } from '../db.js';

export interface MerchantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: Date;
}

function toMerchant(r: Record<string, unknown>): MerchantRow {
  return { id: r.id as string, name: r.name as string, status: r.status as MerchantRow['status'], createdAt: r.created_at as Date };
}

export async function countMerchants(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM merchants');
  return Number(rows[0]?.n ?? 0);
}

export async function insertMerchant(db: Queryable, m: { id: string; name: string; createdAt: Date }): Promise<void> {
  await db.query('INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)', [m.id, m.name, m.createdAt]);
}

export async function findMerchant(db: Queryable, id: string): Promise<MerchantRow | undefined> {
  const rows = await db.query<Record<string, unknown>>('SELECT id, name, status, created_at FROM merchants WHERE id = $1', [id]);
  return rows[0] && toMerchant(rows[0]);
}

export async function listMerchants(db: Queryable): Promise<MerchantRow[]> {
  const rows = await db.query<Record<string, unknown>>('SELECT id, name, status, created_at FROM merchants ORDER BY created_at, id');
  return rows.map(toMerchant);
}

/** Returns the API keys of the merchant, so callers can tell other processes to drop them from their caches. */
export async function setMerchantStatus(db: Queryable, id: string, status: 'active' | 'suspended'): Promise<string[]> {
  await db.query('UPDATE merchants SET status = $2 WHERE id = $1', [id, status]);
  const rows = await db.query<{ api_key: string }>('SELECT api_key FROM api_keys WHERE merchant_id = $1', [id]);
  return rows.map((r) => r.api_key);
}

/**
 * Marks a merchant erased (crypto-shredded): suspended for good, every API
 * key revoked, every webhook endpoint off. Returns the API keys, so callers
 * can tell other processes to drop them from their caches.
 */
export async function markMerchantErased(db: Queryable, id: string, at: Date): Promise<string[]> {
  await db.query("UPDATE merchants SET status = 'suspended', erased_at = $2 WHERE id = $1", [id, at]);
  await db.query(
    "UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'operator', disabled_at = $2, updated_at = $2 WHERE merchant_id = $1 AND enabled",
    [id, at],
  );
  const rows = await db.query<{ api_key: string }>(
    "UPDATE api_keys SET status = 'revoked', revoked_at = COALESCE(revoked_at, $2) WHERE merchant_id = $1 RETURNING api_key",
    [id, at],
  );
  return rows.map((r) => r.api_key);
}

export async function merchantErasedAt(db: Queryable, id: string): Promise<Date | null> {
  const rows = await db.query<{ erased_at: Date | null }>('SELECT erased_at FROM merchants WHERE id = $1', [id]);
  return rows[0]?.erased_at ?? null;
}
