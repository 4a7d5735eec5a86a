import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { KekUnavailableError } from './key-provider.js';
import { LocalKeyProvider, localKekId } from './local-key-provider.js';
import { WRAPPED_KEY_BYTES } from './wrapped-key-format.js';

/** Every common spelling of some bytes, to prove none of them leaks. */
function encodings(bytes: Buffer): string[] {
  return [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'), bytes.toString('base64url')].flatMap((e) => [
    e,
    e.slice(0, 16),
    e.slice(-16),
  ]);
}

describe('LocalKeyProvider', () => {
  const kek = randomBytes(32);
  const provider = new LocalKeyProvider([kek]);
  const context = 'merchant:mer_1';

  it('round-trips a data key in its own context', async () => {
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, context);
    assert.equal(wrapped.length, WRAPPED_KEY_BYTES);
    assert.deepEqual(await provider.unwrap(wrapped, provider.kekId, context), dataKey);
  });

  it('never writes the data key bytes into the wrapped output, and uses a fresh nonce each time', async () => {
    const dataKey = randomBytes(32);
    const a = await provider.wrap(dataKey, context);
    const b = await provider.wrap(dataKey, context);
    assert.equal(a.includes(dataKey), false);
    assert.equal(a.includes(dataKey.subarray(0, 8)), false);
    assert.notDeepEqual(a, b);
  });

  it('refuses a wrapped key moved to another context', async () => {
    const wrapped = await provider.wrap(randomBytes(32), 'merchant:mer_1');
    await assert.rejects(provider.unwrap(wrapped, provider.kekId, 'merchant:mer_2'), (err: Error) => {
      assert.ok(!(err instanceof KekUnavailableError));
      assert.match(err.message, /failed authentication/);
      return true;
    });
  });

  it('refuses tampered, truncated or re-versioned bytes', async () => {
    const wrapped = await provider.wrap(randomBytes(32), context);
    for (const index of [0, 1, 13, 29, wrapped.length - 1]) {
      const bad = Buffer.from(wrapped);
      bad[index] = (bad[index] ?? 0) ^ 0x01;
      await assert.rejects(provider.unwrap(bad, provider.kekId, context), (err: Error) => !(err instanceof KekUnavailableError));
    }
    await assert.rejects(provider.unwrap(wrapped.subarray(0, wrapped.length - 1), provider.kekId, context), /truncated or altered/);
  });

  it('refuses a key wrapped under another KEK that claims this id', async () => {
    const other = new LocalKeyProvider([randomBytes(32)]);
    const wrapped = await other.wrap(randomBytes(32), context);
    await assert.rejects(provider.unwrap(wrapped, provider.kekId, context), /failed authentication/);
  });

  it('names the KEK by a stable id that differs between keys', () => {
    assert.match(provider.kekId, /^local:[0-9a-f]{16}$/);
    assert.equal(new LocalKeyProvider([Buffer.from(kek)]).kekId, provider.kekId);
    assert.equal(localKekId(kek), provider.kekId);
    assert.notEqual(new LocalKeyProvider([randomBytes(32)]).kekId, provider.kekId);
  });

  it('does not put the KEK in its id, its inspection or its JSON in any encoding', () => {
    const shown = [provider.kekId, inspect(provider, { depth: 5, showHidden: true }), JSON.stringify(provider)].join('\n');
    for (const spelling of encodings(kek)) assert.equal(shown.includes(spelling), false, spelling);
    // The id is a hash of a derived fingerprint, not a prefix of the key or of its plain hash.
    assert.equal(provider.kekId.slice('local:'.length), provider.kekId.slice('local:'.length).toLowerCase());
    assert.equal(kek.toString('hex').startsWith(provider.kekId.slice('local:'.length)), false);
  });

  describe('rotation', () => {
    const oldKek = randomBytes(32);
    const newKek = randomBytes(32);
    const before = new LocalKeyProvider([oldKek]);
    const during = new LocalKeyProvider([newKek, oldKek]);
    const after = new LocalKeyProvider([newKek]);

    it('unwraps keys wrapped under an older KEK and wraps new ones under the current KEK', async () => {
      const dataKey = randomBytes(32);
      const old = await before.wrap(dataKey, context);
      assert.deepEqual(during.availableKekIds, [after.kekId, before.kekId]);
      assert.deepEqual(await during.unwrap(old, before.kekId, context), dataKey);
      const rewrapped = await during.wrap(dataKey, context);
      assert.equal(during.kekId, after.kekId);
      assert.deepEqual(await after.unwrap(rewrapped, during.kekId, context), dataKey);
    });

    it('throws KekUnavailableError for keys wrapped under a KEK it was not given', async () => {
      const old = await before.wrap(randomBytes(32), context);
      await assert.rejects(after.unwrap(old, before.kekId, context), (err: Error) => {
        assert.ok(err instanceof KekUnavailableError);
        assert.match(err.message, new RegExp(`${before.kekId} is not configured.*rotate-kek`));
        return true;
      });
      await assert.rejects(after.unwrap(old, 'pkcs11:tijori-kek-2026', context), KekUnavailableError);
    });
  });

  it('refuses KEKs of the wrong size, duplicates and an empty list, without echoing the key', () => {
    const short = randomBytes(31);
    assert.throws(() => new LocalKeyProvider([short]), (err: Error) => /32 bytes/.test(err.message) && !err.message.includes(short.toString('base64')));
    assert.throws(() => new LocalKeyProvider([kek, Buffer.from(kek)]), /repeats an earlier KEK/);
    assert.throws(() => new LocalKeyProvider([]), /at least one KEK/);
  });

  it('refuses data keys that are not 32 bytes', async () => {
    await assert.rejects(provider.wrap(randomBytes(16), context), TypeError);
  });

  it('keeps working when the caller reuses its buffer, and forgets its keys on close', async () => {
    const mine = randomBytes(32);
    const p = new LocalKeyProvider([mine]);
    const id = p.kekId;
    const dataKey = randomBytes(32);
    const wrapped = await p.wrap(dataKey, context);
    mine.fill(0);
    assert.deepEqual(await p.unwrap(wrapped, id, context), dataKey);
    await p.close();
    await assert.rejects(p.unwrap(wrapped, id, context), /closed/);
  });
});
