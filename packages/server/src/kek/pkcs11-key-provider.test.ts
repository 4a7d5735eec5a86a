import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../lib/secret.js';
import { createKekInToken } from './create-kek-in-token.js';
import { KekUnavailableError } from './key-provider.js';
import { Pkcs11KeyProvider, type Pkcs11KeyProviderOptions } from './pkcs11-key-provider.js';
import { ck, ckrName, findSecretKey, readBool, TokenSession } from './pkcs11-token.js';
import { createSoftHsmTestToken, type SoftHsmTestToken } from '../test-support/softhsm-test-token.js';
import { WRAPPED_KEY_BYTES } from './wrapped-key-format.js';

// One fresh SoftHSM2 token for this file; SOFTHSM2_CONF is set before any provider loads the module.
let token: SoftHsmTestToken;
const context = 'merchant:mer_1';
const opened: Pkcs11KeyProvider[] = [];

function provider(keyLabel: string, olderKeyLabels: string[] = [], extra: Partial<Pkcs11KeyProviderOptions> = {}): Pkcs11KeyProvider {
  const p = new Pkcs11KeyProvider({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel, olderKeyLabels, ...extra });
  opened.push(p);
  return p;
}

function kek(keyLabel: string): Promise<string> {
  return createKekInToken({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel });
}

before(async () => {
  token = createSoftHsmTestToken();
  await kek('kek-a');
});

async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((p) => p.close()));
}

after(async () => {
  await closeAll();
  token.remove();
});

