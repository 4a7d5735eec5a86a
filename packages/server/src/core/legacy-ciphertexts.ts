import type { Db } from '../store/db.js';
import { dropLegacyMasterKeyCheck, findLegacyRows, replaceLegacyValue } from '../store/queries/legacy-ciphertexts.js';
import type { Keyring } from './keyring.js';

// Rows per batch: small transactions, so an upgrade at start-up never holds many locks.
const BATCH = 200;

/**
 * Re-seals values written before envelope encryption (version 1, under the
 * master key directly) with their merchant's data key, and gives old orders
 * their blind indexes. Runs at start-up; a database with none left costs one
 * query. Must finish before a KEK rotation retires the old master key, since
 * version-1 values open with that key alone.
 */
export async function upgradeLegacyCiphertexts(db: Db, keyring: Keyring): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await findLegacyRows(tx, BATCH);
      for (const row of rows) {
        const context = `${row.table}.${row.column}:${row.id}`;
        const plaintext = await keyring.unseal(row.sealed, context, tx);
        const sealed = await keyring.seal({ merchantId: row.merchantId }, plaintext, context, tx);
        if (row.table === 'orders') {
          const customer = JSON.parse(plaintext) as { email: string; phone: string };
          await replaceLegacyValue(tx, row, sealed, {
            emailBidx: keyring.blindIndex(row.merchantId, 'email', customer.email),
            phoneBidx: keyring.blindIndex(row.merchantId, 'phone', customer.phone),
          });
        } else {
          await replaceLegacyValue(tx, row, sealed);
        }
      }
      return rows.length;
    });
    total += done;
    if (done === 0) break;
  }
  await dropLegacyMasterKeyCheck(db);
  return total;
}
