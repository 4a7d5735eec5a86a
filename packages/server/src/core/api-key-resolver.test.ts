import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../lib/clock.js';
import { Secret } from '../lib/secret.js';
import type { Db, Queryable } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { revokeApiKey } from '../store/queries/api-keys.js';
import { openTestKeyring } from '../test-support/test-keyring.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import { ApiKeyResolver } from './api-key-resolver.js';
import { Keyring } from './keyring.js';
import { createMerchant, type IssuedCredentials } from './merchants.js';

/** Counts the statements that reach the database. */
function counting(db: Db): Queryable & { count: number } {
  const wrapper = {
    count: 0,
    query<Row>(text: string, params?: readonly unknown[]) {
      wrapper.count++;
      return db.query<Row>(text, params);
    },
  };
  return wrapper;
}

for (const backend of BACKENDS) {
  describe(`ApiKeyResolver on ${backend.name}`, () => {
    let opened: OpenedBackend;
    let keyring: Keyring;
    let creds: IssuedCredentials;
    const clock = new ManualClock(Date.UTC(2026, 10, 23));
    before(async () => {
      opened = await backend.open();
      await migrate(opened.db);
      keyring = await openTestKeyring(opened.db, clock);
      creds = await createMerchant(opened.db, keyring, clock, { name: 'M', mode: 'test' });
    });
    after(async () => {
      await opened?.cleanup();
    });

    it('resolves a key to its merchant, mode and decrypted secret', async () => {
      const resolver = new ApiKeyResolver(opened.db, keyring, { ttlMs: 5000, clock });
      const key = await resolver.resolve(creds.apiKey);
      assert.equal(key?.merchantId, creds.merchantId);
      assert.equal(key?.mode, 'test');
      assert.equal(key?.secretValues[0]?.toString(), creds.secretKey.reveal());
    });

    it('never prints the secret of a resolved key', async () => {
      const resolver = new ApiKeyResolver(opened.db, keyring, { ttlMs: 5000, clock });
      const key = await resolver.resolve(creds.apiKey);
      const secret = creds.secretKey.reveal();
      assert.equal(JSON.stringify(key).includes(secret), false);
      assert.equal(inspect(key, { depth: 10 }).includes(secret), false);
    });

    it('answers from its cache within the TTL, including for unknown keys, and asks again after it', async () => {
      const db = counting(opened.db);
      const resolver = new ApiKeyResolver(db, keyring, { ttlMs: 5000, clock });
      await resolver.resolve(creds.apiKey);
      await resolver.resolve(creds.apiKey);
      assert.equal(await resolver.resolve('pk_test_00000000000000000000dead'), undefined);
      assert.equal(await resolver.resolve('pk_test_00000000000000000000dead'), undefined);
      assert.equal(db.count, 2, 'one query per distinct key');
      clock.advanceSeconds(6);
      await resolver.resolve(creds.apiKey);
      assert.equal(db.count, 3);
    });

    it('shares one query among concurrent misses for the same key', async () => {
      const db = counting(opened.db);
      const resolver = new ApiKeyResolver(db, keyring, { ttlMs: 5000, clock });
      await Promise.all(Array.from({ length: 20 }, () => resolver.resolve(creds.apiKey)));
      assert.equal(db.count, 1);
    });

    it('reads again when a change notification lands during a look-up, instead of failing it', async () => {
      const resolver = new ApiKeyResolver(opened.db, keyring, { ttlMs: 5000, clock });
      const pending = resolver.resolve(creds.apiKey);
      resolver.forget(creds.apiKey); // aborts the in-flight fetch
      assert.equal((await pending)?.merchantId, creds.merchantId);
    });

    it('refuses malformed keys without a query', async () => {
      const db = counting(opened.db);
      const resolver = new ApiKeyResolver(db, keyring, { ttlMs: 5000, clock });
      for (const bad of ['', 'x', "pk_test_' OR 1=1", 'pk_test_' + 'a'.repeat(500)]) assert.equal(await resolver.resolve(bad), undefined);
      assert.equal(db.count, 0);
    });

    it('sees a revocation once the TTL has passed: the stated bound', async () => {
      const other = await createMerchant(opened.db, keyring, clock, { name: 'N', mode: 'test' });
      const resolver = new ApiKeyResolver(opened.db, keyring, { ttlMs: 5000, clock });
      assert.equal((await resolver.resolve(other.apiKey))?.status, 'active');
      await revokeApiKey(opened.db, other.keyId, new Date(clock.nowMs()));
      clock.advanceSeconds(5.001);
      assert.equal((await resolver.resolve(other.apiKey))?.status, 'revoked');
    });
  });
}
