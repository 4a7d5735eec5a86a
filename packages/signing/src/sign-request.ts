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
import { isBytesOrString, type MessagePart, messageBytes } from './bytes.js';
import { keyPolicy, signMessage } from './public-key.js';
import { type SignatureScheme, type SignedMessageInput, signedMessage } from './request-message.js';

export type { SignatureScheme } from './request-message.js';

export type SignRequestInput = SignedMessageInput &
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
  return hmacDigest(secret, signedMessage(scheme, input)).toString('hex');
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

  const message = messageBytes(signedMessage('v2', input));
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

// hmacDigest is shared with verify-request.ts, so the two can never disagree
// on how a scheme's message is fed to the HMAC. Not part of the public API.

/** HMAC-SHA256 over the parts fed one by one (strings as UTF-8), so the body is never copied. */
export function hmacDigest(secret: string | Uint8Array, parts: readonly MessagePart[]): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}
