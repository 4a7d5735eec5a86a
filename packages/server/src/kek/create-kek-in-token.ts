import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { assertKeyLabel, pkcs11KekId } from './pkcs11-key-provider.js';
import { findSecretKey, TokenSession, type TokenLoginOptions } from './pkcs11-token.js';

export interface CreateKekOptions extends TokenLoginOptions {
  /** Label for the new KEK; it becomes the kekId "pkcs11:<keyLabel>". */
  keyLabel: string;
}

/**
 * Generates a new AES-256 KEK inside the token with C_GenerateKey, so its
 * value is never outside the device, not even at birth. Used by the tests and
 * by the operator's KEK set-up and rotation commands. Returns the new kekId.
 * Refuses a label already in use: two keys with one label would make every
 * wrapped key ambiguous.
 */
export async function createKekInToken(options: CreateKekOptions): Promise<string> {
  assertKeyLabel(options.keyLabel, 'PKCS#11 keyLabel');
  const token = TokenSession.open(options);
  try {
    await token.run((lib, session) => {
      if (findSecretKey(lib, session, options.keyLabel)) {
        throw new Error(`token "${token.tokenLabel}" already holds a secret key labelled "${options.keyLabel}"; choose a new label (e.g. with the year)`);
      }
      lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_LABEL, value: options.keyLabel },
        { type: pkcs11js.CKA_ID, value: randomBytes(16) },
        { type: pkcs11js.CKA_TOKEN, value: true }, // persists in the token, not just this session
        { type: pkcs11js.CKA_PRIVATE, value: true }, // invisible without the user PIN
        { type: pkcs11js.CKA_SENSITIVE, value: true }, // CKA_VALUE can never be read
        { type: pkcs11js.CKA_EXTRACTABLE, value: false }, // cannot be wrapped out under another key
        { type: pkcs11js.CKA_COPYABLE, value: false }, // no C_CopyObject into a weaker template
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        // One purpose only: it cannot wrap other token keys, sign, or derive keys.
        { type: pkcs11js.CKA_WRAP, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_SIGN, value: false },
        { type: pkcs11js.CKA_VERIFY, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ]);
    });
  } finally {
    await token.close();
  }
  return pkcs11KekId(options.keyLabel);
}
