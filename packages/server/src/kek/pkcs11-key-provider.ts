import { randomBytes } from 'node:crypto';
import pkcs11js, { type GcmParams, type Mechanism } from 'pkcs11js';
import { KekUnavailableError, type KeyProvider } from './key-provider.js';
import { ckrName, findSecretKey, readBool, readUlong, TokenSession, type Handle, type Pkcs11, type TokenLoginOptions } from './pkcs11-token.js';
import {
  assertDataKey,
  authenticationFailed,
  DATA_KEY_BYTES,
  decodeWrapped,
  encodeWrapped,
  NONCE_BYTES,
  TAG_BYTES,
  wrapAad,
} from './wrapped-key-format.js';

/*
 * Why PKCS#11: it is the one standard interface that hardware security modules
 * expose, on-premises (Thales Luna, Entrust nShield, Utimaco), as USB devices
 * (YubiHSM 2, Nitrokey HSM) and in the cloud (AWS CloudHSM, Google Cloud HSM
 * via kmsp11, Azure Managed HSM). The KEK is generated inside the token,
 * marked sensitive and non-extractable, and never leaves it: the gateway only
 * asks the token to encrypt or decrypt a 32-byte data key. A stolen database,
 * or even a stolen gateway disk, therefore holds no key that opens the data
 * keys. The same code talks to a real HSM by changing the module path; SoftHSM2
 * from Debian's packages stands in for one in tests.
 *
 * Why CKM_AES_GCM through C_Encrypt/C_Decrypt rather than CKM_AES_KEY_WRAP_PAD
 * through C_WrapKey/C_UnwrapKey: the data key lives in the gateway's memory,
 * not as a token object. Key wrap would first import it into the token as an
 * extractable object, and unwrapping would create a token object we then have
 * to read back (so it must be extractable and not sensitive): more calls, more
 * objects to clean up, and RFC 5649 has no associated data, so the merchant
 * context would need a separate MAC under yet another key. GCM binds the
 * context as AAD in one call each way and gives the byte layout
 * LocalKeyProvider writes (wrapped-key-format.ts).
 *
 * The IV comes from node:crypto (96 random bits), passed in CK_GCM_PARAMS;
 * SoftHSM2 accepts a caller IV. Some HSMs in FIPS mode insist on generating the
 * IV themselves and return it; supporting those means reading the IV back from
 * the mechanism parameters, which this provider does not do yet.
 */

export interface Pkcs11KeyProviderOptions extends TokenLoginOptions {
  /** Label of the KEK that wraps new data keys; kekId = "pkcs11:" + keyLabel. */
  keyLabel: string;
  /** Labels of earlier KEKs still in the token, kept until `rotate-kek` has re-wrapped everything under the current one. */
  olderKeyLabels?: readonly string[];
}

const KEY_LABEL = /^[\x21-\x7e]{1,64}$/; // printable ASCII, no spaces: the label becomes part of the kekId stored in every row
const KEK_ID_PREFIX = 'pkcs11:';

/** Errors that mean the token or session is gone, not that the wrapped bytes are bad. */
const UNAVAILABLE = new Set([
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_MEMORY',
  'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_SESSION_CLOSED',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_KEY_HANDLE_INVALID',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
  'CKR_FUNCTION_FAILED',
]);

export function assertKeyLabel(label: unknown, what: string): asserts label is string {
  if (typeof label !== 'string' || !KEY_LABEL.test(label)) {
    throw new TypeError(`${what} must be 1 to 64 printable ASCII characters without spaces, e.g. "tijori-kek-2026"`);
  }
}

export function pkcs11KekId(keyLabel: string): string {
  return KEK_ID_PREFIX + keyLabel;
}

