/**
 * The public-key half of verifyRequest: the signature check for a merchant
 * that registered public keys instead of sharing a secret. verifyRequest has
 * already checked presence, version, scheme (v2 only) and the timestamp.
 *
 * Like the rest of verifyRequest it never throws on client input, and no
 * message echoes what the client sent.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { diagnoseRsaSignature, isPublicKeyObject, keyPolicy, MAX_RSA_BITS, verifyMessage, type PublicKeyAlgorithm } from './public-key.js';
import { isBytesOrString, messageBytes } from './bytes.js';
import { v2Parts } from './request-message.js';

export interface PublicKeyCheckInput {
  publicKeys: unknown;
  signature: unknown;
  /** X-TIMESTAMP, already accepted by checkTimestamp. */
  timestamp: string;
  rawBody: unknown;
  method: unknown;
  path: unknown;
}

export type PublicKeyCheck =
  | { ok: true; keyIndex: number; signature: string; replayKey: string }
  | { ok: false; code: 'malformed_signature' | 'signature_mismatch'; message: string };

interface UsableKey {
  index: number;
  key: KeyObject;
  algorithm: PublicKeyAlgorithm;
  signatureLength: number;
  description: string;
}

// The longest X-SIGNATURE worth decoding: base64 of the largest RSA signature
// we accept. Anything longer is refused before a regular expression sees it.
const MAX_SIGNATURE_BYTES = MAX_RSA_BITS / 8;
const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const URL_SAFE_BASE64 = /^[A-Za-z0-9_-]+={0,2}$/;

export function checkPublicKeySignature(input: PublicKeyCheckInput): PublicKeyCheck {
  const keys = usableKeys(input.publicKeys);
  const signature = decodeSignature(input.signature, keys);
  if (signature === undefined || (keys.length > 0 && !keys.some((k) => k.signatureLength === signature.length))) {
    return { ok: false, code: 'malformed_signature', message: malformedMessage(input.signature, signature, keys) };
  }

  const { rawBody, method, path } = input;
  // A caller that passed no usable raw body, method or path gets a mismatch:
  // there is no message to check the signature against, so nothing verifies.
  if (!isBytesOrString(rawBody) || typeof method !== 'string' || typeof path !== 'string') {
    return { ok: false, code: 'signature_mismatch', message: PUBLIC_KEY_MISMATCH };
  }
  const message = messageBytes(v2Parts(method, path, rawBody, input.timestamp));

  const candidates = keys.filter((k) => k.signatureLength === signature.length);
  for (const candidate of candidates) {
    if (safeVerify(candidate, message, signature)) {
      return {
        ok: true,
        keyIndex: candidate.index,
        signature: signature.toString('base64'),
        // The message, not the signature: RSA-PSS signatures are randomised, so
        // one request can be sent with many valid signatures, and it is the
        // request that must not execute twice. Scope it by API key when storing.
        replayKey: `sha256:${createHash('sha256').update(message).digest('hex')}`,
      };
    }
  }
  return { ok: false, code: 'signature_mismatch', message: mismatchHint(candidates, message, signature) + PUBLIC_KEY_MISMATCH };
}

/** The entries the key policy accepts, keeping their positions; anything else is skipped, never trusted. */
function usableKeys(publicKeys: unknown): UsableKey[] {
  const list: readonly unknown[] = Array.isArray(publicKeys) ? publicKeys : [];
  const usable: UsableKey[] = [];
  for (let index = 0; index < list.length; index++) {
    try {
      const key = list[index];
      if (!isPublicKeyObject(key)) continue;
      const policy = keyPolicy(key);
      if (policy.ok) usable.push({ index, key, ...policy });
    } catch {
      // Something that only looks like a KeyObject: skip it, as for any other non-key.
    }
  }
  return usable;
}

function safeVerify(candidate: UsableKey, message: Uint8Array, signature: Buffer): boolean {
  try {
    return verifyMessage(candidate.algorithm, candidate.key, message, signature);
  } catch {
    return false;
  }
}

/**
 * Base64, standard or URL-safe alphabet (not mixed), padding optional but
 * correct when present, and canonical (unused trailing bits zero), so that
 * each signature has exactly one accepted spelling. Undefined if not.
 */
function decodeSignature(value: unknown, keys: readonly UsableKey[]): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const longest = keys.length > 0 ? Math.max(...keys.map((k) => k.signatureLength)) : MAX_SIGNATURE_BYTES;
  if (value.length > Math.ceil(longest / 3) * 4) return undefined;
  if (!STANDARD_BASE64.test(value) && !URL_SAFE_BASE64.test(value)) return undefined;
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length !== value.length ? value.length % 4 !== 0 : unpadded.length % 4 === 1) return undefined;
  const bytes = Buffer.from(unpadded, 'base64'); // Node decodes both alphabets
  const standard = unpadded.replace(/-/g, '+').replace(/_/g, '/');
  if (bytes.toString('base64').replace(/=+$/, '') !== standard) return undefined;
  return bytes;
}

