import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveKey, FieldCipher, sealedKeyId } from './field-cipher.js';

describe('FieldCipher', () => {
  const key = randomBytes(32);
  const cipher = new FieldCipher(key, 'dk_1');

  it('round-trips a value in its own context', () => {
    const sealed = cipher.encrypt('sk_test_abc', 'api_keys.secret_enc:key_1');
    assert.equal(cipher.decrypt(sealed, 'api_keys.secret_enc:key_1'), 'sk_test_abc');
  });

  it('names the data key that sealed a value, so a reader knows which to fetch', () => {
    assert.equal(sealedKeyId(cipher.encrypt('x', 'c')), 'dk_1');
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

  it('refuses a ciphertext sealed under another key, even one given the same id', () => {
    assert.throws(() => cipher.decrypt(new FieldCipher(randomBytes(32), 'dk_1').encrypt('secret', 'c'), 'c'));
    assert.throws(() => cipher.decrypt(new FieldCipher(key, 'dk_2').encrypt('secret', 'c'), 'c'), /another data key/);
  });

  it('refuses a ciphertext relabelled with another key id (the id is authenticated)', () => {
    const other = new FieldCipher(key, 'dk_2');
    const sealed = cipher.encrypt('secret', 'c');
    sealed[5] = "2".charCodeAt(0); // "dk_1" → "dk_2" in the header (version, length, then the id)
    assert.equal(sealedKeyId(sealed), 'dk_2');
    assert.throws(() => other.decrypt(sealed, 'c'));
  });

  it('opens a legacy version-1 value only with a legacy cipher', () => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from('ctx'));
    const body = Buffer.concat([c.update('old', 'utf8'), c.final()]);
    const v1 = Buffer.concat([Buffer.of(1), iv, c.getAuthTag(), body]);
    assert.equal(sealedKeyId(v1), undefined);
    assert.equal(new FieldCipher(key).decrypt(v1, 'ctx'), 'old');
    assert.throws(() => cipher.decrypt(v1, 'ctx'));
    assert.throws(() => new FieldCipher(key).encrypt('new', 'ctx'));
  });

  it('derives distinct keys per purpose', () => {
    const master = randomBytes(32);
    assert.notDeepEqual(deriveKey(master, 'a'), deriveKey(master, 'b'));
    assert.deepEqual(deriveKey(master, 'a'), deriveKey(master, 'a'));
  });
});
