/**
 * Request verification: the server's side of signRequest.
 *
 * Expected failures are values ({ ok: false, code, message }), never
 * exceptions: whatever a client sends, and whatever shape the caller passes,
 * verifyRequest returns. Each message tells the integrator what to check and
 * never contains a secret or echoes unvalidated input.
 */
import { type KeyObject, timingSafeEqual } from 'node:crypto';
import { tryCanonicalJson } from './canonical-json.js';
import { publicKeysGiven } from './public-key.js';
import { checkTimestamp, MISSING_TIMESTAMP_MESSAGE } from './timestamp.js';
import { isBytesOrString, type MessagePart } from './bytes.js';
import { type SignatureScheme, v1Parts, v2Parts } from './request-message.js';
import { hmacDigest } from './sign-request.js';
import {
  checkPublicKeySignature,
  PUBLIC_KEY_MISSING_SIGNATURE,
  PUBLIC_KEY_NEEDS_V2,
  PUBLIC_KEY_V2_DISABLED,
} from './verify-public-key.js';

export interface VerifyRequestInput {
  /** Several during a key-rotation overlap; the first that matches wins. Ignored when publicKeys is non-empty. */
  secrets: ReadonlyArray<string | Uint8Array>;
  /**
   * The merchant's registered public keys (from parsePublicKey), several
   * during a rotation; the first that verifies wins. When non-empty they are
   * used INSTEAD of secrets: only v2 is accepted, the signature is base64,
   * and no shared secret is consulted.
   */
  publicKeys?: ReadonlyArray<KeyObject>;
  /** X-SIGNATURE: hex in either case for HMAC; base64 (standard or URL-safe, padding optional) for public keys. */
  signature: string | undefined;
  /** X-TIMESTAMP. */
  timestamp: string | undefined;
  /** X-SIGNATURE-VERSION: absent or '1' selects v1, '2' selects v2. */
  version?: string | undefined;
  rawBody: string | Uint8Array;
  /** Present (not undefined) when the body parsed as JSON; enables the v1 canonical form. */
  parsedBody?: unknown;
  method: string;
  /** Path including the query string, exactly as received. */
  path: string;
  nowSeconds: number;
  toleranceSeconds?: number;
  /** Default ['v1', 'v2']. */
  allowedSchemes?: readonly SignatureScheme[];
}

export type VerifyFailureCode =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'malformed_signature'
  | 'malformed_timestamp'
  | 'timestamp_in_milliseconds'
  | 'timestamp_outside_window'
  | 'unsupported_version'
  | 'scheme_not_allowed'
  | 'signature_mismatch';

/** Every failure code, in the order the checks run; for error catalogues and their tests. */
export const VERIFY_FAILURE_CODES: readonly VerifyFailureCode[] = Object.freeze([
  'missing_signature',
  'missing_timestamp',
  'unsupported_version',
  'scheme_not_allowed',
  'malformed_timestamp',
  'timestamp_in_milliseconds',
  'timestamp_outside_window',
  'malformed_signature',
  'signature_mismatch',
] as const);

export type VerifyResult =
  | {
      ok: true;
      scheme: SignatureScheme;
      form: 'raw' | 'canonical';
      /** Index of the matching entry in secrets, or in publicKeys when those were used. */
      secretIndex: number;
      timestampSeconds: number;
      /** The signature normalised: lowercase hex for HMAC, standard padded base64 for public keys. */
      signature: string;
      /**
       * What a replay store must remember (scoped by API key) until the
       * timestamp leaves the window. HMAC: the lowercase hex signature, the
       * same as `signature`. Public keys: 'sha256:' + hex SHA-256 of the
       * signed message bytes, because RSA-PSS signatures are randomised and
       * the same request could come with a different signature each time.
       *
       * Non-enumerable, so that deep-equality checks of results written
       * before it existed still hold: read it as result.replayKey; a spread
       * ({ ...result }) or JSON.stringify leaves it out.
       */
      readonly replayKey: string;
    }
  | { ok: false; code: VerifyFailureCode; message: string; timestampSeconds?: number };

