import type { KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { parsePublicKey } from '@tijori/signing';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.js';
import type { Mode } from '../lib/ids.js';
import { IpAllowlist } from '../lib/ip-allowlist.js';
import type { Queryable } from '../store/db.js';
import { type AllowlistMode, type ApiKeyRecord, findApiKey, type SignatureSchemeName } from '../store/queries/api-keys.js';
import { apiKeySecretContext } from './api-keys.js';
import type { Keyring } from './keyring.js';

/** What the request-auth plugin needs to know about the key a request names. */
export interface ResolvedKey {
  found: true;
  keyId: string;
  apiKey: string;
  merchantId: string;
  mode: Mode;
  status: 'active' | 'revoked';
  merchantStatus: 'active' | 'suspended';
  /**
   * HMAC keys that verify for this API key, decrypted once per cache fill for
   * the hot path: the current secret, then the previous one during a rotation
   * overlap. The array prints as "[secret]" in logs and JSON.
   */
  readonly secretValues: readonly Buffer[];
  /** Until when secretValues[1] (the previous secret) may still verify, epoch ms. */
  previousSecretExpiresAtMs: number | null;
  /** When the current secret was issued, epoch ms: the age the expiry policy measures. */
  secretIssuedAtMs: number;
  /** For public-key API keys: the merchant's registered key (requests are signed v2 with its private half). */
  publicKeys: readonly KeyObject[];
  allowedSchemes: readonly SignatureSchemeName[];
  allowlist: IpAllowlist;
  allowlistMode: AllowlistMode;
  rateLimitPerMinute: number | null;
}

type Entry = ResolvedKey | { found: false };

export interface ApiKeyResolverOptions {
  /** How long a cached answer is trusted without a change notification: the backstop bound on how late a change takes effect. */
  ttlMs: number;
  clock: Clock;
  maxEntries?: number;
}

// Real keys are pk_test_/pk_live_ + 24 hex; anything far off is refused before any lookup.
const API_KEY_SHAPE = /^pk_(test|live)_[A-Za-z0-9]{8,64}$/;

/** An array that prints as "[secret]" if it ever reaches a log, while its elements stay usable. */
function maskedArray(values: Buffer[]): readonly Buffer[] {
  Object.defineProperty(values, 'toJSON', { value: () => '[secret]' });
  Object.defineProperty(values, inspect.custom, { value: () => '[secret]' });
  return Object.freeze(values);
}

function publicKeysOf(row: ApiKeyRecord): KeyObject[] {
  if (row.kind !== 'public_key' || !row.publicKeyPem) return [];
  const parsed = parsePublicKey(row.publicKeyPem);
  // Stored keys were validated on registration; one that no longer parses verifies nothing.
  return parsed.ok ? [parsed.key] : [];
}

async function resolve(row: ApiKeyRecord, keyring: Keyring): Promise<ResolvedKey> {
  const secrets: Buffer[] = [];
  // A revoked key, or a suspended (or erased: its data key destroyed) merchant's, is refused before any
  // signature is checked: its secrets are not needed, and an erased merchant's no longer decrypt.
  const usable = row.status === 'active' && row.merchantStatus === 'active';
  if (usable && row.secretEnc) secrets.push(Buffer.from(await keyring.unseal(row.secretEnc, apiKeySecretContext(row.id)), 'utf8'));
  if (usable && row.previousSecretEnc && row.previousSecretExpiresAt) {
    secrets.push(Buffer.from(await keyring.unseal(row.previousSecretEnc, apiKeySecretContext(row.id, 'previous_secret_enc')), 'utf8'));
  }
  return {
    found: true,
    keyId: row.id,
    apiKey: row.apiKey,
    merchantId: row.merchantId,
    mode: row.mode,
    status: row.status,
    merchantStatus: row.merchantStatus,
    secretValues: maskedArray(secrets),
    previousSecretExpiresAtMs: secrets.length > 1 ? (row.previousSecretExpiresAt?.getTime() ?? null) : null,
    secretIssuedAtMs: row.secretIssuedAt.getTime(),
    publicKeys: publicKeysOf(row),
    allowedSchemes: row.allowedSchemes,
    allowlist: new IpAllowlist(row.ipAllowlist),
    allowlistMode: row.ipAllowlistMode,
    rateLimitPerMinute: row.rateLimitPerMinute,
  };
}

/**
 * Resolves X-API-KEY to its merchant, policy and decrypted secrets, with a
 * small TTL cache so the hot path does not query the database for every
 * request. Changes (revocation, rotation, policy) evict the entry at once in
 * every process through `forget`, wired to PostgreSQL NOTIFY in main.ts; the
 * TTL bounds the delay if a notification is ever lost. Unknown keys are
 * cached too, so a flood of made-up keys cannot become a flood of queries;
 * concurrent misses for one key share one query.
 */
export class ApiKeyResolver {
  readonly #cache: LRUCache<string, Entry>;

  constructor(db: Queryable, keyring: Keyring, options: ApiKeyResolverOptions) {
    this.#cache = new LRUCache<string, Entry>({
      max: options.maxEntries ?? 50_000,
      ttl: Math.max(options.ttlMs, 1),
      perf: { now: () => options.clock.nowMs() },
      // Read the injected clock every time (lru-cache otherwise reuses a reading for 1 ms of real time).
      ttlResolution: 0,
      fetchMethod: async (apiKey) => {
        const row = await findApiKey(db, apiKey);
        return row ? resolve(row, keyring) : { found: false };
      },
    });
  }

  async resolve(apiKey: string): Promise<ResolvedKey | undefined> {
    if (!API_KEY_SHAPE.test(apiKey)) return undefined;
    // Fresh cache hits (nearly every request) skip fetch()'s promise machinery.
    const entry = this.#cache.get(apiKey) ?? (await this.#fetch(apiKey));
    return entry?.found ? entry : undefined;
  }

  /**
   * A change notification that lands while a look-up is in flight aborts that
   * look-up (it may have read the row before the change committed); reading
   * again then sees the committed change.
   */
  async #fetch(apiKey: string, attempt = 1): Promise<Entry | undefined> {
    try {
      return await this.#cache.fetch(apiKey);
    } catch (err) {
      if (attempt >= 3) throw err;
      return this.#fetch(apiKey, attempt + 1);
    }
  }

  /** Drops a cached key (it changed somewhere); the next request reads it afresh. */
  forget(apiKey: string): void {
    this.#cache.delete(apiKey);
  }

  /** Drops every cached key: change notifications may have been missed (the listening connection was lost). */
  forgetAll(): void {
    this.#cache.clear();
  }
}
