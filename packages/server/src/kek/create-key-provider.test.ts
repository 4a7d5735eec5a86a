import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../lib/secret.js';
import { createKekInToken } from './create-kek-in-token.js';
import { createKeyProvider, type KeyProviderOptions } from './create-key-provider.js';
import { KekUnavailableError } from './key-provider.js';
import { createSoftHsmTestToken, type SoftHsmTestToken } from '../test-support/softhsm-test-token.js';

let token: SoftHsmTestToken;

before(async () => {
  token = createSoftHsmTestToken();
  await createKekInToken({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel: 'tijori-kek-2026' });
});

after(() => token.remove());

describe('createKeyProvider', () => {
  const cases: Array<[string, () => KeyProviderOptions, RegExp]> = [
    ['local', () => ({ kind: 'local', keks: [randomBytes(32)] }), /^local:[0-9a-f]{16}$/],
    [
      'pkcs11',
      () => ({ kind: 'pkcs11', modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel: 'tijori-kek-2026', olderKeyLabels: [] }),
      /^pkcs11:tijori-kek-2026$/,
    ],
  ];

  for (const [kind, options, kekId] of cases) {
    it(`builds a working ${kind} provider that keeps the KeyProvider contract`, async () => {
      const provider = await createKeyProvider(options());
      try {
        assert.match(provider.kekId, kekId);
        assert.deepEqual(provider.availableKekIds, [provider.kekId]);
        const dataKey = randomBytes(32);
        const wrapped = await provider.wrap(dataKey, 'merchant:mer_1');
        assert.deepEqual(await provider.unwrap(wrapped, provider.kekId, 'merchant:mer_1'), dataKey);
        await assert.rejects(provider.unwrap(wrapped, provider.kekId, 'merchant:mer_2'), (err: Error) => !(err instanceof KekUnavailableError));
        await assert.rejects(provider.unwrap(wrapped, `${kind}:retired`, 'merchant:mer_1'), KekUnavailableError);
      } finally {
        await provider.close();
      }
    });
  }

  it('rejects a PKCS#11 provider whose PIN is wrong', async () => {
    await assert.rejects(
      createKeyProvider({ kind: 'pkcs11', modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: new Secret('0000'), keyLabel: 'tijori-kek-2026', olderKeyLabels: [] }),
      /CKR_PIN_INCORRECT/,
    );
  });

  it('refuses an unknown kind, naming the ones it knows', async () => {
    await assert.rejects(createKeyProvider({ kind: 'vault' } as unknown as KeyProviderOptions), /unknown key provider kind "vault"; use "local" or "pkcs11"/);
  });
});
