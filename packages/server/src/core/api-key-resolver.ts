import { inspect } from 'node:util';
import { LRUCache } from 'lru-cache';
import type { Mode } from '../lib/ids.js';
import type { Clock } from '../lib/clock.js';
import type { Queryable } from '../store/db.js';
import { findApiKey } from '../store/queries/merchants.js';
import type { Keyring } from './keyring.js';
import { apiKeySecretContext } from './merchants.js';

/** What the request-auth plugin needs to know about the key a request names. */
export interface ResolvedKey {
  found: true;
  keyId: string;
  merchantId: string;
  mode: Mode;
  status: 'active' | 'revoked';
  merchantStatus: 'active' | 'suspended';
  /**
   * HMAC keys that verify for this API key (more than one during a rotation
   * overlap), decrypted once per cache fill for the hot path. The array prints
   * as "[secret]" in logs and JSON.
   */
  readonly secretValues: readonly Buffer[];
}

type Entry = ResolvedKey | { found: false };

export interface ApiKeyResolverOptions {
  /** How long a cached answer is trusted: the bound on how late a revocation takes effect in this process. */
  ttlMs: number;
  clock: Clock;
  maxEntries?: number;
}

// Real keys are pk_test_/pk_live_ + 24 hex; anything far off is refused before any lookup.
const API_KEY_SHAPE = /^pk_(test|live)_[A-Za-z0-9]{8,64}$/;

/**
 * Resolves X-API-KEY to its merchant and decrypted secret, with a small TTL
 * cache so the hot path does not query the database for every request.
 * Unknown keys are cached too, so a flood of made-up keys cannot turn into a
 * flood of queries; concurrent misses for one key share one query.
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
        if (!row) return { found: false };
        const secret = Buffer.from(keyring.fields.decrypt(row.secretEnc, apiKeySecretContext(row.id)), 'utf8');
        return {
          found: true,
          keyId: row.id,
          merchantId: row.merchantId,
          mode: row.mode,
          status: row.status,
          merchantStatus: row.merchantStatus,
          secretValues: maskedArray([secret]),
        };
      },
    });
  }

  async resolve(apiKey: string): Promise<ResolvedKey | undefined> {
    if (!API_KEY_SHAPE.test(apiKey)) return undefined;
    // Fresh cache hits (nearly every request) skip fetch()'s promise machinery.
    const entry = this.#cache.get(apiKey) ?? (await this.#cache.fetch(apiKey));
    return entry?.found ? entry : undefined;
  }

  /** Drops a cached key at once (after a revocation in this process). */
  forget(apiKey: string): void {
    this.#cache.delete(apiKey);
  }
}

/** An array that prints as "[secret]" if it ever reaches a log, while its elements stay usable. */
function maskedArray(values: Buffer[]): readonly Buffer[] {
  Object.defineProperty(values, 'toJSON', { value: () => '[secret]' });
  Object.defineProperty(values, inspect.custom, { value: () => '[secret]' });
  return Object.freeze(values);
}
