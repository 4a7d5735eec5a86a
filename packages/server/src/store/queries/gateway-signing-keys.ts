import type { Queryable } from '../db.js';

/** One of the gateway's own response-signing keys. */
export interface GatewaySigningKeyRecord {
  kid: string;
  /** The PKCS#8 private key, sealed; AAD gatewaySigningKeyContext(kid). */
  privateKeyEnc: Uint8Array;
  /** The JWK as published, JSON text: public material only. */
  publicJwk: string;
  createdAt: Date;
  /** Null for the active key. */
  retiresAt: Date | null;
}

/** Tells every process sharing the database to reload its signing keys; delivered when the transaction commits. */
export const SIGNING_KEY_CHANGES_CHANNEL = 'tijori_signing_keys';

// Serialises rotations across processes; any constant, the same everywhere. "tjs"
const ROTATION_LOCK = 0x746a73;

type Raw = Record<string, unknown>;

function toRecord(r: Raw): GatewaySigningKeyRecord {
  return {
    kid: r.kid as string,
    privateKeyEnc: r.private_key_enc as Uint8Array,
    publicJwk: r.public_jwk as string,
    createdAt: r.created_at as Date,
    retiresAt: (r.retires_at as Date | null) ?? null,
  };
}

export type NewGatewaySigningKey = Omit<GatewaySigningKeyRecord, 'retiresAt'>;

/**
 * Inserts `key` as the active key unless one exists already (the partial
 * unique index allows one row with retires_at null). True if it was inserted.
 * Two processes starting at once both try; one wins, and both then read it.
 */
export async function insertActiveSigningKeyIfNone(db: Queryable, key: NewGatewaySigningKey): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO gateway_signing_keys (kid, private_key_enc, public_jwk, created_at, retires_at)
     VALUES ($1, $2, $3, $4, NULL) ON CONFLICT DO NOTHING RETURNING kid`,
    [key.kid, key.privateKeyEnc, key.publicJwk, key.createdAt],
  );
  return rows.length === 1;
}

/** The active key and every replaced key not yet retired at `now`: what the JWKS lists. Active first, then the latest to retire. */
export async function listPublishedSigningKeys(db: Queryable, now: Date): Promise<GatewaySigningKeyRecord[]> {
  const rows = await db.query<Raw>(
    `SELECT kid, private_key_enc, public_jwk, created_at, retires_at FROM gateway_signing_keys
      WHERE retires_at IS NULL OR retires_at > $1
      ORDER BY retires_at DESC NULLS FIRST, created_at DESC, kid`,
    [now],
  );
  return rows.map(toRecord);
}

/** Every key, retired ones included (at most `limit`): the active one, then the others by retirement, latest first. */
export async function listAllSigningKeys(db: Queryable, limit: number): Promise<GatewaySigningKeyRecord[]> {
  const rows = await db.query<Raw>(
    'SELECT kid, private_key_enc, public_jwk, created_at, retires_at FROM gateway_signing_keys ORDER BY retires_at DESC NULLS FIRST, created_at DESC, kid LIMIT $1',
    [limit],
  );
  return rows.map(toRecord);
}

/** Inside a transaction: waits for any other rotation to commit first, so two at once cannot both replace the same key. */
export async function lockSigningKeyRotation(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK]);
}

/**
 * Retires, no later than `retiresAt`, the active key and every replaced key
 * still published after it: an overlap of 0 leaves only the new key in the
 * JWKS. Returns the keys whose retirement this set.
 */
export async function retirePublishedSigningKeys(tx: Queryable, retiresAt: Date): Promise<GatewaySigningKeyRecord[]> {
  const rows = await tx.query<Raw>(
    `UPDATE gateway_signing_keys SET retires_at = $1 WHERE retires_at IS NULL OR retires_at > $1
     RETURNING kid, private_key_enc, public_jwk, created_at, retires_at`,
    [retiresAt],
  );
  return rows.map(toRecord);
}

export async function notifySigningKeysChanged(db: Queryable): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [SIGNING_KEY_CHANGES_CHANNEL, '']);
}