function gcm(nonce: Buffer, aad: Buffer): Mechanism {
  // CK_GCM_PARAMS as in PKCS#11 2.40 errata and 3.0 (with ulIvBits), the layout SoftHSM2 and current HSMs read.
  const parameter: GcmParams = { type: pkcs11js.CK_PARAMS_GCM, iv: nonce, ivBits: NONCE_BYTES * 8, aad, tagBits: TAG_BYTES * 8 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}

/**
 * Refuses a key the provider must not rely on: wrong type or size, or one that
 * could be read out of the token, which would defeat the point of using one.
 */
function checkKek(lib: Pkcs11, session: Handle, key: Handle, label: string, tokenLabel: string): void {
  const where = `key "${label}" in token "${tokenLabel}"`;
  if (readUlong(lib, session, key, pkcs11js.CKA_KEY_TYPE) !== pkcs11js.CKK_AES) throw new Error(`${where} is not an AES key`);
  if (readUlong(lib, session, key, pkcs11js.CKA_VALUE_LEN) !== 32) throw new Error(`${where} is not 256 bits long`);
  if (readBool(lib, session, key, pkcs11js.CKA_EXTRACTABLE) || !readBool(lib, session, key, pkcs11js.CKA_SENSITIVE)) {
    throw new Error(
      `${where} can leave the token (CKA_EXTRACTABLE true or CKA_SENSITIVE false); a KEK must be sensitive and non-extractable. ` +
        'Create a new one with createKekInToken or `C_GenerateKey` and these attributes.',
    );
  }
  if (!readBool(lib, session, key, pkcs11js.CKA_ENCRYPT) || !readBool(lib, session, key, pkcs11js.CKA_DECRYPT)) {
    throw new Error(`${where} does not allow CKA_ENCRYPT and CKA_DECRYPT, which wrapping with CKM_AES_GCM needs`);
  }
}

/**
 * Wraps data keys with an AES-256 KEK that lives in a PKCS#11 token (an HSM,
 * or SoftHSM2 in tests). One logged-in session is opened here and reused; its
 * calls are queued one at a time, and encryption runs on libuv's thread pool
 * so a network HSM's round trip does not stall the event loop.
 */
export class Pkcs11KeyProvider implements KeyProvider {
  readonly kekId: string;
  readonly availableKekIds: readonly string[];
  readonly #token: TokenSession;
  readonly #keys = new Map<string, Handle>();

  /** Opens the session, logs in, and finds every configured KEK; throws with what to fix if any step fails. */
  constructor(options: Pkcs11KeyProviderOptions) {
    assertKeyLabel(options.keyLabel, 'PKCS#11 keyLabel');
    const labels = [options.keyLabel, ...(options.olderKeyLabels ?? [])];
    labels.forEach((label, i) => {
      if (i > 0) assertKeyLabel(label, `olderKeyLabels[${i - 1}]`);
      if (labels.indexOf(label) !== i) throw new TypeError(`KEK label "${label}" is listed twice; list each KEK once`);
    });
    this.#token = TokenSession.open(options);
    try {
      this.#token.runNow((lib, session) => {
        for (const label of labels) {
          const key = findSecretKey(lib, session, label);
          if (!key) {
            throw new Error(
              `token "${this.#token.tokenLabel}" has no secret key labelled "${label}". Create it with createKekInToken ` +
                '(or your HSM\'s tools), or if it was retired after `rotate-kek`, remove it from the older key labels.',
            );
          }
          checkKek(lib, session, key, label, this.#token.tokenLabel);
          this.#keys.set(pkcs11KekId(label), key);
        }
      });
    } catch (err) {
      void this.#token.close();
      throw err;
    }
    this.availableKekIds = Object.freeze([...this.#keys.keys()]);
    this.kekId = this.availableKekIds[0]!;
  }

  async wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    assertDataKey(dataKey);
    const aad = wrapAad(context);
    const key = this.#key(this.kekId);
    const nonce = randomBytes(NONCE_BYTES);
    let sealed: Buffer;
    try {
      sealed = await this.#token.run((lib, session) => {
        lib.C_EncryptInit(session, gcm(nonce, aad), key);
        return lib.C_EncryptAsync(session, dataKey, Buffer.alloc(DATA_KEY_BYTES + TAG_BYTES));
      });
    } catch (err) {
      throw this.#failure(err, this.kekId, 'wrap');
    }
    if (sealed.length !== DATA_KEY_BYTES + TAG_BYTES) {
      throw new Error(`token returned ${sealed.length} bytes for a GCM wrap, expected ${DATA_KEY_BYTES + TAG_BYTES}`);
    }
    // The token appends the tag; we store it before the ciphertext like every provider.
    return encodeWrapped({ nonce, tag: sealed.subarray(DATA_KEY_BYTES), ciphertext: sealed.subarray(0, DATA_KEY_BYTES) });
  }

  async unwrap(wrapped: Buffer, kekId: string, context: string): Promise<Buffer> {
    const key = this.#key(kekId);
    const aad = wrapAad(context);
    const { nonce, tag, ciphertext } = decodeWrapped(wrapped);
    let dataKey: Buffer;
    try {
      dataKey = await this.#token.run((lib, session) => {
        lib.C_DecryptInit(session, gcm(nonce, aad), key);
        // Room for ciphertext plus tag: some tokens size the output from the input before checking the tag.
        return lib.C_DecryptAsync(session, Buffer.concat([ciphertext, tag]), Buffer.alloc(DATA_KEY_BYTES + TAG_BYTES));
      });
    } catch (err) {
      throw this.#failure(err, kekId, 'unwrap');
    }
    if (dataKey.length !== DATA_KEY_BYTES) throw authenticationFailed(kekId);
    return Buffer.from(dataKey);
  }

  close(): Promise<void> {
    return this.#token.close();
  }

  #key(kekId: string): Handle {
    const key = this.#keys.get(kekId);
    if (!key) {
      throw new KekUnavailableError(
        `KEK ${kekId} is not configured (available: ${this.availableKekIds.join(', ')}). If data keys are still wrapped ` +
          'under it, add its label to the older key labels until `tijori keys rotate-kek` has re-wrapped them.',
      );
    }
    return key;
  }

  /**
   * Sorts a token failure: the device or session being gone means the KEK is
   * unavailable (retry, page someone); anything else on unwrap is treated as
   * bad bytes. SoftHSM2 reports a failed GCM tag as CKR_GENERAL_ERROR, others
   * as CKR_ENCRYPTED_DATA_INVALID, so we cannot insist on one code.
   */
  #failure(err: unknown, kekId: string, op: 'wrap' | 'unwrap'): Error {
    const code = ckrName(err);
    if (code && UNAVAILABLE.has(code)) {
      return new KekUnavailableError(`KEK ${kekId} is unavailable: the token "${this.#token.tokenLabel}" answered ${code} to ${op}`);
    }
    if (!code) return err instanceof Error ? err : new Error(String(err)); // e.g. used after close(): a programmer error
    return op === 'unwrap' ? authenticationFailed(kekId) : new Error(`PKCS#11 wrap under ${kekId} failed: ${code}`);
  }
}
