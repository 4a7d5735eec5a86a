/**
 * Public keys a merchant registers instead of a shared secret: Ed25519, or
 * RSA (2048 to 8192 bits) used with RSA-PSS. The server then holds nothing
 * that could forge that merchant's requests.
 *
 * This file owns the key policy and the two signature primitives, so that
 * registration (parsePublicKey), signing (signRequest) and verification
 * (verifyRequest) can never disagree on which keys are acceptable or on the
 * padding and salt that RSA-PSS uses.
 */
import { constants, createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

export type PublicKeyAlgorithm = 'ed25519' | 'rsa-pss-sha256';

export type PublicKeyParse =
  | {
      ok: true;
      key: KeyObject;
      algorithm: PublicKeyAlgorithm;
      /** 'SHA256:' + unpadded base64 of SHA-256 over the DER SPKI, written the way ssh-keygen -l writes fingerprints. */
      fingerprint: string;
      /** The key re-encoded as a normalised SPKI PEM ("-----BEGIN PUBLIC KEY-----", 64-column lines, trailing newline). */
      pem: string;
    }
  | { ok: false; reason: string };

// 2048 bits is NIST's floor for RSA signatures (SP 800-131A). Above 8192 bits
// a key adds verification cost on every request for no practical gain, and
// OpenSSL refuses public operations above 16384 bits anyway.
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
// e = 1 makes every message its own "signature"; an even e is not RSA. The
// upper bound keeps verification cheap: real keys use 65537 (or 3).
const MAX_RSA_EXPONENT = 2n ** 32n;

/** The longest PEM we look at: an 8192-bit SPKI is about 1.4 kB. Longer input is refused before any parsing. */
const MAX_PEM_LENGTH = 16 * 1024;

const RSA_PSS_OPTIONS = {
  padding: constants.RSA_PKCS1_PSS_PADDING,
  // RSA_PSS_SALTLEN_DIGEST: the salt is as long as the SHA-256 digest, 32 bytes
  // (openssl: -sigopt rsa_pss_saltlen:32). Verification insists on exactly
  // that, so a client using another salt length gets a specific message.
  saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
} as const;

export type KeyPolicy =
  | { ok: true; algorithm: PublicKeyAlgorithm; signatureLength: number; description: string }
  | { ok: false; reason: string };

const GENERATE_HINT =
  'Generate an Ed25519 pair with `openssl genpkey -algorithm ed25519 -out private.pem` ' +
  '(or RSA with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem`), ' +
  'then register the output of `openssl pkey -in private.pem -pubout`.';

/**
 * Whether a public or private KeyObject is one we sign and verify with, and
 * the exact signature length it produces. Applied at registration, when
 * signing and again when verifying, so a key built some other way cannot slip
 * past the rules.
 */
export function keyPolicy(key: KeyObject): KeyPolicy {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return { ok: true, algorithm: 'ed25519', signatureLength: 64, description: 'Ed25519' };
  if (type === 'rsa') {
    const { modulusLength, publicExponent } = key.asymmetricKeyDetails ?? {};
    if (typeof modulusLength !== 'number' || typeof publicExponent !== 'bigint') {
      return { ok: false, reason: 'The RSA key could not be read.' };
    }
    if (modulusLength < MIN_RSA_BITS) {
      return {
        ok: false,
        reason: `This RSA key is ${modulusLength} bits; at least ${MIN_RSA_BITS} bits are required. ${GENERATE_HINT}`,
      };
    }
    if (modulusLength > MAX_RSA_BITS) {
      return {
        ok: false,
        reason: `This RSA key is ${modulusLength} bits; at most ${MAX_RSA_BITS} are accepted (2048 to 4096 is usual). ${GENERATE_HINT}`,
      };
    }
    if (publicExponent < 3n || publicExponent % 2n === 0n || publicExponent >= MAX_RSA_EXPONENT) {
      return { ok: false, reason: `This RSA key's public exponent is unusable; use the standard 65537. ${GENERATE_HINT}` };
    }
    return {
      ok: true,
      algorithm: 'rsa-pss-sha256',
      signatureLength: Math.ceil(modulusLength / 8),
      description: `RSA-${modulusLength}`,
    };
  }
  return { ok: false, reason: unsupportedTypeReason(type) };
}

function unsupportedTypeReason(type: string | undefined): string {
  switch (type) {
    case 'rsa-pss':
      // The key itself is fine, but its SPKI is marked id-RSASSA-PSS, which
      // many languages' libraries cannot load; a plain RSA key signs with PSS all the same.
      return (
        'This RSA key is encoded as RSASSA-PSS-only (openssl genpkey -algorithm RSA-PSS). Register a plain RSA key ' +
        '(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048); it is still used with RSA-PSS signatures.'
      );
    case 'ec':
      return `EC (ECDSA) keys are not accepted; use Ed25519 or RSA of at least ${MIN_RSA_BITS} bits. ${GENERATE_HINT}`;
    case 'x25519':
    case 'x448':
      return `An ${type.toUpperCase()} key is for key agreement, not signatures; use Ed25519. ${GENERATE_HINT}`;
    default:
      return `${type === undefined ? 'This key type is' : `Keys of type ${type} are`} not accepted; use Ed25519 or RSA of at least ${MIN_RSA_BITS} bits. ${GENERATE_HINT}`;
  }
}

/** Signs a message with a private key the policy accepts. Ed25519 signs the message itself; RSA signs its SHA-256 with PSS. */
export function signMessage(algorithm: PublicKeyAlgorithm, privateKey: KeyObject, message: Uint8Array): Buffer {
  return algorithm === 'ed25519'
    ? sign(null, message, privateKey)
    : sign('sha256', message, { key: privateKey, ...RSA_PSS_OPTIONS });
}

/**
 * Verifies a signature made by signMessage.
 *
 * Ed25519: OpenSSL rejects non-canonical signatures (S not below the group
 * order), so a valid signature cannot be altered into a second valid one; we
 * rely on that for non-malleability. The replay key is the message digest
 * anyway, never the signature, so even a malleated signature could not replay
 * a request. (It has to be the digest: RSA-PSS signatures are randomised, so
 * one request can arrive with many valid signatures.)
 */
export function verifyMessage(algorithm: PublicKeyAlgorithm, publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return algorithm === 'ed25519'
    ? verify(null, message, publicKey, signature)
    : verify('sha256', message, { key: publicKey, ...RSA_PSS_OPTIONS }, signature);
}

/**
 * For an RSA signature that failed verifyMessage: is it a valid signature
 * made with the wrong padding or salt length? Used only to word the failure,
 * never to accept anything. Anyone holding the public key could compute the
 * same answer, so it reveals nothing.
 */
export function diagnoseRsaSignature(
  publicKey: KeyObject,
  message: Uint8Array,
  signature: Uint8Array,
): 'pkcs1-v1_5' | 'pss-other-salt-length' | undefined {
  if (verify('sha256', message, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature)) return 'pkcs1-v1_5';
  const anySalt = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO };
  if (verify('sha256', message, anySalt, signature)) return 'pss-other-salt-length';
  return undefined;
}