function malformedMessage(value: unknown, decoded: Buffer | undefined, keys: readonly UsableKey[]): string {
  const lengths = [...new Map(keys.map((k) => [k.signatureLength, `${k.signatureLength} bytes for ${k.description}`])).values()];
  const expected = lengths.length > 0 ? ` The registered key needs ${lengths.join(', or ')}.` : '';
  const base =
    'X-SIGNATURE must be base64 for public-key signatures: the raw signature bytes, base64-encoded ' +
    '(standard or URL-safe alphabet, padding optional), on one line, with X-SIGNATURE-VERSION: 2.' +
    expected;
  if (typeof value !== 'string') return base;
  if (/\s/.test(value)) return `${base} Remove the spaces and line breaks (base64 -w0 does not wrap lines).`;
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    return `${base} This looks like a hex HMAC-SHA256 digest; this API key is registered with a public key, so sign with your private key, not a secret.`;
  }
  if (/^[0-9a-fA-F]+$/.test(value) && keys.some((k) => value.length === 2 * k.signatureLength)) {
    return `${base} This looks like hex; encode the signature bytes as base64 instead.`;
  }
  if (decoded !== undefined) return `${base} It decodes to ${decoded.length} bytes.`;
  return `${base} Received ${value.length} characters that are not valid base64.`;
}

/** A sharper first sentence when an RSA signature is valid but made with the wrong padding or salt length. */
function mismatchHint(candidates: readonly UsableKey[], message: Uint8Array, signature: Buffer): string {
  for (const candidate of candidates) {
    if (candidate.algorithm !== 'rsa-pss-sha256') continue;
    let diagnosis: ReturnType<typeof diagnoseRsaSignature>;
    try {
      diagnosis = diagnoseRsaSignature(candidate.key, message, signature);
    } catch {
      continue;
    }
    if (diagnosis === 'pkcs1-v1_5') {
      return 'This signature uses RSA PKCS#1 v1.5 padding; RSA-PSS is required (openssl: -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32). ';
    }
    if (diagnosis === 'pss-other-salt-length') {
      return 'This RSA-PSS signature uses a salt length other than 32 bytes; use a 32-byte salt (openssl: -sigopt rsa_pss_saltlen:32). ';
    }
  }
  return '';
}

const PUBLIC_KEY_MISMATCH =
  'X-SIGNATURE does not match the public key registered for this API key. For public-key signatures, sign ' +
  'METHOD + PATH + BODY + TIMESTAMP (concatenated with no separators, as for X-SIGNATURE-VERSION 2) with the private key ' +
  'matching the registered public key, and send the signature base64-encoded. Check that: ' +
  '(1) METHOD is upper case (POST, GET); ' +
  '(2) PATH is the request path including the query string, exactly as sent, without scheme or host; ' +
  '(3) BODY is the exact raw body bytes you send (empty for a request without a body); ' +
  '(4) TIMESTAMP is the string exactly as sent in X-TIMESTAMP, in seconds, not milliseconds; ' +
  '(5) for Ed25519 you sign the message itself, not a hash of it (openssl pkeyutl -sign -rawin); for RSA you use ' +
  'RSA-PSS with SHA-256 and a 32-byte salt (openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32); ' +
  '(6) the private key is the one whose public key is registered: compare the fingerprints.';

export const PUBLIC_KEY_MISSING_SIGNATURE =
  'The X-SIGNATURE header is missing. This API key is registered with a public key: send X-SIGNATURE-VERSION: 2 and ' +
  'X-SIGNATURE = base64(signature over METHOD + PATH + BODY + TIMESTAMP made with your private key).';

export const PUBLIC_KEY_NEEDS_V2 =
  'Public-key signatures must use X-SIGNATURE-VERSION: 2. This API key is registered with a public key, so version 1 ' +
  '(HMAC over BODY + TIMESTAMP) is not accepted: send X-SIGNATURE-VERSION: 2 and sign METHOD + PATH + BODY + TIMESTAMP ' +
  'with your private key, base64-encoding the signature.';

export const PUBLIC_KEY_V2_DISABLED =
  'Public-key signatures must use X-SIGNATURE-VERSION: 2, and this server or endpoint does not accept version 2. ' +
  'This is a server configuration problem, not a fault in your request; please contact support.';
