import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../lib/clock.js';
import { migrate } from '../store/migrate.js';
import { openPostgresDb } from '../store/postgres-db.js';
import type { Db } from '../store/db.js';
import { BACKENDS, TEST_DATABASE_URL, type OpenedBackend } from '../test-support/backends.js';
import { MAX_SIGNING_KEY_OVERLAP_SECONDS, ResponseSigningKeys, signingKeyContext, type SigningKeySealer } from './response-signing-keys.js';

/** AES-256-GCM with the context as associated data: the keyring's contract, without the keyring's storage. */
function testSealer(): SigningKeySealer & { opened: string[] } {
  const key = randomBytes(32);
  const opened: string[] = [];
  return {
    opened,
    async seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    async unseal(sealed, context) {
      opened.push(context);
      const buf = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12)).setAAD(Buffer.from(context));
      decipher.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function signsAndVerifies(keys: ResponseSigningKeys): boolean {
  const { keyId, privateKey } = keys.active();
  const jwk = keys.jwks().keys.find((k) => k.kid === keyId);
  if (!jwk) return false;
  const message = Buffer.from('a reply');
  return verify(null, message, createPublicKey({ key: jwk, format: 'jwk' }), sign(null, message, privateKey));
}

for (const backend of BACKENDS) {
  describe(`gateway response-signing keys (${backend.name})`, () => {
    let opened: OpenedBackend;
    let db: Db;
    before(async () => {
      opened = await backend.open();
      db = opened.db;
      await migrate(db);
    });
    after(async () => {
      await opened?.cleanup();
    });

    async function reset(): Promise<void> {
      await db.query('DELETE FROM gateway_signing_keys');
    }

    it('creates one key on first load, seals its private half, and publishes its public half', async () => {
      await reset();
      const sealer = testSealer();
      const keys = new ResponseSigningKeys(db, sealer, new ManualClock(T0));
      await keys.reload();
      const { keyId, privateKey } = keys.active();
      assert.match(keyId, /^gsk_[0-9a-f]{24}$/);
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [keyId]);
      assert.ok(signsAndVerifies(keys));
      const rows = await db.query<{ kid: string; private_key_enc: Uint8Array; public_jwk: string; retires_at: Date | null }>('SELECT * FROM gateway_signing_keys');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.retires_at, null);
      const der = privateKey.export({ type: 'pkcs8', format: 'der' });
      const seed = der.subarray(-32);
      const stored = Buffer.from(rows[0]!.private_key_enc);
      assert.equal(stored.indexOf(seed), -1, 'the raw seed is not in the database');
      assert.equal(stored.toString('latin1').includes(der.toString('base64')), false);
      assert.deepEqual(Object.keys(JSON.parse(rows[0]!.public_jwk)).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    });

    it('loads the same key in another process, decrypting it once there, not again on every reload', async () => {
      await reset();
      const sealer = testSealer();
      const a = new ResponseSigningKeys(db, sealer, new ManualClock(T0));
      await a.reload();
      const b = new ResponseSigningKeys(db, sealer, new ManualClock(T0));
      await b.reload();
      await b.reload();
      await b.reload();
      assert.equal(b.active().keyId, a.active().keyId);
      assert.equal(sealer.opened.filter((c) => c === signingKeyContext(a.active().keyId)).length, 2, 'a once, b once');
    });

    it('creates exactly one active key when several processes start at once on an empty table', async () => {
      await reset();
      const sealer = testSealer();
      const extra: Db[] = [];
      // On PostgreSQL, separate connections, as separate processes would have.
      const dbs: Db[] = backend.name === 'postgres' ? [db] : [db, db, db, db];
      if (backend.name === 'postgres') {
        const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema'))[0]!.schema;
        for (let i = 0; i < 3; i++) extra.push(await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 2, searchPath: schema }));
        dbs.push(...extra);
      }
      try {
        const all = dbs.map((d) => new ResponseSigningKeys(d, sealer, new ManualClock(T0)));
        await Promise.all(all.map((k) => k.reload()));
        assert.equal(new Set(all.map((k) => k.active().keyId)).size, 1);
        const rows = await db.query('SELECT kid FROM gateway_signing_keys');
        assert.equal(rows.length, 1);
      } finally {
        for (const d of extra) await d.close();
      }
    });

    it('rotates: the new key signs, the replaced one stays published until its overlap ends, then leaves the JWKS', async () => {
      await reset();
      const clock = new ManualClock(T0);
      const keys = new ResponseSigningKeys(db, testSealer(), clock);
      await keys.reload();
      const old = keys.active().keyId;
      const rotated = await keys.rotate(3600);
      assert.notEqual(rotated.active.kid, old);
      assert.equal(rotated.active.status, 'active');
      assert.deepEqual(rotated.retiring.map((k) => [k.kid, k.status, k.retiresAt?.toISOString()]), [[old, 'published', new Date(T0 + 3600_000).toISOString()]]);
      assert.equal(keys.active().keyId, rotated.active.kid);
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [rotated.active.kid, old]);
      assert.ok(signsAndVerifies(keys));

      clock.advanceSeconds(3599);
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [rotated.active.kid, old]);
      clock.advanceSeconds(1);
      // Read against the clock: gone at retires_at even before any reload.
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [rotated.active.kid]);
      await keys.reload();
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [rotated.active.kid]);
      assert.deepEqual((await keys.list()).map((k) => [k.kid, k.status]), [[rotated.active.kid, 'active'], [old, 'retired']]);
    });

    it('with an overlap of 0, removes every replaced key at once, older ones still in their overlap too', async () => {
      await reset();
      const clock = new ManualClock(T0);
      const keys = new ResponseSigningKeys(db, testSealer(), clock);
      await keys.reload();
      const first = keys.active().keyId;
      const second = (await keys.rotate(86400)).active.kid;
      clock.advanceSeconds(10);
      const third = await keys.rotate(0);
      assert.deepEqual(third.retiring.map((k) => k.kid).sort(), [first, second].sort());
      assert.deepEqual(keys.jwks().keys.map((k) => k.kid), [third.active.kid]);
    });

    it('never lengthens the overlap of a key already retiring', async () => {
      await reset();
      const clock = new ManualClock(T0);
      const keys = new ResponseSigningKeys(db, testSealer(), clock);
      await keys.reload();
      const first = keys.active().keyId;
      await keys.rotate(60);
      const again = await keys.rotate(3600);
      assert.equal(again.retiring.some((k) => k.kid === first), false);
      const listed = await keys.list();
      assert.equal(listed.find((k) => k.kid === first)?.retiresAt?.getTime(), T0 + 60_000);
    });

    it('serialises rotations made at once: one active key, every other still published', async () => {
      await reset();
      const keys = new ResponseSigningKeys(db, testSealer(), new ManualClock(T0));
      await keys.reload();
      const results = await Promise.all([keys.rotate(3600), keys.rotate(3600), keys.rotate(3600)]);
      const active = await db.query<{ kid: string }>('SELECT kid FROM gateway_signing_keys WHERE retires_at IS NULL');
      assert.equal(active.length, 1);
      assert.ok(results.some((r) => r.active.kid === active[0]!.kid));
      assert.equal(keys.active().keyId, active[0]!.kid);
      assert.equal(keys.jwks().keys.length, 4);
    });

    it('refuses an overlap outside 0 to 30 days', async () => {
      await reset();
      const keys = new ResponseSigningKeys(db, testSealer(), new ManualClock(T0));
      await keys.reload();
      for (const bad of [-1, 1.5, MAX_SIGNING_KEY_OVERLAP_SECONDS + 1, Number.NaN]) await assert.rejects(keys.rotate(bad), RangeError);
    });

    it('binds each sealed private key to its row: moved to another key id, it does not open', async () => {
      await reset();
      const sealer = testSealer();
      const keys = new ResponseSigningKeys(db, sealer, new ManualClock(T0));
      await keys.reload();
      const old = keys.active().keyId;
      const next = (await keys.rotate(3600)).active.kid;
      await new ResponseSigningKeys(db, sealer, new ManualClock(T0)).reload();
      await db.query('UPDATE gateway_signing_keys SET private_key_enc = (SELECT private_key_enc FROM gateway_signing_keys WHERE kid = $1) WHERE kid = $2', [old, next]);
      await assert.rejects(new ResponseSigningKeys(db, sealer, new ManualClock(T0)).reload(), /auth/i);
    });

    it('refuses to sign before the keys are loaded (a start-up order mistake)', () => {
      const keys = new ResponseSigningKeys(db, testSealer(), new ManualClock(T0));
      assert.throws(() => keys.active(), /before reload/);
    });
  });
}
