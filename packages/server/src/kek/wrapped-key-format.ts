/**
 * The byte layout every key provider writes, so a wrapped data key reads the
 * same whichever provider made it (the KEK id beside it says which one):
 *
 *   version(1) | nonce(12) | tag(16) | ciphertext(32)
 *
 * AES-256-GCM's associated data is the version byte followed by the UTF-8
 * context, so a wrapped key copied to another merchant's row, or relabelled
 * with another format version, fails authentication instead of unwrapping.
 */
export const WRAP_FORMAT_VERSION = 1;
export const DATA_KEY_BYTES = 32;
export const NONCE_BYTES = 12; // GCM's native 96-bit nonce: no GHASH of the IV, the NIST SP 800-38D default
export const TAG_BYTES = 16; // full 128-bit tag; shorter tags weaken forgery bounds for no gain here
export const WRAPPED_KEY_BYTES = 1 + NONCE_BYTES + TAG_BYTES + DATA_KEY_BYTES;

export interface WrappedParts {
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** Programmer error, not bad data: callers hand us keys they generated. */
export function assertDataKey(dataKey: Buffer): void {
  if (!Buffer.isBuffer(dataKey) || dataKey.length !== DATA_KEY_BYTES) {
    throw new TypeError(`a data key must be a ${DATA_KEY_BYTES}-byte Buffer`);
  }
}

export function wrapAad(context: string): Buffer {
  if (typeof context !== 'string' || context.length === 0) {
    throw new TypeError('a wrap context (for example "merchant:mer_…") is required');
  }
  return Buffer.concat([Buffer.of(WRAP_FORMAT_VERSION), Buffer.from(context, 'utf8')]);
}

export function encodeWrapped(parts: WrappedParts): Buffer {
  return Buffer.concat([Buffer.of(WRAP_FORMAT_VERSION), parts.nonce, parts.tag, parts.ciphertext]);
}

/** Throws a plain Error for bytes that cannot be a wrapped key: to callers that is the same as failed authentication. */
export function decodeWrapped(wrapped: Uint8Array): WrappedParts {
  const buf = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (buf.length === 0 || buf[0] !== WRAP_FORMAT_VERSION) {
    throw new Error(`wrapped data key has an unknown format (expected version byte ${WRAP_FORMAT_VERSION})`);
  }
  if (buf.length !== WRAPPED_KEY_BYTES) {
    throw new Error(`wrapped data key is ${buf.length} bytes, expected ${WRAPPED_KEY_BYTES}: it was truncated or altered`);
  }
  const tagStart = 1 + NONCE_BYTES;
  const ctStart = tagStart + TAG_BYTES;
  return {
    nonce: buf.subarray(1, tagStart),
    tag: buf.subarray(tagStart, ctStart),
    ciphertext: buf.subarray(ctStart),
  };
}

export function authenticationFailed(kekId: string): Error {
  return new Error(
    `wrapped data key failed authentication under KEK ${kekId}: it was wrapped for another context (row), ` +
      'its bytes were altered, or it was wrapped under a different key that reuses this id',
  );
}
