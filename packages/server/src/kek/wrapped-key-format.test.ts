import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { assertDataKey, decodeWrapped, encodeWrapped, wrapAad, WRAP_FORMAT_VERSION, WRAPPED_KEY_BYTES } from './wrapped-key-format.js';

describe('wrapped data key format', () => {
  it('lays out version | nonce | tag | ciphertext and reads it back', () => {
    const parts = { nonce: randomBytes(12), tag: randomBytes(16), ciphertext: randomBytes(32) };
    const wrapped = encodeWrapped(parts);
    assert.equal(wrapped.length, WRAPPED_KEY_BYTES);
    assert.equal(wrapped[0], WRAP_FORMAT_VERSION);
    assert.deepEqual(decodeWrapped(wrapped), parts);
  });

  it('refuses an unknown version or a wrong length with a plain Error', () => {
    const wrapped = encodeWrapped({ nonce: randomBytes(12), tag: randomBytes(16), ciphertext: randomBytes(32) });
    assert.throws(() => decodeWrapped(Buffer.concat([Buffer.of(2), wrapped.subarray(1)])), /unknown format/);
    assert.throws(() => decodeWrapped(Buffer.concat([wrapped, Buffer.of(0)])), /62 bytes, expected 61/);
    assert.throws(() => decodeWrapped(Buffer.alloc(0)), /unknown format/);
  });

  it('binds the format version and the context into the associated data', () => {
    assert.deepEqual(wrapAad('merchant:mer_1'), Buffer.concat([Buffer.of(WRAP_FORMAT_VERSION), Buffer.from('merchant:mer_1')]));
    assert.throws(() => wrapAad(''), /context/);
  });

  it('accepts only 32-byte data keys', () => {
    assert.doesNotThrow(() => assertDataKey(randomBytes(32)));
    assert.throws(() => assertDataKey(randomBytes(33)), TypeError);
  });
});
