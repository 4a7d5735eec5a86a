import { parsePublicKey } from '@tijori/signing';
import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, type Mode, newApiKey, newId, newSecretKey } from '../lib/ids.js';
import { parseAllowlistEntry } from '../lib/ip-allowlist.js';
import { Secret } from '../lib/secret.js';
import type { Db, Queryable } from '../store/db.js';
import {
  type AllowlistMode,
  type ApiKeyRecord,
  findApiKey,
  insertApiKey,
  notifyKeyChanged,
  revokeApiKey,
  rollApiKeySecret,
  type SignatureSchemeName,
  setAllowedSchemes,
  setIpAllowlist,
  setRateLimit,
} from '../store/queries/api-keys.js';
import type { Keyring } from './keyring.js';

export interface IssuedKey {
  keyId: string;
  apiKey: string;
  /** Shown once, to whoever created or rolled the key; only its ciphertext is stored. */
  secretKey: Secret<string>;
  mode: Mode;
}

/** The AAD that binds a stored secret to its own row and column. */
export function apiKeySecretContext(keyId: string, column: 'secret_enc' | 'previous_secret_enc' = 'secret_enc'): string {
  return `api_keys.${column}:${keyId}`;
}

export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600; // the longest two secrets may both verify
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const MAX_ALLOWLIST_ENTRIES = 100;

export async function insertHmacKey(
  tx: Queryable,
  keyring: Keyring,
  clock: Clock,
  input: { merchantId: string; mode: Mode; label: string | null },
): Promise<IssuedKey> {
  const keyId = newId(ID_PREFIX.apiKeyRecord);
  const apiKey = newApiKey(input.mode);
  const secretKey = new Secret(newSecretKey(input.mode));
  await insertApiKey(tx, {
    id: keyId,
    merchantId: input.merchantId,
    apiKey,
    mode: input.mode,
    label: input.label,
    kind: 'hmac',
    secretEnc: await keyring.seal({ merchantId: input.merchantId }, secretKey.reveal(), apiKeySecretContext(keyId), tx),
    publicKeyPem: null,
    createdAt: new Date(clock.nowMs()),
  });
  return { keyId, apiKey, secretKey, mode: input.mode };
}

export type KeyFailure = { ok: false; code: 'key_not_found' | 'validation_failed' | 'key_revoked'; message: string };

async function activeKey(tx: Queryable, ref: string): Promise<ApiKeyRecord | KeyFailure> {
  const key = await findApiKey(tx, ref);
  if (!key) return { ok: false, code: 'key_not_found', message: `No API key ${ref}.` };
  if (key.status === 'revoked') return { ok: false, code: 'key_revoked', message: `API key ${key.apiKey} is revoked; issue a new one.` };
  return key;
}

function isFailure(x: ApiKeyRecord | KeyFailure): x is KeyFailure {
  return 'ok' in x;
}

/**
 * Issues a new secret; the previous one keeps verifying until the overlap
 * deadline, so the merchant can deploy the new one without downtime (the
 * seeds' gradual migration). A second roll during an overlap ends the first
 * overlap: at most two secrets are ever valid.
 */
export async function rollKey(
  db: Db,
  keyring: Keyring,
  clock: Clock,
  ref: string,
  overlapSeconds = DEFAULT_OVERLAP_SECONDS,
): Promise<({ ok: true; previousValidUntil: Date } & IssuedKey) | KeyFailure> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
    return { ok: false, code: 'validation_failed', message: `The overlap must be between 0 and ${MAX_OVERLAP_SECONDS} seconds (7 days).` };
  }
  return db.transaction(async (tx) => {
    const key = await activeKey(tx, ref);
    if (isFailure(key)) return key;
    if (key.kind !== 'hmac' || !key.secretEnc) {
      return { ok: false as const, code: 'validation_failed' as const, message: 'A public-key API key has no secret to roll; register a new public key instead.' };
    }
    const now = new Date(clock.nowMs());
    const previousValidUntil = new Date(now.getTime() + overlapSeconds * 1000);
    const oldSecret = await keyring.unseal(key.secretEnc, apiKeySecretContext(key.id), tx);
    const secretKey = new Secret(newSecretKey(key.mode));
    const owner = { merchantId: key.merchantId };
    await rollApiKeySecret(tx, key.id, {
      secretEnc: await keyring.seal(owner, secretKey.reveal(), apiKeySecretContext(key.id), tx),
      previousSecretEnc: overlapSeconds > 0 ? await keyring.seal(owner, oldSecret, apiKeySecretContext(key.id, 'previous_secret_enc'), tx) : null,
      previousExpiresAt: overlapSeconds > 0 ? previousValidUntil : null,
      issuedAt: now,
    });
    await notifyKeyChanged(tx, key.apiKey);
    return { ok: true as const, keyId: key.id, apiKey: key.apiKey, secretKey, mode: key.mode, previousValidUntil };
  });
}

