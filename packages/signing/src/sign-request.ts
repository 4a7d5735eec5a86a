/**
 * Request signing, for clients, tests and the sandbox.
 *
 * v1 (KwikPaisa v3): hex(HMAC-SHA256(secret, BODY + TIMESTAMP))
 * v2 (method-bound): hex(HMAC-SHA256(secret, METHOD + PATH + BODY + TIMESTAMP))
 * v2 with a private key: base64(Ed25519 or RSA-PSS-SHA256 signature over the same v2 string)
 *
 * v2 exists because v1 does not bind the request to its endpoint: a signed
 * body could be replayed, inside the window, against another route that
 * accepts the same shape. v2 signs the method and the path with its query.
 * A private key signs v2 only: a new way of signing has no old clients to
 * stay compatible with.
 */
import { createHmac, createPrivateKey, KeyObject } from 'node:crypto';
import { keyPolicy, signMessage } from './public-key.js';

export type SignatureScheme = 'v1' | 'v2';

interface SignRequestCommon {
  /** UNIX seconds; a number is String()-ed, a string is signed exactly as given. */
  timestamp: string | number;
  /** The body bytes exactly as sent; default '' (empty body). */
  body?: string | Uint8Array;
  /** v2 only, required there: upper-cased before signing. */
  method?: string;
  /** v2 only, required there: the path including the query string, exactly as sent. */
  path?: string;
}

export type SignRequestInput = SignRequestCommon &
  (
    | {
        /** Default 'v1'. */
        scheme?: SignatureScheme;
        secret: string | Uint8Array;
        privateKey?: undefined;
      }
    | {
        /** A private key signs v2 only, so the scheme must be given as 'v2'. */
        scheme: 'v2';
        /**
         * Ed25519, or RSA of 2048 to 8192 bits (signed with RSA-PSS, SHA-256,
         * MGF1-SHA-256, 32-byte salt): a private KeyObject or an unencrypted PEM.
         */
        privateKey: KeyObject | string;
        secret?: undefined;
      }
  );

/**
 * Signs a request; returns what to send as X-SIGNATURE: with a secret, the
 * lowercase hex HMAC-SHA256 (64 characters); with a privateKey, the signature
 * in base64 (standard alphabet, padded). Throws TypeError for programmer
 * errors; never puts a secret or a key in the message.
 */
export function signRequest(input: SignRequestInput): string {
  if (input.privateKey !== undefined) return signWithPrivateKey(input);
  const scheme = input.scheme ?? 'v1';
  if (scheme !== 'v1' && scheme !== 'v2') {
    throw new TypeError(`signRequest: scheme must be 'v1' or 'v2'`);
  }
  const { secret } = input;
  if (!isBytesOrString(secret) || secret.length === 0) {
    throw new TypeError('signRequest: secret must be a non-empty string or Uint8Array');
  }
  const timestamp = timestampString(input.timestamp);
  const body = input.body ?? '';
  if (!isBytesOrString(body)) {
    throw new TypeError('signRequest: body must be a string or Uint8Array (the bytes exactly as sent)');
  }
  if (scheme === 'v1') return hmacHex(secret, v1Parts(body, timestamp));

  const { method, path } = input;
  if (typeof method !== 'string' || method === '') {
    throw new TypeError("signRequest: scheme 'v2' needs method (e.g. 'POST')");
  }
  if (typeof path !== 'string' || path === '') {
    throw new TypeError("signRequest: scheme 'v2' needs path, including the query string exactly as sent");
  }
  return hmacHex(secret, v2Parts(method, path, body, timestamp));
}

function signWithPrivateKey(input: SignRequestInput): string {
  if ((input.scheme ?? 'v1') !== 'v2') {
    throw new TypeError("signRequest: a privateKey signs scheme 'v2' only (METHOD + PATH + BODY + TIMESTAMP); pass scheme: 'v2'");
  }
  if (input.secret !== undefined) {
    throw new TypeError('signRequest: pass either secret (HMAC) or privateKey (public-key signature), not both');
  }
  const key = privateKeyObject(input.privateKey);
  const policy = keyPolicy(key);
  if (!policy.ok) throw new TypeError(`signRequest: privateKey cannot be used. ${policy.reason}`);

  const timestamp = timestampString(input.timestamp);
  const body = input.body ?? '';
  if (!isBytesOrString(body)) {
    throw new TypeError('signRequest: body must be a string or Uint8Array (the bytes exactly as sent)');
  }
  const { method, path } = input;
  if (typeof method !== 'string' || method === '') {
    throw new TypeError("signRequest: scheme 'v2' needs method (e.g. 'POST')");
  }
  if (typeof path !== 'string' || path === '') {
    throw new TypeError("signRequest: scheme 'v2' needs path, including the query string exactly as sent");
  }
  const message = messageBytes(v2Parts(method, path, body, timestamp));
  return signMessage(policy.algorithm, key, message).toString('base64');
}

function privateKeyObject(value: unknown): KeyObject {
  if (value instanceof KeyObject) {
    if (value.type !== 'private') {
      throw new TypeError(`signRequest: privateKey is a ${value.type} key; signing needs the private key of the pair`);
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new TypeError('signRequest: privateKey must be a KeyObject or a PEM string');
  }
  try {
    return createPrivateKey(value);
  } catch {
    // The parser's own message is not passed on: nothing of the key text may reach a log.
    throw new TypeError(
      'signRequest: privateKey could not be read; pass an unencrypted PEM private key ("-----BEGIN PRIVATE KEY-----") or a KeyObject',
    );
  }
}

function timestampString(timestamp: unknown): string {
  if (typeof timestamp === 'string') return timestamp;
  if (typeof timestamp === 'number') {
    // A fraction here is nearly always Date.now() / 1000 without Math.floor.
    if (!Number.isSafeInteger(timestamp)) {
      throw new TypeError('signRequest: a numeric timestamp must be whole UNIX seconds, e.g. Math.floor(Date.now() / 1000)');
    }
    return String(timestamp);
  }
  throw new TypeError('signRequest: timestamp must be UNIX seconds, as a string or a number');
}

// The helpers below are shared with verify-request.ts and
// describe-signed-strings.ts so the three can never disagree on what a scheme
// signs. They are not part of the package's public API.

export type MessagePart = string | Uint8Array;

export function isBytesOrString(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/** What v1 signs, in order: BODY + TIMESTAMP. */
export function v1Parts(body: MessagePart, timestamp: string): MessagePart[] {
  return [body, timestamp];
}

/** What v2 signs, in order: METHOD + PATH + BODY + TIMESTAMP. */
export function v2Parts(method: string, path: string, body: MessagePart, timestamp: string): MessagePart[] {
  return [method.toUpperCase(), path, body, timestamp];
}

/** HMAC-SHA256 over the parts fed one by one (strings as UTF-8), so the body is never copied. */
export function hmacDigest(secret: string | Uint8Array, parts: readonly MessagePart[]): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** The parts joined into one buffer (strings as UTF-8): the signature primitives take the message whole. */
export function messageBytes(parts: readonly MessagePart[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}

function hmacHex(secret: string | Uint8Array, parts: readonly MessagePart[]): string {
  return hmacDigest(secret, parts).toString('hex');
}
