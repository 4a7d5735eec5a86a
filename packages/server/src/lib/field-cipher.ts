import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.js';

const LEGACY_VERSION = 1;
const VERSION = 2;
const IV_BYTES = 12; // GCM's native nonce size
const TAG_BYTES = 16;

/**
 * AES-256-GCM for values stored in the database (merchant secrets, webhook
 * secrets, customer contact details). Layout, version 2:
 * version(1) | key id length(1) | key id (ASCII) | iv(12) | tag(16) | ciphertext,
 * where the key id names the data key that sealed it (data_keys.id), so a
 * reader knows which key to fetch. Version 1 (no key id, sealed under a key
 * derived from the master key) is read for upgrades only.
 * The associated data names the table, column and row, and the key id, so a
 * ciphertext copied into another row or column, or relabelled with another
 * key id, fails to decrypt instead of being misread.
 */
export class FieldCipher {
  readonly #key: Buffer;
  readonly keyId: string | undefined;
  readonly #keyIdBytes: Buffer;

  /** Without a key id the cipher only opens version 1 values (legacy upgrade). */
  constructor(key: Buffer, keyId?: string) {
    if (key.length !== 32) throw new TypeError('FieldCipher needs a 32-byte key');
    if (keyId !== undefined && !/^[\x21-\x7e]{1,255}$/.test(keyId)) throw new TypeError('a key id is 1-255 printable ASCII characters');
    this.#key = key;
    this.keyId = keyId;
    this.#keyIdBytes = Buffer.from(keyId ?? '', 'ascii');
  }

  encrypt(plaintext: string, context: string): Buffer {
    if (this.keyId === undefined) throw new Error('this cipher only opens legacy values');
    // Random 96-bit nonces: unique with overwhelming probability below 2^32 messages per key.
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(context, this.keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION, this.#keyIdBytes.length), this.#keyIdBytes, iv, cipher.getAuthTag(), body]);
  }

  /** Throws if the value was altered, moved, or sealed under another key. */
  decrypt(sealed: Uint8Array, context: string): string {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    let offset: number;
    let additional: Buffer;
    if (buf[0] === VERSION && this.keyId !== undefined) {
      const id = sealedKeyId(buf);
      if (id !== this.keyId) throw new Error('sealed under another data key');
      offset = 2 + this.#keyIdBytes.length;
      additional = aad(context, this.keyId);
    } else if (buf[0] === LEGACY_VERSION && this.keyId === undefined) {
      offset = 1;
      additional = Buffer.from(context, 'utf8');
    } else {
      throw new Error('unknown ciphertext format');
    }
    if (buf.length < offset + IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
    const iv = buf.subarray(offset, offset + IV_BYTES);
    const tag = buf.subarray(offset + IV_BYTES, offset + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAAD(additional);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(offset + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

function aad(context: string, keyId: string): Buffer {
  return Buffer.from(`${context}\n${keyId}`, 'utf8');
}

/** The data key a version-2 value was sealed with; undefined for a legacy (version 1) value. Throws on anything else. */
export function sealedKeyId(sealed: Uint8Array): string | undefined {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf[0] === LEGACY_VERSION) return undefined;
  const length = buf[1] ?? 0;
  if (buf[0] !== VERSION || length === 0 || buf.length < 2 + length + IV_BYTES + TAG_BYTES) throw new Error('unknown ciphertext format');
  return buf.subarray(2, 2 + length).toString('ascii');
}

/**
 * One key, several independent purposes: HKDF gives each its own key
 * so that, say, a payment-link MAC can never be confused with a ciphertext.
 */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `tijori/${purpose}`, 32));
}
