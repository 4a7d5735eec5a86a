import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ARGON2, MIN_PASSWORD_LENGTH, PasswordHasher, passwordProblem } from './passwords.js';

describe('dashboard passwords', () => {
  it(`refuses passwords shorter than ${MIN_PASSWORD_LENGTH} characters, counting code points`, () => {
    assert.equal(passwordProblem('short-pass1', 'a@b.example'), 'too_short');
    // 12 emoji are 24 UTF-16 units but 12 characters: allowed.
    assert.equal(passwordProblem('🙂'.repeat(11), 'a@b.example'), 'too_short');
    assert.equal(passwordProblem('🙂'.repeat(12), 'a@b.example'), undefined);
  });

  it('refuses common passwords, ignoring case and digits or punctuation appended to a listed word', () => {
    assert.equal(passwordProblem('1q2w3e4r5t6y', 'a@b.example'), 'common');
    assert.equal(passwordProblem('QWERTY123456', 'a@b.example'), 'common');
    assert.equal(passwordProblem('password1234!', 'a@b.example'), 'common');
    assert.equal(passwordProblem('correct horse battery staple', 'a@b.example'), undefined);
  });

  it('refuses the email as the password, and passwords over 256 characters', () => {
    assert.equal(passwordProblem('Owner@Shop.example', 'owner@shop.example'), 'same_as_email');
    assert.equal(passwordProblem('x'.repeat(257), 'a@b.example'), 'too_long');
  });

  it('hashes with argon2id at the production parameters (19 MiB, 2 passes) and verifies', async () => {
    const hasher = new PasswordHasher(DEFAULT_ARGON2);
    const hash = await hasher.hash('a long enough passphrase');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await hasher.verify(hash, 'a long enough passphrase'), true);
    assert.equal(await hasher.verify(hash, 'a long enough passphrasE'), false);
    assert.equal(await hasher.verify('not a hash', 'anything'), false);
    assert.equal(await hasher.verifyNobody('anything at all'), false);
  });
});
