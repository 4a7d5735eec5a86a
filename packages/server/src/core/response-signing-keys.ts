import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { publicJwk, type ResponseSigningJwk } from '@tijori/signing';
import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, newId } from '../lib/ids.js';
import type { Db } from '../store/db.js';
import {
  type GatewaySigningKeyRecord,
  insertActiveSigningKeyIfNone,
  listAllSigningKeys,
  listPublishedSigningKeys,
  lockSigningKeyRotation,
  notifySigningKeysChanged,
  retirePublishedSigningKeys,
} from '../store/queries/gateway-signing-keys.js';

/** How the private keys are sealed at rest: the keyring, adapted in main.ts. */
export interface SigningKeySealer {
  seal(plaintext: string, context: string): Promise<Uint8Array>;
  unseal(sealed: Uint8Array, context: string): Promise<string>;
}

/** The key replies are signed with now. The KeyObject is made once per key, never per reply. */
export interface ActiveSigningKey {
  keyId: string;
  privateKey: KeyObject;
}

export interface JwkSet {
  keys: ResponseSigningJwk[];
}

export type SigningKeyStatus = 'active' | 'published' | 'retired';

export interface SigningKeyInfo {
  kid: string;
  status: SigningKeyStatus;
  createdAt: Date;
  retiresAt: Date | null;
  publicJwk: ResponseSigningJwk;
}

export interface RotationResult {
  active: SigningKeyInfo;
  /** The keys this rotation scheduled for retirement (the one replaced, and any older still published later than the new overlap). */
  retiring: SigningKeyInfo[];
}

// One overlap is enough for any verifier to have fetched the new JWKS and for every process to have switched.
export const DEFAULT_SIGNING_KEY_OVERLAP_SECONDS = 24 * 3600;
// The longest an old key stays published; replies older than this are checked with maxAgeSeconds anyway.
export const MAX_SIGNING_KEY_OVERLAP_SECONDS = 30 * 24 * 3600;

/** Associated data for the sealed private key: binds the ciphertext to its row, so it cannot be moved to another key's. */
export function signingKeyContext(kid: string): string {
  return `gateway_signing_keys.private_key_enc:${kid}`;
}

interface Published {
  jwk: ResponseSigningJwk;
  retiresAtMs: number | null;
}

/**
 * The gateway's own Ed25519 keys for signing /api/ replies (RFC 9421), kept
 * in the database with the private half sealed. Every process holds the
 * active key as a ready KeyObject and the published public keys in memory:
 * signing a reply does no I/O and no decryption. A rotation anywhere
 * reaches every process through NOTIFY (main.ts calls reload), with a
 * periodic reload as the backstop; a replaced key stays in the JWKS until
 * its retires_at, read against the clock at each request.
 */