/**
 * Accepts an SPKI PEM ("-----BEGIN PUBLIC KEY-----") of an Ed25519 key or of
 * an RSA key of at least 2048 bits; refuses private keys (with a reason
 * warning never to send a private key), EC, DSA and other types, RSA below
 * 2048 bits, and junk. Never throws. The reason is written for the merchant.
 */
export function parsePublicKey(pem: string): PublicKeyParse {
  try {
    return parse(pem);
  } catch {
    return { ok: false, reason: `The public key could not be read. ${GENERATE_HINT}` };
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END ([A-Z0-9 ]+)-----/g;

function parse(pem: unknown): PublicKeyParse {
  if (typeof pem !== 'string' || pem.trim() === '') {
    return refuse(`Expected a public key in PEM form, starting with "-----BEGIN PUBLIC KEY-----". ${GENERATE_HINT}`);
  }
  if (pem.length > MAX_PEM_LENGTH) return refuse(`This is too long to be a public key. ${GENERATE_HINT}`);

  // Checked before anything else, and anywhere in the text: a private key
  // pasted alongside a public one is just as compromised.
  if (/PRIVATE KEY/.test(pem) || /PuTTY-User-Key-File/.test(pem)) {
    return refuse(
      'This is a PRIVATE key. Never send your private key to anyone, us included: it is what proves a request is ' +
        'yours. Treat this key as compromised, delete it, generate a new pair, and register only the public half ' +
        '(`openssl pkey -in private.pem -pubout`), which starts with "-----BEGIN PUBLIC KEY-----".',
    );
  }
  if (/^\s*(ssh-|ecdsa-sha2-|sk-)/.test(pem)) {
    return refuse(`This is an OpenSSH public key; register a PEM public key ("-----BEGIN PUBLIC KEY-----") instead. ${GENERATE_HINT}`);
  }

  const blocks = [...pem.matchAll(BLOCK)];
  if (blocks.length === 0) {
    return refuse(`Expected a PEM block starting with "-----BEGIN PUBLIC KEY-----" and ending with "-----END PUBLIC KEY-----". ${GENERATE_HINT}`);
  }
  if (blocks.length > 1) return refuse('Register one public key at a time: this text holds several PEM blocks.');
  const [block] = blocks as [RegExpMatchArray];
  const label = block[1];
  if (label !== block[3]) return refuse('The BEGIN and END lines of this PEM block do not match.');
  if (label === 'CERTIFICATE') {
    return refuse('This is a certificate. Register the public key inside it: `openssl x509 -in certificate.pem -pubkey -noout`.');
  }
  if (label === 'RSA PUBLIC KEY') {
    return refuse(
      'This is a PKCS#1 RSA public key ("BEGIN RSA PUBLIC KEY"). Convert it to the SPKI form ("BEGIN PUBLIC KEY") ' +
        'with `openssl rsa -RSAPublicKey_in -in public.pem -pubout`.',
    );
  }
  if (label !== 'PUBLIC KEY') return refuse(`Expected "-----BEGIN PUBLIC KEY-----", not "-----BEGIN ${label}-----". ${GENERATE_HINT}`);
  if (pem.replace(block[0]!, '').trim() !== '') {
    return refuse('Paste the PEM block alone, from "-----BEGIN PUBLIC KEY-----" to "-----END PUBLIC KEY-----", with nothing around it.');
  }

  const body = block[2]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    return refuse(`The PEM body is not valid base64; the key may have been cut or edited. ${GENERATE_HINT}`);
  }
  const der = Buffer.from(body, 'base64');
  if (derLength(der) !== der.length) {
    return refuse(`The PEM body is not a single DER-encoded public key; it may have been cut or have extra data. ${GENERATE_HINT}`);
  }

  let key: KeyObject;
  try {
    // DER with an explicit SPKI type, so neither a private key nor a
    // certificate can be accepted by way of the PEM parser's flexibility.
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return refuse(`The PEM block does not contain a public key that could be read. ${GENERATE_HINT}`);
  }

  const policy = keyPolicy(key);
  if (!policy.ok) return refuse(policy.reason);
  return {
    ok: true,
    key,
    algorithm: policy.algorithm,
    fingerprint: fingerprintOf(key),
    pem: key.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** 'SHA256:' + unpadded base64 of SHA-256 over the key's canonical DER SPKI. */
export function fingerprintOf(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** The length a DER SEQUENCE says it has (header included), or -1; node accepts trailing bytes after an SPKI, we do not. */
function derLength(der: Buffer): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 2 || der.length < 2 + count) return -1; // an SPKI is under 64 kB
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}

/**
 * Whether verifyRequest should use public keys instead of secrets: any value
 * but undefined, null and an empty array. A non-array here is a caller's
 * mistake; it selects public keys (with none usable), so it fails closed
 * rather than silently falling back to the shared secrets.
 */
export function publicKeysGiven(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return !Array.isArray(value) || value.length > 0;
}

/** A KeyObject holding a public key, without trusting anything about the value. */
export function isPublicKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject && value.type === 'public';
}

function refuse(reason: string): PublicKeyParse {
  return { ok: false, reason };
}