const DEFAULT_SCHEMES: readonly SignatureScheme[] = ['v1', 'v2'];
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Returned only if something unforeseen throws; the fuzz test asserts it is never reached. */
export const UNEXPECTED_FAILURE_MESSAGE =
  'The signature could not be verified because of an internal error. This is not a fault in your request; please contact support.';

/**
 * Verifies a signed request. Checks, in order: signature present, timestamp
 * present, version, scheme allowed, timestamp window, signature format, then
 * the constant-time comparison against every secret (and, for v1, against the
 * raw body and its canonical JSON form) or, when publicKeys is non-empty,
 * the public-key signature over the v2 string against every key.
 */
export function verifyRequest(input: VerifyRequestInput): VerifyResult {
  try {
    return verify(input);
  } catch {
    // Fail closed. Nothing above is expected to throw; see the fuzz test.
    return { ok: false, code: 'signature_mismatch', message: UNEXPECTED_FAILURE_MESSAGE };
  }
}

function verify(input: VerifyRequestInput): VerifyResult {
  const given: Partial<Record<keyof VerifyRequestInput, unknown>> =
    typeof input === 'object' && input !== null ? input : {};
  const signature = given.signature;
  const timestamp = given.timestamp;
  const usesPublicKeys = publicKeysGiven(given.publicKeys);

  if (signature === undefined || signature === null || signature === '') {
    if (usesPublicKeys) return failure('missing_signature', PUBLIC_KEY_MISSING_SIGNATURE);
    return failure(
      'missing_signature',
      'The X-SIGNATURE header is missing. Send hex(HMAC-SHA256(secret_key, body + timestamp)) for ' +
        'X-SIGNATURE-VERSION 1 (the default), or hex(HMAC-SHA256(secret_key, METHOD + PATH + BODY + TIMESTAMP)) ' +
        'with X-SIGNATURE-VERSION: 2.',
    );
  }
  if (timestamp === undefined || timestamp === null || timestamp === '') {
    return failure('missing_timestamp', MISSING_TIMESTAMP_MESSAGE);
  }

  const scheme = schemeFor(given.version);
  if (scheme === undefined) {
    return failure(
      'unsupported_version',
      'X-SIGNATURE-VERSION must be 1 (body + timestamp; also the default when the header is absent) or ' +
        '2 (METHOD + PATH + BODY + TIMESTAMP).',
    );
  }
  // A public key signs v2 only: v1 has no endpoint binding, and a new way of
  // signing has no old clients to stay compatible with.
  if (usesPublicKeys && scheme === 'v1') return failure('scheme_not_allowed', PUBLIC_KEY_NEEDS_V2);
  const allowed = allowedSchemes(given.allowedSchemes);
  if (!allowed.includes(scheme)) {
    return failure('scheme_not_allowed', usesPublicKeys ? PUBLIC_KEY_V2_DISABLED : schemeNotAllowedMessage(scheme, allowed));
  }

  const tolerance = given.toleranceSeconds;
  const time = checkTimestamp(
    timestamp as string,
    given.nowSeconds as number,
    tolerance === undefined ? undefined : (tolerance as number),
  );
  if (!time.ok) {
    return time.seconds === undefined
      ? failure(time.code, time.message)
      : { ok: false, code: time.code, message: time.message, timestampSeconds: time.seconds };
  }
  const timestampSeconds = time.seconds;
  const timestampText = timestamp as string; // checkTimestamp accepted it, so it is a string of digits

  if (usesPublicKeys) {
    const check = checkPublicKeySignature({
      publicKeys: given.publicKeys,
      signature,
      timestamp: timestampText,
      rawBody: given.rawBody,
      method: given.method,
      path: given.path,
    });
    if (!check.ok) return { ok: false, code: check.code, message: check.message, timestampSeconds };
    return withReplayKey(
      { ok: true, scheme: 'v2', form: 'raw', secretIndex: check.keyIndex, timestampSeconds, signature: check.signature },
      check.replayKey,
    );
  }

  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) {
    return {
      ok: false,
      code: 'malformed_signature',
      message: malformedSignatureMessage(signature),
      timestampSeconds,
    };
  }
  const provided = Buffer.from(signature, 'hex'); // 32 bytes: the pattern above guarantees it

  const candidates = candidateMessages(scheme, given, timestampText);
  const secrets = Array.isArray(given.secrets) ? (given.secrets as unknown[]) : [];
  for (let secretIndex = 0; secretIndex < secrets.length; secretIndex++) {
    const secret = secrets[secretIndex];
    // An empty key would let anyone compute the HMAC: never match with it.
    if (!isBytesOrString(secret) || secret.length === 0) continue;
    for (const candidate of candidates) {
      const parts = candidate.parts();
      if (parts === undefined) continue;
      if (timingSafeEqual(hmacDigest(secret, parts), provided)) {
        const normalised = signature.toLowerCase();
        // An HMAC signature is deterministic and bound to the secret, so it is its own replay key.
        return withReplayKey(
          { ok: true, scheme, form: candidate.form, secretIndex, timestampSeconds, signature: normalised },
          normalised,
        );
      }
    }
  }
  return {
    ok: false,
    code: 'signature_mismatch',
    message: scheme === 'v1' ? V1_MISMATCH : V2_MISMATCH,
    timestampSeconds,
  };
}