export class ResponseSigningKeys {
  readonly #db: Db;
  readonly #sealer: SigningKeySealer;
  readonly #clock: Clock;
  #active: ActiveSigningKey | undefined;
  #published: Published[] = [];
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Db, sealer: SigningKeySealer, clock: Clock) {
    this.#db = db;
    this.#sealer = sealer;
    this.#clock = clock;
  }

  /** The key to sign with. Throws if reload() has never completed: a programmer error in the start-up order. */
  active(): ActiveSigningKey {
    if (!this.#active) throw new Error('ResponseSigningKeys.active() before reload(): load the keys at start-up');
    return this.#active;
  }

  /** The JWK Set to publish now: the active key, then replaced keys whose retires_at is still ahead. */
  jwks(): JwkSet {
    const now = this.#clock.nowMs();
    return { keys: this.#published.filter((k) => k.retiresAtMs === null || k.retiresAtMs > now).map((k) => k.jwk) };
  }

  /**
   * Loads the active and published keys, creating the first key if there is
   * none. Concurrent calls share one load, and a call made while a load is
   * running causes one more after it, so a notification is never lost.
   */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      try {
        do {
          this.#reloadAgain = false;
          await this.#load();
        } while (this.#reloadAgain);
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  async #load(): Promise<void> {
    let rows = await listPublishedSigningKeys(this.#db, new Date(this.#clock.nowMs()));
    if (!rows.some((r) => r.retiresAt === null)) {
      await insertActiveSigningKeyIfNone(this.#db, await this.#newKey());
      rows = await listPublishedSigningKeys(this.#db, new Date(this.#clock.nowMs()));
    }
    const active = rows.find((r) => r.retiresAt === null);
    if (!active) throw new Error('no active gateway signing key after creating one');
    if (this.#active?.keyId !== active.kid) {
      const pkcs8 = Buffer.from(await this.#sealer.unseal(active.privateKeyEnc, signingKeyContext(active.kid)), 'base64');
      this.#active = { keyId: active.kid, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
    }
    this.#published = rows.map((r) => ({ jwk: JSON.parse(r.publicJwk) as ResponseSigningJwk, retiresAtMs: r.retiresAt?.getTime() ?? null }));
  }

  /**
   * Makes a new key the active one. The replaced key (and any older one
   * still published) stays in the JWKS for `overlapSeconds` at most, so
   * replies signed just before, here or by a process that has not yet
   * heard of the rotation, keep verifying; 0 removes them at once (a
   * suspected compromise). Every process switches when this commits.
   */
  async rotate(overlapSeconds: number = DEFAULT_SIGNING_KEY_OVERLAP_SECONDS): Promise<RotationResult> {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_SIGNING_KEY_OVERLAP_SECONDS) {
      throw new RangeError(`overlapSeconds must be a whole number of seconds from 0 to ${MAX_SIGNING_KEY_OVERLAP_SECONDS}`);
    }
    const nowMs = this.#clock.nowMs();
    // Sealed before the transaction: the keyring may query, and PGlite has one connection, which the transaction holds.
    const key = await this.#newKey();
    const { created, retiring } = await this.#db.transaction(async (tx) => {
      await lockSigningKeyRotation(tx);
      const retiring = await retirePublishedSigningKeys(tx, new Date(nowMs + overlapSeconds * 1000));
      if (!(await insertActiveSigningKeyIfNone(tx, key))) throw new Error('another active signing key appeared during a rotation');
      await notifySigningKeysChanged(tx);
      return { created: { ...key, retiresAt: null }, retiring };
    });
    await this.reload();
    return { active: signingKeyInfo(created, nowMs), retiring: retiring.map((r) => signingKeyInfo(r, nowMs)) };
  }

  /** Every key, retired ones included: the active one, then the others by retirement, latest first. For the admin API. */
  async list(limit = 100): Promise<SigningKeyInfo[]> {
    const nowMs = this.#clock.nowMs();
    return (await listAllSigningKeys(this.#db, limit)).map((r) => signingKeyInfo(r, nowMs));
  }

  /** Reloads every `intervalMs`: the backstop for a lost notification. Errors go to `onError`; the keys in memory stay in use. */
  startReloading(intervalMs: number, onError: (err: unknown) => void): void {
    this.stop();
    this.#timer = setInterval(() => void this.reload().catch(onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #newKey(): Promise<GatewaySigningKeyRecord & { retiresAt: null }> {
    const kid = newId(ID_PREFIX.gatewaySigningKey);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    return {
      kid,
      privateKeyEnc: await this.#sealer.seal(pkcs8, signingKeyContext(kid)),
      publicJwk: JSON.stringify(publicJwk(privateKey, kid)),
      createdAt: new Date(this.#clock.nowMs()),
      retiresAt: null,
    };
  }
}

function signingKeyInfo(r: Pick<GatewaySigningKeyRecord, 'kid' | 'publicJwk' | 'createdAt' | 'retiresAt'>, nowMs: number): SigningKeyInfo {
  const status: SigningKeyStatus = r.retiresAt === null ? 'active' : r.retiresAt.getTime() > nowMs ? 'published' : 'retired';
  return { kid: r.kid, status, createdAt: r.createdAt, retiresAt: r.retiresAt, publicJwk: JSON.parse(r.publicJwk) as ResponseSigningJwk };
}
