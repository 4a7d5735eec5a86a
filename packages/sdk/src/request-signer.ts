/**
 * Signs requests with WebCrypto. What each scheme signs comes from
 * @tijori/signing's signedMessage, the same definition signRequest and the
 * gateway's verifier use; test vectors check that the two agree byte for byte.
 */
import { messageBytes, type SignatureScheme, signedMessage, toBase64, toHex, utf8 } from '@tijori/signing/messages';
import { hmacSha256, importHmacKey, importSigningKey, type PrivateKeyInput, signWith } from './web-crypto.js';

export interface RequestToSign {
  /** UNIX seconds, exactly as sent in X-TIMESTAMP. */
  timestamp: string;
  method: string;
  /** Path and query, exactly as sent. */
  path: string;
  /** The body bytes exactly as sent. */
  body: Uint8Array;
}

export interface RequestSigner {
  readonly scheme: SignatureScheme;
  /** The X-SIGNATURE value: lowercase hex HMAC-SHA256, or base64 of a public-key signature. */
  sign(request: RequestToSign): Promise<string>;
}

/** HMAC-SHA256 under the API key's secret: v1 (KwikPaisa) or v2 (method-bound). */
export function hmacSigner(secretKey: string, scheme: SignatureScheme): RequestSigner {
  // Imported once, not extractable; the secret string is not kept.
  const key = importHmacKey(utf8(secretKey), 'sign');
  // A failed import (no WebCrypto) surfaces on the first request, not as an unhandled rejection now.
  key.catch(() => {});
  return {
    scheme,
    async sign(request) {
      return toHex(await hmacSha256(await key, messageBytes(signedMessage(scheme, request, 'Tijori'))));
    },
  };
}

/** A registered public key's private half (Ed25519 or RSA-PSS): v2 only, like signRequest. */
export function privateKeySigner(privateKey: PrivateKeyInput): RequestSigner {
  const key = importSigningKey(privateKey);
  key.catch(() => {});
  return {
    scheme: 'v2',
    async sign(request) {
      return toBase64(await signWith(await key, messageBytes(signedMessage('v2', request, 'Tijori'))));
    },
  };
}

export type { PrivateKeyInput };
