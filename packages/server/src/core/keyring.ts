import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { KekUnavailableError, type KeyProvider } from '../kek/key-provider.js';
import type { Clock } from '../lib/clock.js';
import { deriveKey, FieldCipher, sealedKeyId } from '../lib/field-cipher.js';
import type { Queryable } from '../store/db.js';
import { type DataKeyRow, findDataKey, findLiveDataKey, insertDataKeyIfAbsent } from '../store/queries/data-keys.js';
import { merchantErasedAt } from '../store/queries/merchants.js';

const SYSTEM_OWNER = 'system';
const BLIND_INDEX_OWNER = 'blind-index';
const DATA_KEY_PREFIX = 'dk_';

/** Who a data key belongs to: one merchant, or the gateway itself. */
export type KeyOwner = { merchantId: string } | 'system';

function ownerName(owner: KeyOwner): string {
  return owner === 'system' ? SYSTEM_OWNER : `merchant:${owner.merchantId}`;
}

/** A value sealed with a destroyed data key (its merchant was erased): gone for good. */
export class DataKeyDestroyedError extends Error {
  override name = 'DataKeyDestroyedError';
}

/** The KEK this process has cannot open the database's keys: a configuration mistake, said at start-up. */
export class KeyringMismatchError extends Error {
  override name = 'KeyringMismatchError';
}

export interface KeyringOptions {
  /** How long an unwrapped data key stays in memory without being used again; bounds how late a destroyed key still opens values in another process if its notification is lost. */
  cacheTtlMs?: number;
  /** The master key under which version-1 values (before envelope encryption) were sealed, to read them during the upgrade. */
  legacyMasterKey?: Buffer;
}

interface LiveKey {
  id: string;
  cipher: FieldCipher;
}

/**
 * Envelope encryption. Every stored secret and customer field is sealed
 * (AES-256-GCM) with a data key; each merchant has its own, and the gateway
 * one for its own secrets. Data keys are stored only wrapped by the KEK of a
 * KeyProvider (a key file, or a PKCS#11 token), which never enters the
 * database: a copy of the database alone opens nothing, and destroying a
 * merchant's data key makes its data unrecoverable at once.
 * Unwrapped keys are kept in memory (LRU with a TTL); a destroyed or
 * rewrapped key is forgotten at once in every process through `forget`,
 * wired to PostgreSQL NOTIFY in main.ts.
 */
export class Keyring {
  readonly #db: Queryable;
  readonly #provider: KeyProvider;
  readonly #clock: Clock;
  readonly #linkKey: Buffer;
  readonly #checkoutCsrfKey: Buffer;
  readonly #blindIndexKey: Buffer;
  readonly #legacy: FieldCipher | undefined;
  readonly #byId: LRUCache<string, FieldCipher>;
  readonly #byOwner: LRUCache<string, LiveKey>;
  readonly #loading = new Map<string, Promise<FieldCipher>>();

  private constructor(db: Queryable, provider: KeyProvider, clock: Clock, system: Buffer, blindIndex: Buffer, options: KeyringOptions) {
    this.#db = db;
    this.#provider = provider;
    this.#clock = clock;
    this.#linkKey = deriveKey(system, 'payment-link/v1');
    this.#checkoutCsrfKey = deriveKey(system, 'checkout-csrf/v1');
    this.#blindIndexKey = blindIndex;
    this.#legacy = options.legacyMasterKey ? new FieldCipher(deriveKey(options.legacyMasterKey, 'field-encryption/v1')) : undefined;
    const ttl = options.cacheTtlMs ?? 300_000;
    this.#byId = new LRUCache({ max: 10_000, ttl, updateAgeOnGet: true });
    this.#byOwner = new LRUCache({ max: 10_000, ttl, updateAgeOnGet: true });
  }