type VerifySuccess = Extract<VerifyResult, { ok: true }>;

/** Adds replayKey as a read-only, non-enumerable property (see VerifyResult). */
function withReplayKey(result: Omit<VerifySuccess, 'replayKey'>, replayKey: string): VerifySuccess {
  return Object.defineProperty(result, 'replayKey', { value: replayKey, enumerable: false }) as VerifySuccess;
}

function failure(code: VerifyFailureCode, message: string): VerifyResult {
  return { ok: false, code, message };
}

function schemeFor(version: unknown): SignatureScheme | undefined {
  if (version === undefined || version === '1') return 'v1';
  if (version === '2') return 'v2';
  return undefined;
}

function allowedSchemes(value: unknown): readonly SignatureScheme[] {
  if (value === undefined) return DEFAULT_SCHEMES;
  // Anything but an array is a configuration mistake: allow nothing rather than everything.
  return Array.isArray(value) ? (value as SignatureScheme[]) : [];
}

function schemeNotAllowedMessage(scheme: SignatureScheme, allowed: readonly SignatureScheme[]): string {
  const sent = scheme === 'v1' ? 'Signature scheme v1 (X-SIGNATURE-VERSION absent or 1)' : 'Signature scheme v2 (X-SIGNATURE-VERSION: 2)';
  if (allowed.includes('v2')) {
    return `${sent} is not accepted here. Send X-SIGNATURE-VERSION: 2 and sign METHOD + PATH + BODY + TIMESTAMP.`;
  }
  if (allowed.includes('v1')) {
    return `${sent} is not accepted here. Leave out X-SIGNATURE-VERSION (or send 1) and sign BODY + TIMESTAMP.`;
  }
  return `${sent} is not accepted here: no signature scheme is enabled. This is a server configuration problem.`;
}

function malformedSignatureMessage(signature: unknown): string {
  const base = 'X-SIGNATURE must be 64 hex characters: the HMAC-SHA256 digest, hex-encoded.';
  if (typeof signature !== 'string') return base;
  const trimmed = signature.trim();
  if (/^sha256=/i.test(trimmed)) return `${base} Send the hex digest alone, without a "sha256=" prefix.`;
  if (trimmed.length === 44 && trimmed.endsWith('=')) return `${base} This looks like base64; encode the digest as hex instead.`;
  if (/^[0-9a-fA-F]{128}$/.test(trimmed)) return `${base} This looks like SHA-512; use SHA-256.`;
  if (/^[0-9a-fA-F]{40}$/.test(trimmed)) return `${base} This looks like SHA-1; use SHA-256.`;
  if (trimmed !== signature && HEX_SHA256.test(trimmed)) return `${base} Remove the surrounding whitespace.`;
  return `${base} Received ${signature.length} characters.`;
}