/** Immediate: every process drops the key from its cache when this commits. */
export async function revokeKey(db: Db, clock: Clock, ref: string): Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure> {
  return db.transaction(async (tx) => {
    const key = await activeKey(tx, ref);
    if (isFailure(key)) return key;
    await revokeApiKey(tx, key.id, new Date(clock.nowMs()));
    await notifyKeyChanged(tx, key.apiKey);
    return { ok: true as const, key };
  });
}

async function updateKey(db: Db, ref: string, update: (tx: Queryable, key: ApiKeyRecord) => Promise<void>): Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure> {
  return db.transaction(async (tx) => {
    const key = await activeKey(tx, ref);
    if (isFailure(key)) return key;
    await update(tx, key);
    await notifyKeyChanged(tx, key.apiKey);
    const updated = await findApiKey(tx, key.id);
    return { ok: true as const, key: updated ?? key };
  });
}

export async function setKeyAllowlist(
  db: Db,
  ref: string,
  entries: readonly string[],
  mode: AllowlistMode,
): Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure> {
  if (entries.length > MAX_ALLOWLIST_ENTRIES) return { ok: false, code: 'validation_failed', message: `At most ${MAX_ALLOWLIST_ENTRIES} entries.` };
  const normalized: string[] = [];
  for (const entry of entries) {
    const parsed = parseAllowlistEntry(entry);
    if (!parsed.ok) return { ok: false, code: 'validation_failed', message: `"${String(entry).slice(0, 60)}" is not an IP address or CIDR range: ${parsed.reason}` };
    if (!normalized.includes(parsed.normalized)) normalized.push(parsed.normalized);
  }
  return updateKey(db, ref, (tx, key) => setIpAllowlist(tx, key.id, normalized, mode));
}

export async function setKeySchemes(db: Db, ref: string, schemes: readonly SignatureSchemeName[]): Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure> {
  const unique = [...new Set(schemes)].sort();
  if (unique.length === 0 || unique.some((s) => s !== 'v1' && s !== 'v2')) {
    return { ok: false, code: 'validation_failed', message: 'Schemes must be a non-empty list of "v1" and "v2".' };
  }
  return updateKey(db, ref, (tx, key) => setAllowedSchemes(tx, key.id, unique));
}

export async function setKeyRateLimit(db: Db, ref: string, perMinute: number | null): Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure> {
  if (perMinute !== null && (!Number.isInteger(perMinute) || perMinute < 1 || perMinute > 1_000_000)) {
    return { ok: false, code: 'validation_failed', message: 'The rate limit must be a whole number of requests per minute from 1 to 1000000, or null for the default.' };
  }
  return updateKey(db, ref, (tx, key) => setRateLimit(tx, key.id, perMinute));
}

export async function issueKey(
  db: Db,
  keyring: Keyring,
  clock: Clock,
  input: { merchantId: string; mode: Mode; label: string | null },
): Promise<IssuedKey> {
  return db.transaction((tx) => insertHmacKey(tx, keyring, clock, input));
}

/**
 * Registers a merchant's public key (Ed25519, or RSA 2048+ for RSA-PSS) as an
 * API key: requests are then signed with the private key the merchant keeps,
 * and the gateway holds nothing that could forge them (004's per-provider key pair).
 */
export async function registerPublicKey(
  db: Db,
  clock: Clock,
  input: { merchantId: string; mode: Mode; label: string | null; publicKeyPem: string },
): Promise<{ ok: true; keyId: string; apiKey: string } | KeyFailure> {
  const parsed = parsePublicKey(input.publicKeyPem);
  if (!parsed.ok) return { ok: false, code: 'validation_failed', message: `public_key_pem: ${parsed.reason}` };
  const keyId = newId(ID_PREFIX.apiKeyRecord);
  const apiKey = newApiKey(input.mode);
  await db.transaction((tx) =>
    insertApiKey(tx, {
      id: keyId,
      merchantId: input.merchantId,
      apiKey,
      mode: input.mode,
      label: input.label,
      kind: 'public_key',
      secretEnc: null,
      publicKeyPem: parsed.pem,
      createdAt: new Date(clock.nowMs()),
    }),
  );
  return { ok: true, keyId, apiKey };
}
