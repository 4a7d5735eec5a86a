import type { Queryable } from '../db.js';

export interface DataKeyRow {
  id: string;
  owner: string;
  merchantId: string | null;
  wrappedKey: Uint8Array | null;
  kekId: string;
  createdAt: Date;
  destroyedAt: Date | null;
}

/** Notified when a data key is destroyed or rewrapped, so every process drops its unwrapped copy. */
export const DATA_KEY_CHANGES_CHANNEL = 'tijori_data_key_changed';

const COLUMNS = 'id, owner, merchant_id, wrapped_key, kek_id, created_at, destroyed_at';

function toRow(r: Record<string, unknown>): DataKeyRow {
  return {
    id: r.id as string,
    owner: r.owner as string,
    merchantId: (r.merchant_id as string | null) ?? null,
    wrappedKey: (r.wrapped_key as Uint8Array | null) ?? null,
    kekId: r.kek_id as string,
    createdAt: r.created_at as Date,
    destroyedAt: (r.destroyed_at as Date | null) ?? null,
  };
}

/** Inserts the owner's live key unless one exists (another process won the race); returns the live one either way. */
export async function insertDataKeyIfAbsent(db: Queryable, k: Omit<DataKeyRow, 'destroyedAt'>): Promise<DataKeyRow> {
  await db.query(
    `INSERT INTO data_keys (id, owner, merchant_id, wrapped_key, kek_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (owner) WHERE destroyed_at IS NULL DO NOTHING`,
    [k.id, k.owner, k.merchantId, k.wrappedKey, k.kekId, k.createdAt],
  );
  const live = await findLiveDataKey(db, k.owner);
  if (!live) throw new Error(`no live data key for ${k.owner} after insert`);
  return live;
}

export async function findLiveDataKey(db: Queryable, owner: string): Promise<DataKeyRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM data_keys WHERE owner = $1 AND destroyed_at IS NULL`, [owner]);
  return rows[0] && toRow(rows[0]);
}

export async function findDataKey(db: Queryable, id: string): Promise<DataKeyRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM data_keys WHERE id = $1`, [id]);
  return rows[0] && toRow(rows[0]);
}

/** Live keys wrapped by a KEK other than `kekId`, oldest first: what a KEK rotation rewraps. */
export async function listKeysNotUnder(db: Queryable, kekId: string, limit: number): Promise<DataKeyRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM data_keys WHERE destroyed_at IS NULL AND kek_id <> $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [kekId, limit],
  );
  return rows.map(toRow);
}

export async function countKeysByKek(db: Queryable): Promise<Array<{ kekId: string; count: number }>> {
  const rows = await db.query<{ kek_id: string; n: string | number }>('SELECT kek_id, count(*) AS n FROM data_keys WHERE destroyed_at IS NULL GROUP BY kek_id ORDER BY kek_id');
  return rows.map((r) => ({ kekId: r.kek_id, count: Number(r.n) }));
}

export async function rewrapDataKey(db: Queryable, id: string, wrappedKey: Uint8Array, kekId: string, at: Date): Promise<void> {
  await db.query('UPDATE data_keys SET wrapped_key = $2, kek_id = $3, rewrapped_at = $4 WHERE id = $1 AND destroyed_at IS NULL', [id, wrappedKey, kekId, at]);
  await db.query(`SELECT pg_notify('${DATA_KEY_CHANGES_CHANNEL}', $1)`, [id]);
}

/** Crypto-shredding: forgets the wrapped key for good. Returns the ids destroyed. */
export async function destroyMerchantDataKeys(db: Queryable, merchantId: string, at: Date): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `UPDATE data_keys SET wrapped_key = NULL, destroyed_at = $2 WHERE merchant_id = $1 AND destroyed_at IS NULL RETURNING id`,
    [merchantId, at],
  );
  for (const r of rows) await db.query(`SELECT pg_notify('${DATA_KEY_CHANGES_CHANNEL}', $1)`, [r.id]);
  return rows.map((r) => r.id);
}