interface Candidate {
  form: 'raw' | 'canonical';
  /** Lazy, so the canonical form is only serialised when the raw form did not match. */
  parts: () => MessagePart[] | undefined;
}

/**
 * The messages a valid signature may have been computed over. An input the
 * caller got wrong (a non-string path, a missing raw body) removes a
 * candidate instead of inventing one: verification fails closed.
 */
function candidateMessages(
  scheme: SignatureScheme,
  given: Partial<Record<keyof VerifyRequestInput, unknown>>,
  timestamp: string,
): Candidate[] {
  const rawBody = given.rawBody;
  const raw = isBytesOrString(rawBody) ? rawBody : undefined;
  const candidates: Candidate[] = [];

  if (scheme === 'v2') {
    const { method, path } = given;
    if (raw !== undefined && typeof method === 'string' && typeof path === 'string') {
      const parts = v2Parts(method, path, raw, timestamp);
      candidates.push({ form: 'raw', parts: () => parts });
    }
    return candidates;
  }

  if (raw !== undefined) {
    const parts = v1Parts(raw, timestamp);
    candidates.push({ form: 'raw', parts: () => parts });
  }
  const parsedBody = given.parsedBody;
  if (parsedBody !== undefined) {
    let memo: { parts: MessagePart[] | undefined } | undefined;
    candidates.push({
      form: 'canonical',
      parts: () => {
        if (memo === undefined) {
          const canonical = tryCanonicalJson(parsedBody);
          // When the client sent the canonical text itself, the raw candidate already covered it.
          const redundant = canonical === undefined || (raw !== undefined && sameText(raw, canonical));
          memo = { parts: redundant ? undefined : v1Parts(canonical, timestamp) };
        }
        return memo.parts;
      },
    });
  }
  return candidates;
}


function sameText(raw: string | Uint8Array, text: string): boolean {
  return typeof raw === 'string' ? raw === text : Buffer.from(text, 'utf8').equals(raw);
}

const V1_MISMATCH =
  'X-SIGNATURE does not match. For X-SIGNATURE-VERSION 1 (the default) the signature is ' +
  'hex(HMAC-SHA256(secret_key, body + timestamp)). Check that: ' +
  '(1) the body you sign is the exact raw body bytes you send (an empty body signs as the empty string), ' +
  'or its canonical JSON (keys sorted recursively, compact with no whitespace, slashes and non-ASCII unescaped), ' +
  'and nothing re-serialises the body after signing; ' +
  '(2) the timestamp is the string exactly as sent in X-TIMESTAMP, in seconds, not milliseconds; ' +
  '(3) you use the right secret key for this API key (test and live keys differ), ' +
  'and the digest is hex-encoded HMAC-SHA256.';

const V2_MISMATCH =
  'X-SIGNATURE does not match. For X-SIGNATURE-VERSION 2 the signature is ' +
  'hex(HMAC-SHA256(secret_key, METHOD + PATH + BODY + TIMESTAMP)), concatenated with no separators. Check that: ' +
  '(1) METHOD is upper case (POST, GET); ' +
  '(2) PATH is the request path including the query string, exactly as sent (e.g. /api/v3/pg/order/status?order_id=1), without scheme or host; ' +
  '(3) BODY is the exact raw body bytes you send (empty for a request without a body); ' +
  '(4) TIMESTAMP is the string exactly as sent in X-TIMESTAMP, in seconds, not milliseconds; ' +
  '(5) you use the right secret key for this API key (test and live keys differ).';
