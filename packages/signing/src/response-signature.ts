/**
 * Signed responses (RFC 9421 HTTP Message Signatures with Ed25519) with
 * node:crypto: the gateway signs every /api/ reply, a merchant verifies it.
 * The headers, the signature base and every check that needs no primitive
 * are in response-message.ts, shared with the SDK's WebCrypto verifier.
 */
import { createHash, createPublicKey, type JsonWebKey, KeyObject, sign, verify } from 'node:crypto';
import {
  contentDigestValue,
  OWS,
  prepareResponseVerification,
  PRINTABLE_ASCII,
  RESPONSE_SIGNATURE_ALGORITHM,
  RESPONSE_SIGNATURE_LABEL,
  type ResponseSignatureHeaders,
  type ResponseSigningJwk,
  type ResponseVerificationInput,
  type ResponseVerifyFailureCode,
  UNEXPECTED_RESPONSE_INPUT,
  type VerifyResponseResult,
} from './response-message.js';
import { serializeString } from './structured-fields.js';

export {
  type ComponentId,
  type CoveredComponent,
  DEFAULT_RESPONSE_MAX_AGE_SECONDS,
  RESPONSE_SIGNATURE_ALGORITHM,
  RESPONSE_SIGNATURE_LABEL,
  RESPONSE_VERIFY_FAILURE_CODES,
  type ResponseHeaders,
  type ResponseSignatureHeaders,
  type ResponseSigningJwk,
  type ResponseVerifyFailureCode,
  signatureBase,
  signatureParamsValue,
  type VerifyResponseResult,
} from './response-message.js';

export interface SignResponseInput {
  /** The reply's HTTP status code. */
  status: number;
  /** contentDigest(body) over the exact bytes sent. */
  contentDigest: string;
  /** The request's X-SIGNATURE as received; undefined (or empty) when it had none. */
  requestSignature: string | undefined;
  /** The key's id, published as `kid` in the JWKS. */
  keyId: string;
  /** An Ed25519 private KeyObject (create it once: crypto.createPrivateKey is far slower than signing). */
  privateKey: KeyObject;
  /** UNIX seconds. */
  created: number;
}

/** Where the verifier finds the gateway's public key: a JWK Set (object or JSON text), or a key / a lookup by key id. */
export type ResponseKeySource = KeyObject | string | ((keyId: string) => KeyObject | string | undefined);

export interface VerifyResponseInput extends Omit<ResponseVerificationInput, 'publicKey'> {
  /** Instead of jwks: a public key (KeyObject or SPKI PEM), or a function from key id to one. */
  publicKey?: ResponseKeySource;
}

/** RFC 9530 Content-Digest with SHA-256: `sha-256=:<base64>:`. A string body is hashed as UTF-8. */
export function contentDigest(body: Uint8Array | string): string {
  return contentDigestValue(createHash('sha256').update(body).digest());
}

const SHA256_DIGEST = /^sha-256=:[A-Za-z0-9+/]{43}=:$/;
const COVERED_BOUND = '("@status" "content-digest" "x-signature";req)';
const COVERED_UNBOUND = '("@status" "content-digest")';

/**
 * Signs one reply. Returns the Signature-Input and Signature header values;
 * the caller also sends Content-Digest (the same `contentDigest` string).
 * Throws TypeError for programmer errors (not an Ed25519 private key, a
 * status that is not an HTTP status, a request signature that is not
 * printable ASCII); the message never contains key material.
 */
export function signResponse(input: SignResponseInput): ResponseSignatureHeaders {
  const { privateKey, params, base } = prepareSignature(input);
  return signatureHeaders(params, sign(null, base, privateKey));
}

