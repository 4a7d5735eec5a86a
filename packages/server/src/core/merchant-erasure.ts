import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import { notifyKeyChanged } from '../store/queries/api-keys.js';
import { destroyMerchantDataKeys } from '../store/queries/data-keys.js';
import { markMerchantErased } from '../store/queries/merchants.js';
import type { Keyring } from './keyring.js';

export interface Erasure {
  destroyedDataKeys: string[];
  revokedApiKeys: string[];
}

/**
 * Crypto-shredding: destroys the merchant's data key, so every value sealed
 * with it (customer names, emails and phones of its orders, its API and
 * webhook secrets) is unrecoverable at once, in the database and in every
 * backup of it, without rewriting a row. The merchant is suspended for good,
 * its keys revoked and its webhook endpoints turned off, in the same
 * transaction. Orders stay (amounts and states are accounting records);
 * their customer fields simply no longer open.
 */
export async function eraseMerchant(db: Db, keyring: Keyring, clock: Clock, merchantId: string): Promise<Erasure> {
  const at = new Date(clock.nowMs());
  const erasure = await db.transaction(async (tx) => {
    const destroyedDataKeys = await destroyMerchantDataKeys(tx, merchantId, at);
    const revokedApiKeys = await markMerchantErased(tx, merchantId, at);
    for (const apiKey of revokedApiKeys) await notifyKeyChanged(tx, apiKey);
    return { destroyedDataKeys, revokedApiKeys };
  });
  // Other processes forget them when the notification arrives; this one at once.
  for (const id of erasure.destroyedDataKeys) keyring.forget(id);
  return erasure;
}
