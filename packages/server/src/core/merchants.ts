import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, type Mode, newId } from '../lib/ids.js';
import type { Db, Queryable } from '../store/db.js';
import { notifyKeyChanged } from '../store/queries/api-keys.js';
import { countMerchants, insertMerchant, setMerchantStatus } from '../store/queries/merchants.js';
import { type IssuedKey, insertHmacKey } from './api-keys.js';
import type { Keyring } from './keyring.js';

export interface IssuedCredentials extends IssuedKey {
  merchantId: string;
}

async function insertMerchantWithKey(
  tx: Queryable,
  keyring: Keyring,
  clock: Clock,
  input: { name: string; mode: Mode },
): Promise<IssuedCredentials> {
  const merchantId = newId(ID_PREFIX.merchant);
  await insertMerchant(tx, { id: merchantId, name: input.name, createdAt: new Date(clock.nowMs()) });
  const key = await insertHmacKey(tx, keyring, clock, { merchantId, mode: input.mode, label: null });
  return { merchantId, ...key };
}

/** Creates a merchant and its first API key, atomically. */
export function createMerchant(db: Db, keyring: Keyring, clock: Clock, input: { name: string; mode: Mode }): Promise<IssuedCredentials> {
  return db.transaction((tx) => insertMerchantWithKey(tx, keyring, clock, input));
}

/** Suspends or reactivates a merchant; every process drops its cached keys at once. */
export function setMerchantActive(db: Db, merchantId: string, active: boolean): Promise<void> {
  return db.transaction(async (tx) => {
    const keys = await setMerchantStatus(tx, merchantId, active ? 'active' : 'suspended');
    for (const apiKey of keys) await notifyKeyChanged(tx, apiKey);
  });
}

// Any constant; serialises first-start bootstraps of processes sharing one database.
const BOOTSTRAP_LOCK = 0x746a62; // "tjb"

/**
 * On first start with an empty store, creates a sandbox merchant so a newcomer
 * can sign a request at once. Returns its credentials, or undefined when the
 * store already has merchants. The advisory lock makes processes starting
 * together on one database create exactly one.
 */
export function ensureSandboxMerchant(db: Db, keyring: Keyring, clock: Clock): Promise<IssuedCredentials | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    if ((await countMerchants(tx)) > 0) return undefined;
    return insertMerchantWithKey(tx, keyring, clock, { name: 'Sandbox merchant', mode: 'test' });
  });
}
