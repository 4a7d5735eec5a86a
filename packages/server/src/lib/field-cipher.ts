import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.js';

const VERSION = 1;
const IV_BYTES = 12; // GCM's native nonce size
const TAG_BYTES = 16;

/**
 * AES-256-GCM for values stored in the database (merchant secrets, customer
 * contact details). Layout: version(1) | iv(12) | tag(16) | ciphertext.
 * The associated data names the table, column and row, so a ciphertext copied
 * into another row or column fails to decrypt instead of being misread.
 */
export class FieldCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('FieldCipher needs a 32-byte key');
    this.#key = key;
  }

  encrypt(plaintext: string, context: string): Buffer {
    // Random 96-bit nonces: unique with overwhelming probability below 2^32 messages per key.
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]);
  }

  /** Throws if the value was altered, moved, or sealed under another key. */
  decrypt(sealed: Uint8Array, context: string): string {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) {
      throw new Error('unknown ciphertext format');
    }
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/**
 * One master key, several independent purposes: HKDF gives each its own key
 * so that, say, a payment-link MAC can never be confused with a ciphertext.
 */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `tijori/${purpose}`, 32));
}
