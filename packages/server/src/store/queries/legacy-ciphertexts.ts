import type { Queryable } from '../db.js';

/**
 * Rows still holding version-1 ciphertexts (sealed under the master key
 * directly, before envelope encryption), a batch at a time, each with the
 * merchant whose data key should seal it now. get_byte(…, 0) = 1 is the
 * version byte (lib/field-cipher.ts).
 */
export interface LegacyRow {
  table: 'api_keys' | 'webhook_secrets' | 'orders';
  id: string;
  merchantId: string;
  column: 'secret_enc' | 'previous_secret_enc' | 'customer_enc';
  sealed: Uint8Array;
}

export async function findLegacyRows(db: Queryable, limit: number): Promise<LegacyRow[]> {
  const rows = await db.query<{ t: LegacyRow['table']; id: string; merchant_id: string; col: LegacyRow['column']; sealed: Uint8Array }>(
    `(SELECT 'api_keys' AS t, id, merchant_id, 'secret_enc' AS col, secret_enc AS sealed FROM api_keys WHERE secret_enc IS NOT NULL AND get_byte(secret_enc, 0) = 1 LIMIT $1)
     UNION ALL
     (SELECT 'api_keys', id, merchant_id, 'previous_secret_enc', previous_secret_enc FROM api_keys WHERE previous_secret_enc IS NOT NULL AND get_byte(previous_secret_enc, 0) = 1 LIMIT $1)
     UNION ALL
     (SELECT 'webhook_secrets', s.id, e.merchant_id, 'secret_enc', s.secret_enc FROM webhook_secrets s JOIN webhook_endpoints e ON e.id = s.endpoint_id WHERE get_byte(s.secret_enc, 0) = 1 LIMIT $1)
     UNION ALL
     (SELECT 'orders', id, merchant_id, 'customer_enc', customer_enc FROM orders WHERE get_byte(customer_enc, 0) = 1 LIMIT $1)`,
    [limit],
  );
  return rows.map((r) => ({ table: r.t, id: r.id, merchantId: r.merchant_id, column: r.col, sealed: r.sealed }));
}

/** Replaces one legacy value, only if it is still the one read (a concurrent upgrade in another process may have won). */
export async function replaceLegacyValue(db: Queryable, row: LegacyRow, sealed: Uint8Array, extra?: { emailBidx: string; phoneBidx: string }): Promise<void> {
  if (row.table === 'orders') {
    await db.query('UPDATE orders SET customer_enc = $2, customer_email_bidx = $3, customer_phone_bidx = $4 WHERE id = $1 AND customer_enc = $5', [
      row.id,
      sealed,
      extra?.emailBidx ?? null,
      extra?.phoneBidx ?? null,
      row.sealed,
    ]);
    return;
  }
  // Table and column come from the fixed unions above, never from input.
  await db.query(`UPDATE ${row.table} SET ${row.column} = $2 WHERE id = $1 AND ${row.column} = $3`, [row.id, sealed, row.sealed]);
}

/** The master-key check value of the pre-envelope keyring: opening the data keys is the check now. */
export async function dropLegacyMasterKeyCheck(db: Queryable): Promise<void> {
  await db.query("DELETE FROM settings WHERE name = 'master_key_check'");
}