  /**
   * Opens the keyring: creates the gateway's own data keys on first start,
   * and unwraps them, which proves this process's KEK matches the database
   * (a wrong KEK is a sentence at start-up, not every request failing).
   */
  static async open(db: Queryable, provider: KeyProvider, clock: Clock, options: KeyringOptions = {}): Promise<Keyring> {
    const unwrapOwn = async (owner: string): Promise<Buffer> => {
      const row = (await findLiveDataKey(db, owner)) ?? (await createDataKey(db, provider, clock, owner, null));
      return unwrapRow(provider, row);
    };
    const system = await unwrapOwn(SYSTEM_OWNER);
    const blindIndex = await unwrapOwn(BLIND_INDEX_OWNER);
    return new Keyring(db, provider, clock, system, blindIndex, options);
  }

  /** The KEK new wraps use. */
  get kekId(): string {
    return this.#provider.kekId;
  }

  /**
   * Seals a value with the owner's data key, creating the key on first use.
   * Inside a transaction, pass it as `tx` (the embedded database has one
   * connection, so a read outside it would wait for it forever). A key read
   * or created in a transaction is not cached by owner, so a rolled-back
   * transaction cannot leave a cached key that no row backs.
   */
  async seal(owner: KeyOwner, plaintext: string, context: string, tx?: Queryable): Promise<Buffer> {
    const q = tx ?? this.#db;
    const name = ownerName(owner);
    let live = this.#byOwner.get(name);
    if (!live) {
      const found = await findLiveDataKey(q, name);
      if (found) {
        live = { id: found.id, cipher: await this.#cipherForRow(found) };
        if (q === this.#db) this.#byOwner.set(name, live);
      } else {
        // Crypto-shredding is final: an erased merchant never gets a new key (which would quietly start storing its data again).
        if (owner !== 'system' && (await merchantErasedAt(q, owner.merchantId))) {
          throw new DataKeyDestroyedError(`merchant ${owner.merchantId} was erased: nothing can be sealed for it`);
        }
        const created = await createDataKey(q, this.#provider, this.#clock, name, owner === 'system' ? null : owner.merchantId);
        live = { id: created.id, cipher: new FieldCipher(await unwrapRow(this.#provider, created), created.id) };
      }
    }
    return live.cipher.encrypt(plaintext, context);
  }

  /**
   * Opens a sealed value. Throws DataKeyDestroyedError when its key was
   * destroyed (crypto-shredding), and on any tampering. Inside a
   * transaction, pass it as `tx`: the embedded database has one connection,
   * so a read outside the transaction would wait for it forever.
   */
  async unseal(sealed: Uint8Array, context: string, tx?: Queryable): Promise<string> {
    const id = sealedKeyId(sealed);
    if (id === undefined) {
      if (!this.#legacy) throw new Error('a version-1 value and no legacy master key to open it');
      return this.#legacy.decrypt(sealed, context);
    }
    const cached = this.#byId.get(id);
    if (cached) return cached.decrypt(sealed, context);
    if (tx) {
      const row = await findDataKey(tx, id);
      if (!row) throw new Error(`no data key ${id}`);
      return (await this.#cipherForRow(row)).decrypt(sealed, context);
    }
    return (await this.#load(id)).decrypt(sealed, context);
  }

  /** Drops an unwrapped key (it was destroyed or rewrapped, here or in another process). */
  forget(dataKeyId: string): void {
    this.#byId.delete(dataKeyId);
    for (const [owner, live] of this.#byOwner.entries()) if (live.id === dataKeyId) this.#byOwner.delete(owner);
  }

  /** Drops every unwrapped key: change notifications may have been missed (the listening connection was lost); each is unwrapped again when next used. */
  forgetAll(): void {
    this.#byId.clear();
    this.#byOwner.clear();
  }

  #load(id: string): Promise<FieldCipher> {
    // Concurrent misses for one key share one read and one unwrap.
    let pending = this.#loading.get(id);
    if (!pending) {
      pending = (async () => {
        const row = await findDataKey(this.#db, id);
        if (!row) throw new Error(`no data key ${id}`);
        const cipher = await this.#cipherForRow(row);
        this.#byId.set(id, cipher);
        return cipher;
      })().finally(() => this.#loading.delete(id));
      this.#loading.set(id, pending);
    }
    return pending;
  }

  async #cipherForRow(row: DataKeyRow): Promise<FieldCipher> {
    const cached = this.#byId.get(row.id);
    if (cached) return cached;
    const cipher = new FieldCipher(await unwrapRow(this.#provider, row), row.id);
    this.#byId.set(row.id, cipher);
    return cipher;
  }

  /** An unguessable, unforgeable token naming one order, so payment links need no stored secret. */
  paymentLinkToken(orderId: string): string {
    return createHmac('sha256', this.#linkKey).update(orderId).digest('base64url');
  }

  verifyPaymentLinkToken(orderId: string, token: string): boolean {
    return equalStrings(this.paymentLinkToken(orderId), token);
  }

  /**
   * The checkout form's CSRF field (signed double-submit): binds the
   * browser's random cookie to one order. A site that can plant a cookie
   * (a sibling subdomain) still cannot compute the field without this key,
   * and a field lifted from one page fits no other cookie or order. The
   * cookie value is fixed-length base64url, so the newline cannot be forged
   * into a different (cookie, order) pair.
   */
  checkoutCsrfToken(cookieValue: string, orderId: string): string {
    return createHmac('sha256', this.#checkoutCsrfKey).update(`${cookieValue}\n${orderId}`).digest('base64url');
  }

  verifyCheckoutCsrfToken(cookieValue: string, orderId: string, token: string): boolean {
    return equalStrings(this.checkoutCsrfToken(cookieValue, orderId), token);
  }

  /**
   * A keyed blind index for looking orders up by a customer's email or
   * phone without storing either: HMAC under a key of its own (not an
   * encryption key), scoped to the merchant so equal values do not link
   * across merchants. Values are normalised first (case, spacing,
   * punctuation), so the look-up finds what the customer typed differently.
   */
  blindIndex(merchantId: string, field: 'email' | 'phone', value: string): string {
    return this.#blindIndex(merchantId, field, value);
  }

  /**
   * The blind index of a dashboard user's email. Sign-in looks the account
   * up before it knows the merchant, so this one has a single gateway-wide
   * scope ('system', which no merchant id can equal) and a field name of its
   * own, so it never equals a customer's index for the same address.
   */
  userEmailIndex(email: string): string {
    return this.#blindIndex(SYSTEM_OWNER, 'user_email', email);
  }

  #blindIndex(scope: string, field: 'email' | 'phone' | 'user_email', value: string): string {
    const normalised = field === 'phone' ? value.replace(/[^0-9]/g, '') : value.normalize('NFC').trim().toLowerCase();
    return createHmac('sha256', this.#blindIndexKey).update(`${field}\n${scope}\n${normalised}`).digest('base64url');
  }
}

function equalStrings(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function createDataKey(q: Queryable, provider: KeyProvider, clock: Clock, owner: string, merchantId: string | null): Promise<DataKeyRow> {
  const key = randomBytes(32);
  const id = DATA_KEY_PREFIX + randomBytes(12).toString('hex');
  const wrappedKey = await provider.wrap(key, `data-key:${id}`);
  key.fill(0);
  return insertDataKeyIfAbsent(q, { id, owner, merchantId, wrappedKey, kekId: provider.kekId, createdAt: new Date(clock.nowMs()) });
}

async function unwrapRow(provider: KeyProvider, row: DataKeyRow): Promise<Buffer> {
  if (!row.wrappedKey || row.destroyedAt) throw new DataKeyDestroyedError(`data key ${row.id} was destroyed: what it sealed cannot be recovered`);
  try {
    return await provider.unwrap(Buffer.from(row.wrappedKey), row.kekId, `data-key:${row.id}`);
  } catch (err) {
    if (err instanceof KekUnavailableError) {
      throw new KeyringMismatchError(
        `Data key ${row.id} (${row.owner}) is wrapped by KEK ${row.kekId}, which this process does not have (it has ${provider.availableKekIds.join(', ')}). Configure that KEK (as current or previous) or finish the KEK rotation.`,
      );
    }
    throw new KeyringMismatchError(
      `Data key ${row.id} (${row.owner}) does not unwrap with KEK ${row.kekId}: the key-encryption key configured here is not the one this database was written with. Supply the original TIJORI_MASTER_KEY (or the right PKCS#11 key).`,
    );
  }
}