describe('Pkcs11KeyProvider', () => {
  it('round-trips a data key through the token', async () => {
    const p = provider('kek-a');
    assert.equal(p.kekId, 'pkcs11:kek-a');
    assert.deepEqual(p.availableKekIds, ['pkcs11:kek-a']);
    const dataKey = randomBytes(32);
    const wrapped = await p.wrap(dataKey, context);
    assert.equal(wrapped.length, WRAPPED_KEY_BYTES);
    assert.deepEqual(await p.unwrap(wrapped, p.kekId, context), dataKey);
  });

  it('never writes the data key bytes into the wrapped output, and uses a fresh nonce each time', async () => {
    const p = provider('kek-a');
    const dataKey = randomBytes(32);
    const a = await p.wrap(dataKey, context);
    const b = await p.wrap(dataKey, context);
    assert.equal(a.includes(dataKey), false);
    assert.equal(a.includes(dataKey.subarray(0, 8)), false);
    assert.notDeepEqual(a, b);
  });

  it('refuses a wrapped key moved to another context', async () => {
    const p = provider('kek-a');
    const wrapped = await p.wrap(randomBytes(32), 'merchant:mer_1');
    await assert.rejects(p.unwrap(wrapped, p.kekId, 'merchant:mer_2'), (err: Error) => {
      assert.ok(!(err instanceof KekUnavailableError));
      assert.match(err.message, /failed authentication under KEK pkcs11:kek-a/);
      return true;
    });
  });

  it('refuses tampered or truncated bytes, and keeps working afterwards', async () => {
    const p = provider('kek-a');
    const dataKey = randomBytes(32);
    const wrapped = await p.wrap(dataKey, context);
    for (const index of [0, 1, 13, 29, wrapped.length - 1]) {
      const bad = Buffer.from(wrapped);
      bad[index] = (bad[index] ?? 0) ^ 0x01;
      await assert.rejects(p.unwrap(bad, p.kekId, context), (err: Error) => !(err instanceof KekUnavailableError));
    }
    await assert.rejects(p.unwrap(wrapped.subarray(1), p.kekId, context), /unknown format|truncated/);
    assert.deepEqual(await p.unwrap(wrapped, p.kekId, context), dataKey);
  });

  it('runs many concurrent wraps and unwraps on its one session without interleaving them', async () => {
    const p = provider('kek-a');
    const keys = Array.from({ length: 40 }, () => randomBytes(32));
    const wrapped = await Promise.all(keys.map((k, i) => p.wrap(k, `merchant:mer_${i}`)));
    const unwrapped = await Promise.all(wrapped.map((w, i) => p.unwrap(w, p.kekId, `merchant:mer_${i}`)));
    assert.deepEqual(unwrapped, keys);
  });

  it('keeps the KEK inside the token: sensitive, not extractable, CKA_VALUE refused, cannot be wrapped out', async () => {
    const session = TokenSession.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      await session.run((lib, s) => {
        const key = findSecretKey(lib, s, 'kek-a');
        assert.ok(key);
        assert.equal(readBool(lib, s, key, ck.CKA_TOKEN), true);
        assert.equal(readBool(lib, s, key, ck.CKA_SENSITIVE), true);
        assert.equal(readBool(lib, s, key, ck.CKA_EXTRACTABLE), false);
        assert.equal(readBool(lib, s, key, ck.CKA_NEVER_EXTRACTABLE), true);
        assert.throws(
          () => lib.C_GetAttributeValue(s, key, [{ type: ck.CKA_VALUE }]),
          (err: Error) => ckrName(err) === 'CKR_ATTRIBUTE_SENSITIVE',
        );
        // Even a wrapping key of our own choosing cannot take it out.
        const wrappingKey = lib.C_GenerateKey(s, { mechanism: ck.CKM_AES_KEY_GEN }, [
          { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
          { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
          { type: ck.CKA_VALUE_LEN, value: 32 },
          { type: ck.CKA_TOKEN, value: false },
          { type: ck.CKA_WRAP, value: true },
        ]);
        assert.throws(
          () => lib.C_WrapKey(s, { mechanism: ck.CKM_AES_KEY_WRAP_PAD }, wrappingKey, key, Buffer.alloc(64)),
          (err: Error) => ckrName(err) === 'CKR_KEY_UNEXTRACTABLE',
        );
        lib.C_DestroyObject(s, wrappingKey);
      });
    } finally {
      await session.close();
    }
  });

  describe('rotation', () => {
    before(() => kek('kek-b'));

    it('unwraps keys wrapped under the older KEK and wraps new ones under the current KEK', async () => {
      const old = provider('kek-a');
      const dataKey = randomBytes(32);
      const wrappedOld = await old.wrap(dataKey, context);

      const rotating = provider('kek-b', ['kek-a']);
      assert.equal(rotating.kekId, 'pkcs11:kek-b');
      assert.deepEqual(rotating.availableKekIds, ['pkcs11:kek-b', 'pkcs11:kek-a']);
      assert.deepEqual(await rotating.unwrap(wrappedOld, 'pkcs11:kek-a', context), dataKey);

      const rewrapped = await rotating.wrap(dataKey, context);
      await assert.rejects(rotating.unwrap(rewrapped, 'pkcs11:kek-a', context), /failed authentication/);
      assert.deepEqual(await provider('kek-b').unwrap(rewrapped, 'pkcs11:kek-b', context), dataKey);
    });

    it('throws KekUnavailableError for keys wrapped under a KEK it was not configured with', async () => {
      const wrappedOld = await provider('kek-a').wrap(randomBytes(32), context);
      const onlyNew = provider('kek-b');
      await assert.rejects(onlyNew.unwrap(wrappedOld, 'pkcs11:kek-a', context), (err: Error) => {
        assert.ok(err instanceof KekUnavailableError);
        assert.match(err.message, /pkcs11:kek-a is not configured.*rotate-kek/);
        return true;
      });
      await assert.rejects(onlyNew.unwrap(wrappedOld, 'local:0123456789abcdef', context), KekUnavailableError);
    });
  });

  describe('refusals at construction', () => {
    it('fails with a clear error on a wrong PIN, without printing it', async () => {
      // Nothing else open on the token, so this is the token's own C_Login refusal; the next case covers a shared login.
      await closeAll();
      assert.throws(
        () => new Pkcs11KeyProvider({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: new Secret('wrong-pin-8472'), keyLabel: 'kek-a' }),
        (err: Error) => {
          assert.match(err.message, /login to token "tijori-test" refused \(CKR_PIN_INCORRECT\): the user PIN is wrong/);
          assert.equal(err.message.includes('wrong-pin-8472'), false);
          return true;
        },
      );
    });

    it('refuses a wrong PIN even while another provider keeps the token logged in', () => {
      const open = provider('kek-a');
      assert.ok(open);
      assert.throws(
        () => new Pkcs11KeyProvider({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: new Secret('wrong-pin-8472'), keyLabel: 'kek-a' }),
        /CKR_PIN_INCORRECT/,
      );
    });

    it('names the missing KEK label, the missing token and the missing module', () => {
      assert.throws(() => provider('kek-missing'), /no secret key labelled "kek-missing".*createKekInToken/);
      assert.throws(() => provider('kek-a', ['kek-gone']), /no secret key labelled "kek-gone".*remove it from the older key labels/);
      assert.throws(() => provider('kek-a', [], { tokenLabel: 'no-such-token' }), /no initialized PKCS#11 token labelled "no-such-token"; tokens present: "tijori-test"/);
      assert.throws(() => provider('kek-a', [], { modulePath: '/nonexistent/libpkcs11.so' }), /PKCS#11 module not found at \/nonexistent/);
    });

    it('refuses a KEK that could leave the token', async () => {
      const session = TokenSession.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
      try {
        await session.run((lib, s) =>
          lib.C_CreateObject(s, [
            { type: ck.CKA_CLASS, value: ck.CKO_SECRET_KEY },
            { type: ck.CKA_KEY_TYPE, value: ck.CKK_AES },
            { type: ck.CKA_VALUE, value: randomBytes(32) },
            { type: ck.CKA_LABEL, value: 'kek-extractable' },
            { type: ck.CKA_TOKEN, value: true },
            { type: ck.CKA_PRIVATE, value: true },
            { type: ck.CKA_SENSITIVE, value: false },
            { type: ck.CKA_EXTRACTABLE, value: true },
            { type: ck.CKA_ENCRYPT, value: true },
            { type: ck.CKA_DECRYPT, value: true },
          ]),
        );
      } finally {
        await session.close();
      }
      assert.throws(() => provider('kek-extractable'), /can leave the token/);
    });

    it('refuses a bad or repeated key label, and a token selected twice or not at all', () => {
      assert.throws(() => provider('has space'), /printable ASCII/);
      assert.throws(() => provider('kek-a', ['kek-a']), /listed twice/);
      assert.throws(() => provider('kek-a', [], { slot: 1 }), /exactly one of tokenLabel or slot/);
    });
  });

  it('selects the token by slot id as well as by label', async () => {
    const session = TokenSession.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
    let slotId: bigint;
    try {
      slotId = await session.run((lib, s) => lib.C_GetSessionInfo(s).slotID.readBigUInt64LE(0));
    } finally {
      await session.close();
    }
    const p = new Pkcs11KeyProvider({ modulePath: token.modulePath, slot: slotId, pin: token.pin, keyLabel: 'kek-a' });
    opened.push(p);
    const dataKey = randomBytes(32);
    assert.deepEqual(await p.unwrap(await p.wrap(dataKey, context), p.kekId, context), dataKey);
  });

  it('refuses work after close, and close is idempotent', async () => {
    const p = new Pkcs11KeyProvider({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel: 'kek-a' });
    const pending = p.wrap(randomBytes(32), context);
    await Promise.all([p.close(), p.close()]);
    assert.equal((await pending).length, WRAPPED_KEY_BYTES); // queued before close: finished, not cut off
    await assert.rejects(p.wrap(randomBytes(32), context), /closed/);
  });
});

describe('createKekInToken', () => {
  it('returns the new kekId and refuses a label already in use', async () => {
    assert.equal(await kek('kek-c'), 'pkcs11:kek-c');
    await assert.rejects(kek('kek-c'), /already holds a secret key labelled "kek-c"/);
  });

  it('makes a single-purpose key: encrypt and decrypt only', async () => {
    await kek('kek-d');
    const session = TokenSession.open({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin });
    try {
      await session.run((lib, s) => {
        const key = findSecretKey(lib, s, 'kek-d');
        assert.ok(key);
        for (const attr of [ck.CKA_WRAP, ck.CKA_UNWRAP, ck.CKA_SIGN, ck.CKA_DERIVE, ck.CKA_COPYABLE]) assert.equal(readBool(lib, s, key, attr), false);
        for (const attr of [ck.CKA_ENCRYPT, ck.CKA_DECRYPT, ck.CKA_PRIVATE]) assert.equal(readBool(lib, s, key, attr), true);
      });
    } finally {
      await session.close();
    }
  });
});
