import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { KekUnavailableError, type KeyProvider } from './key-provider.js';
import {
  assertDataKey,
  authenticationFailed,
  decodeWrapped,
  encodeWrapped,
  NONCE_BYTES,
  wrapAad,
} from './wrapped-key-format.js';

export const KEK_BYTES = 32;

/**
 * The public name of a local KEK: "local:" + 16 hex of SHA-256 over an
 * HKDF-derived fingerprint. HKDF with its own label is one-way and separate
 * from the key's use for wrapping, so the id (stored in every row) reveals
 * nothing about the key and cannot be confused with any other derived value.
 * 64 bits are plenty to tell an operator's handful of KEKs apart.
 */
export function localKekId(kek: Buffer): string {
  assertKek(kek, 'KEK');
  const fingerprint = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'tijori/kek-fingerprint/v1', 32));
  return `local:${createHash('sha256').update(fingerprint).digest('hex').slice(0, 16)}`;
}

function assertKek(kek: Buffer, what: string): void {
  if (!Buffer.isBuffer(kek) || kek.length !== KEK_BYTES) {
    // Never echo the value: a mistyped key is still mostly key.
    throw new TypeError(
      `${what} must be ${KEK_BYTES} bytes (got ${Buffer.isBuffer(kek) ? kek.length : typeof kek}); ` +
        'generate one with `openssl rand -base64 32`',
    );
  }
}

/**
 * KEKs held in this process (from a key file or the environment). AES-256-GCM
 * under the KEK itself, layout in wrapped-key-format.ts. The first KEK wraps;
 * the others only unwrap, which is what lets `rotate-kek` re-wrap online.
 *
 * This is the default, not the strong option: whoever can read the process's
 * key file or environment can unwrap every data key. Use Pkcs11KeyProvider to
 * keep the KEK on a separate device.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly kekId: string;
  readonly availableKekIds: readonly string[];
  readonly #keks = new Map<string, Buffer>();
  #closed = false;

  constructor(keks: readonly Buffer[]) {
    if (!Array.isArray(keks) || keks.length === 0) {
      throw new TypeError('LocalKeyProvider needs at least one KEK (the current one first, older ones after it for rotation)');
    }
    keks.forEach((kek, i) => {
      const what = i === 0 ? 'the current KEK' : `older KEK #${i}`;
      assertKek(kek, what);
      const id = localKekId(kek);
      if (this.#keks.has(id)) throw new TypeError(`${what} repeats an earlier KEK (${id}); list each KEK once`);
      // Our own copy: the caller may zero or reuse its buffer, and close() zeroes ours.
      this.#keks.set(id, Buffer.from(kek));
    });
    this.availableKekIds = Object.freeze([...this.#keks.keys()]);
    this.kekId = this.availableKekIds[0]!;
  }

  async wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    assertDataKey(dataKey);
    const kek = this.#kek(this.kekId);
    // Random 96-bit nonces are safe far beyond our volume (2^32 wraps per KEK, SP 800-38D).
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek, nonce);
    cipher.setAAD(wrapAad(context));
    const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return encodeWrapped({ nonce, tag: cipher.getAuthTag(), ciphertext });
  }

  async unwrap(wrapped: Buffer, kekId: string, context: string): Promise<Buffer> {
    const kek = this.#kek(kekId);
    const aad = wrapAad(context);
    const { nonce, tag, ciphertext } = decodeWrapped(wrapped);
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw authenticationFailed(kekId);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const kek of this.#keks.values()) kek.fill(0);
  }

  #kek(kekId: string): Buffer {
    if (this.#closed) throw new Error('LocalKeyProvider is closed');
    const kek = this.#keks.get(kekId);
    if (!kek) {
      throw new KekUnavailableError(
        `KEK ${kekId} is not configured (available: ${this.availableKekIds.join(', ')}). ` +
          'If data keys are still wrapped under it, add it back as an older KEK until `tijori keys rotate-kek` has re-wrapped them.',
      );
    }
    return kek;
  }
}