function prepareSignature(input: SignResponseInput): { privateKey: KeyObject; params: string; base: Buffer } {
  const { status, contentDigest: digest, keyId, privateKey, created } = input;
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('signResponse: privateKey must be an Ed25519 private KeyObject (crypto.createPrivateKey)');
  }
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new TypeError('signResponse: status must be the HTTP status code, 100 to 599');
  if (!Number.isSafeInteger(created) || created < 0) throw new TypeError('signResponse: created must be whole UNIX seconds');
  if (typeof keyId !== 'string' || keyId === '' || !PRINTABLE_ASCII.test(keyId)) throw new TypeError('signResponse: keyId must be a non-empty printable ASCII string');
  if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) throw new TypeError('signResponse: contentDigest must be contentDigest(body)');
  const requestSignature = input.requestSignature?.replace(OWS, '');
  const bound = requestSignature !== undefined && requestSignature !== '';
  if (bound && !PRINTABLE_ASCII.test(requestSignature)) throw new TypeError('signResponse: requestSignature is not printable ASCII on one line');
  // Spelled out rather than through signatureBase: this runs on every reply. The tests check that both agree.
  const params = `${bound ? COVERED_BOUND : COVERED_UNBOUND};created=${created};keyid=${serializeString(keyId)};alg="${RESPONSE_SIGNATURE_ALGORITHM}"`;
  const base = `"@status": ${status}\n"content-digest": ${digest}\n${bound ? `"x-signature";req: ${requestSignature}\n` : ''}"@signature-params": ${params}`;
  return { privateKey, params, base: Buffer.from(base, 'latin1') };
}

function signatureHeaders(params: string, signature: Buffer): ResponseSignatureHeaders {
  return {
    'signature-input': `${RESPONSE_SIGNATURE_LABEL}=${params}`,
    signature: `${RESPONSE_SIGNATURE_LABEL}=:${signature.toString('base64')}:`,
  };
}

/** The public half of a signing key as the JWK the JWKS lists (RFC 8037 OKP, with kid, use and alg). */
export function publicJwk(key: KeyObject, keyId: string): ResponseSigningJwk {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new TypeError('publicJwk: the key must be Ed25519');
  const { x } = pub.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: x as string, kid: keyId, use: 'sig', alg: 'EdDSA' };
}

/**
 * Verifies a reply's signature. Checks, in order: the inputs, the three
 * headers, the algorithm, that the status, Content-Digest and (when you
 * pass requestSignature) your request's X-SIGNATURE are covered, the body
 * against Content-Digest, the age, the key, then the Ed25519 signature.
 * Never throws: failures come back as { ok: false, code, message }, and the
 * message says what to check.
 */
export function verifyResponse(input: VerifyResponseInput): VerifyResponseResult {
  try {
    const body: unknown = (input as Partial<VerifyResponseInput> | null | undefined)?.body;
    const digest = typeof body === 'string' || body instanceof Uint8Array ? createHash('sha256').update(body).digest() : undefined;
    const plan = prepareResponseVerification(input, digest);
    if (!plan.ok) return plan;
    const key = plan.jwk !== undefined ? jwkPublicKey(plan.jwk.x) : publicKeyFor(input.publicKey, plan.keyId);
    if (!(key instanceof KeyObject)) return key;
    if (plan.base === undefined || !verify(null, plan.base, key, plan.signature)) return plan.mismatch;
    return { ok: true, keyId: plan.keyId, created: plan.created };
  } catch {
    // Fail closed. Nothing here is expected to throw; the garbage-input test checks it.
    return UNEXPECTED_RESPONSE_INPUT;
  }
}

function publicKeyFor(publicKey: unknown, keyId: string): KeyObject | VerifyResponseResult {
  const found = typeof publicKey === 'function' ? (publicKey as (kid: string) => unknown)(keyId) : publicKey;
  if (found === undefined || found === null) return failure('unknown_key', `publicKey has no key for ${keyId}. Fetch /.well-known/jwks.json again: the gateway may have rotated its key.`);
  const key = found instanceof KeyObject ? found : typeof found === 'string' ? createPublicKey(found) : undefined;
  const pub = key?.type === 'private' ? createPublicKey(key) : key;
  if (pub === undefined || pub.type !== 'public' || pub.asymmetricKeyType !== 'ed25519') return failure('invalid_key', 'publicKey must be an Ed25519 public key: a KeyObject or an SPKI PEM.');
  return pub;
}

// Importing a JWK costs several times the verification itself; a client checks every reply against the same few keys.
const jwkKeys = new Map<string, KeyObject>();
const JWK_CACHE_MAX = 32;

function jwkPublicKey(x: string): KeyObject {
  let key = jwkKeys.get(x);
  if (key === undefined) {
    // Only the public member: a JWK carrying "d" must not turn into a private key here.
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x } as JsonWebKey, format: 'jwk' });
    if (jwkKeys.size >= JWK_CACHE_MAX) jwkKeys.clear();
    jwkKeys.set(x, key);
  }
  return key;
}

function failure(code: ResponseVerifyFailureCode, message: string): VerifyResponseResult {
  return { ok: false, code, message };
}
