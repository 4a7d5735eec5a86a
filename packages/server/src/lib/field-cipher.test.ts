import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveKey, FieldCipher } from './field-cipher.js';

describe('FieldCipher', () => {
  const cipher = new FieldCipher(randomBytes(32));

  it('round-trips a value in its own context', () => {
    const sealed = cipher.encrypt('sk_test_abc', 'api_keys.secret_enc:key_1');
    assert.equal(cipher.decrypt(sealed, 'api_keys.secret_enc:key_1'), 'sk_test_abc');
  });

  it('never stores the plaintext bytes and uses a fresh nonce each time', () => {
    const a = cipher.encrypt('sk_test_abc', 'c');
    const b = cipher.encrypt('sk_test_abc', 'c');
    assert.equal(a.includes(Buffer.from('sk_test_abc')), false);
    assert.notDeepEqual(a, b);
  });

  it('refuses a ciphertext moved to another row', () => {
    const sealed = cipher.encrypt('secret', 'api_keys.secret_enc:key_1');
    assert.throws(() => cipher.decrypt(sealed, 'api_keys.secret_enc:key_2'));
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = cipher.encrypt('secret', 'c');
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    assert.throws(() => cipher.decrypt(sealed, 'c'));
  });

  it('refuses a ciphertext sealed under another key', () => {
    const sealed = new FieldCipher(randomBytes(32)).encrypt('secret', 'c');
    assert.throws(() => cipher.decrypt(sealed, 'c'));
  });

  it('derives distinct keys per purpose', () => {
    const master = randomBytes(32);
    assert.notDeepEqual(deriveKey(master, 'a'), deriveKey(master, 'b'));
    assert.deepEqual(deriveKey(master, 'a'), deriveKey(master, 'a'));
  });
});
