/**
 * The primitives the SDK computes, all from WebCrypto (globalThis.crypto.subtle),
 * which Node 20+, Deno, Bun, Cloudflare Workers, Vercel's edge runtime and
 * browsers all provide. What is signed, and every check around it, comes
 * from @tijori/signing/messages: nothing here decides what a message is.
 */
import { fromBase64 } from '@tijori/signing/messages';

export function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (s === undefined) {
    throw new TypeError('Tijori: WebCrypto (globalThis.crypto.subtle) is not available here. The SDK needs Node 20 or later, Deno, Bun, or an edge runtime.');
  }
  return s;
}

/** TypeScript 5.7+ types WebCrypto's inputs as ArrayBuffer-backed views; every array here is one. */
function view(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

export function importHmacKey(secret: Uint8Array, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  // Not extractable: the key cannot be read back out of the CryptoKey.
  return subtle().importKey('raw', view(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

export async function hmacSha256(key: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign('HMAC', key, view(message)));
}

/** Compares in constant time (WebCrypto's own HMAC verification). */
export function hmacVerify(key: CryptoKey, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  return subtle().verify('HMAC', key, view(signature), view(message));
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', view(bytes)));
}

/** An Ed25519 public key from the `x` member of a JWK (RFC 8037), for verifying only. */
export function importEd25519PublicJwk(x: string): Promise<CryptoKey> {
  return subtle().importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x }, { name: 'Ed25519' }, false, ['verify']);
}

export function ed25519Verify(key: CryptoKey, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  return subtle().verify({ name: 'Ed25519' }, key, view(signature), view(message));
}

/** Something with Node's KeyObject.export, so a KeyObject can be passed without this module importing node:crypto. */
export interface ExportableKey {
  type?: string;
  export(options: { format: 'pem'; type: 'pkcs8' }): string | Uint8Array;
}

export type PrivateKeyInput = string | CryptoKey | ExportableKey;

export interface SigningKey {
  key: CryptoKey;
  algorithm: AlgorithmIdentifier | RsaPssParams;
}

// The gateway's RSA-PSS parameters (packages/signing public-key.ts): SHA-256, MGF1-SHA-256, a 32-byte salt.
const RSA_PSS: RsaPssParams = { name: 'RSA-PSS', saltLength: 32 };
const NOT_PKCS8 =
  'Tijori: privateKey must be an unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") of an Ed25519 or RSA key, a ' +
  'KeyObject, or a CryptoKey. Convert another format with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.';

/**
 * The private key a merchant registered the public half of, ready to sign
 * v2 requests: Ed25519, or RSA used with RSA-PSS. The message never contains
 * any of the key.
 */
export async function importSigningKey(input: PrivateKeyInput): Promise<SigningKey> {
  if (isCryptoKey(input)) {
    if (input.type !== 'private' || !input.usages.includes('sign')) throw new TypeError('Tijori: privateKey is a CryptoKey that cannot sign; import the private key with the "sign" usage.');
    if (input.algorithm.name === 'Ed25519') return { key: input, algorithm: { name: 'Ed25519' } };
    if (input.algorithm.name === 'RSA-PSS') return { key: input, algorithm: RSA_PSS };
    throw new TypeError(`Tijori: privateKey is a ${input.algorithm.name} CryptoKey; the gateway accepts Ed25519 or RSA-PSS keys.`);
  }
  let pem: unknown = input;
  if (typeof input === 'object' && input !== null && typeof input.export === 'function') {
    if (input.type !== undefined && input.type !== 'private') throw new TypeError(`Tijori: privateKey is a ${input.type} key; signing needs the private key of the pair.`);
    const exported = input.export({ format: 'pem', type: 'pkcs8' });
    pem = typeof exported === 'string' ? exported : new TextDecoder().decode(exported);
  }
  if (typeof pem !== 'string') throw new TypeError(NOT_PKCS8);
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (match === null) throw new TypeError(NOT_PKCS8);
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = view(fromBase64(match[1]!.replace(/\s+/g, '')));
  } catch {
    throw new TypeError(NOT_PKCS8);
  }
  try {
    return { key: await subtle().importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']), algorithm: { name: 'Ed25519' } };
  } catch {
    // Not Ed25519: try RSA below.
  }
  try {
    return { key: await subtle().importKey('pkcs8', der, { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign']), algorithm: RSA_PSS };
  } catch {
    // The importer's own message is not passed on: nothing of the key may reach a log.
    throw new TypeError(NOT_PKCS8);
  }
}

export async function signWith(key: SigningKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(key.algorithm, key.key, view(message)));
}

function isCryptoKey(value: unknown): value is CryptoKey {
  const C = (globalThis as { CryptoKey?: abstract new () => CryptoKey }).CryptoKey;
  return C !== undefined && value instanceof C;
}
