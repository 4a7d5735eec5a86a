import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, type Mode, newApiKey, newId, newSecretKey } from '../lib/ids.js';
import { Secret } from '../lib/secret.js';
import type { Db, Queryable } from '../store/db.js';
import { countMerchants, insertApiKey, insertMerchant } from '../store/queries/merchants.js';
import type { Keyring } from './keyring.js';

export interface IssuedCredentials {
  merchantId: string;
  keyId: string;
  apiKey: string;
  /** Shown once, to whoever created the key; only its ciphertext is stored. */
  secretKey: Secret<string>;
  mode: Mode;
}

/** The AAD that binds a stored secret to its own api_keys row. */
export function apiKeySecretContext(keyId: string): string {
  return `api_keys.secret_enc:${keyId}`;
}

async function insertMerchantWithKey(
  tx: Queryable,
  keyring: Keyring,
  clock: Clock,
  input: { name: string; mode: Mode },
): Promise<IssuedCredentials> {
  const merchantId = newId(ID_PREFIX.merchant);
  const keyId = newId(ID_PREFIX.apiKeyRecord);
  const apiKey = newApiKey(input.mode);
  const secretKey = new Secret(newSecretKey(input.mode));
  const now = new Date(clock.nowMs());
  await insertMerchant(tx, { id: merchantId, name: input.name, createdAt: now });
  await insertApiKey(tx, {
    id: keyId,
    merchantId,
    apiKey,
    mode: input.mode,
    secretEnc: keyring.fields.encrypt(secretKey.reveal(), apiKeySecretContext(keyId)),
    createdAt: now,
  });
  return { merchantId, keyId, apiKey, secretKey, mode: input.mode };
}

/** Creates a merchant and its first API key, atomically. */
export function createMerchant(db: Db, keyring: Keyring, clock: Clock, input: { name: string; mode: Mode }): Promise<IssuedCredentials> {
  return db.transaction((tx) => insertMerchantWithKey(tx, keyring, clock, input));
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
