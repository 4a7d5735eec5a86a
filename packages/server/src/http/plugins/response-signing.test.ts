import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signRequest, verifyResponse, type VerifyResponseInput } from '@tijori/signing';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import postgres from 'postgres';
import { loadConfig } from '../../config/load-config.js';
import { ManualClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/logger.js';
import { type Gateway, startGateway } from '../../main.js';
import { openPostgresDb } from '../../store/postgres-db.js';
import type { Db } from '../../store/db.js';
import { BACKENDS, TEST_DATABASE_URL } from '../../test-support/backends.js';
import { registerResponseSigning } from './response-signing.js';
import { orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

type Reply = LightMyRequestResponse;

describe('the response-signing hook, on a bare Fastify instance', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = { keyId: 'gsk_0123456789abcdef01234567', privateKey };
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const jwks = { keys: [{ ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), d: undefined, kid: key.keyId, use: 'sig', alg: 'EdDSA' }] };
  const logs: string[] = [];
  const app = Fastify({ loggerInstance: createLogger('info', { write: (line: string) => void logs.push(line) }) as FastifyBaseLogger }) as unknown as FastifyInstance;
  registerResponseSigning(app, { keys: { active: () => key }, clock });
  app.get('/api/bytes', async (_req, reply) => reply.type('application/octet-stream').send(Buffer.from([0, 255, 1, 254])));
  app.get('/api/empty', async (_req, reply) => reply.code(204).send());
  app.get('/api/stream', async (_req, reply) => reply.type('text/plain').send(Readable.from(['a', 'b'])));
  app.get('/elsewhere', async () => ({ ok: true }));
  after(() => app.close());

  const verifies = (res: LightMyRequestResponse) =>
    verifyResponse({ status: res.statusCode, headers: res.headers as VerifyResponseInput['headers'], body: res.rawPayload, jwks, nowSeconds: Math.floor(clock.nowMs() / 1000) });

  it('digests a Buffer payload over its exact bytes', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/bytes' });
    assert.deepEqual([...res.rawPayload], [0, 255, 1, 254]);
    assert.equal(verifies(res).ok, true);
  });

  it('signs an empty reply as the empty body', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/empty' });
    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['content-digest'], 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
    assert.equal(verifies(res).ok, true);
  });

  it('sends a streamed reply unsigned, and says so in the log', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/stream' });
    assert.equal(res.body, 'ab');
    assert.equal(res.headers.signature, undefined);
    assert.ok(logs.some((l) => l.includes('reply body is a stream')));
  });

  it('signs nothing outside /api/', async () => {
    const res = await app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(res.headers['content-digest'], undefined);
    assert.equal(res.headers.signature, undefined);
  });
});

for (const backend of BACKENDS) {
  describe(`signed responses (${backend.name})`, () => {
    let gw: TestGateway;
    /** Every reply the tests saw, for the check that no private key ever appears in one. */
    const replies: Reply[] = [];
    /** Every private key the gateway signed with during the tests. */
    const privateKeys: Buffer[] = [];

    before(async () => {
      gw = await startTestGateway(backend);
      privateKeys.push(gw.gateway.signingKeys.active().privateKey.export({ type: 'pkcs8', format: 'der' }));
    });
    after(async () => {
      await gw?.close();
    });

    const now = () => Math.floor(gw.clock.nowMs() / 1000);
    const seen = <T extends Reply>(res: T): T => {
      replies.push(res);
      return res;
    };

    async function jwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
      return seen(await gw.gateway.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    }

    async function check(res: Reply, requestSignature: string | undefined, overrides: Partial<VerifyResponseInput> = {}) {
      return verifyResponse({
        status: res.statusCode,
        headers: res.headers as VerifyResponseInput['headers'],
        body: res.rawPayload,
        requestSignature,
        jwks: await jwks(),
        nowSeconds: now(),
        ...overrides,
      });
    }

    let orderId: string;

    describe('every reply under /api/ is signed, and verifies against the JWKS the gateway serves', () => {
      const cases: Array<{ name: string; status: number; send: () => ReturnType<TestGateway['send']>; unsigned?: boolean }> = [
        {
          name: '200 order created',
          status: 200,
          send: () => {
            const body = orderBody();
            orderId = body.order_id as string;
            return gw.send({ path: '/api/v3/pg/order/create', body });
          },
        },
        { name: '200 order status', status: 200, send: () => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }) },
        { name: '401 refusal by request-auth: wrong signature', status: 401, send: () => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId }, signWith: { secret: 'sk_test_wrong' } }) },
        { name: '401 refusal by request-auth: no X-SIGNATURE at all', status: 401, unsigned: true, send: () => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId }, headers: { 'x-signature': undefined } }) },
        { name: '400 validation error', status: 400, send: () => gw.send({ path: '/api/v3/pg/order/create', body: { order_id: 'x' } }) },
        { name: '404 unknown order', status: 404, send: () => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'no-such-order' } }) },
        { name: '404 unknown route under /api/ (the root not-found handler)', status: 404, send: () => gw.send({ path: '/api/v3/pg/order/refund', body: {} }) },
        {
          name: '400 for a URL Fastify cannot route (bad percent-encoding), which no hook sees',
          status: 400,
          send: () => gw.send({ path: '/api/v3/pg/order/%zz', body: { order_id: orderId } }),
        },
        { name: '406 refusal before any key is looked up', status: 406, send: () => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId }, headers: { accept: 'text/html' } }) },
      ];
      for (const c of cases) {
        it(c.name, async () => {
          const res = seen(await c.send());
          assert.equal(res.statusCode, c.status, res.body);
          assert.match(res.headers['content-digest'] as string, /^sha-256=:[A-Za-z0-9+/]{43}=:$/);
          assert.match(res.headers['signature-input'] as string, /^tijori=\("@status" "content-digest"( "x-signature";req)?\);created=\d+;keyid="gsk_[0-9a-f]{24}";alg="ed25519"$/);
          assert.equal((res.headers['signature-input'] as string).includes('"x-signature";req'), !c.unsigned);
          const result = await check(res, c.unsigned ? undefined : res.signature);
          assert.deepEqual(result, { ok: true, keyId: gw.gateway.signingKeys.active().keyId, created: now() });
        });
      }
    });

    it('a changed body fails, and so does a changed status', async () => {
      gw.clock.advanceSeconds(1); // a new timestamp: the same signed request twice would be refused as a replay
      const res = seen(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }));
      assert.equal(res.statusCode, 200);
      const forged = res.body.replace('UN_PAID', 'PAID');
      assert.notEqual(forged, res.body);
      const body = await check(res, res.signature, { body: forged });
      assert.equal(!body.ok && body.code, 'content_digest_mismatch');
      const status = await check(res, res.signature, { status: 201 });
      assert.equal(!status.ok && status.code, 'signature_mismatch');
    });

    it("binds a reply to its request's X-SIGNATURE: checked against another request's signature, it fails", async () => {
      gw.clock.advanceSeconds(1);
      const first = seen(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }));
      gw.clock.advanceSeconds(1);
      const second = seen(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }));
      assert.notEqual(first.signature, second.signature);
      assert.equal((await check(first, first.signature)).ok, true);
      const swapped = await check(first, second.signature);
      assert.equal(!swapped.ok && swapped.code, 'signature_mismatch');
      const unbound = await check(first, undefined);
      assert.equal(!unbound.ok && unbound.code, 'components_not_covered');
    });

    it('leaves replies outside /api/ unsigned', async () => {
      for (const url of ['/healthz', '/.well-known/jwks.json', '/openapi.json']) {
        const res = seen(await gw.gateway.app.inject({ method: 'GET', url }));
        assert.equal(res.headers.signature, undefined, url);
        assert.equal(res.headers['signature-input'], undefined, url);
      }
    });

    it('serves /.well-known/jwks.json publicly, cacheable for five minutes, with public members only', async () => {
      const res = seen(await gw.gateway.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'public, max-age=300');
      assert.match(res.headers['content-type'] as string, /^application\/jwk-set\+json/);
      const { keys } = res.json() as { keys: Array<Record<string, unknown>> };
      assert.equal(keys.length, 1);
      assert.deepEqual(Object.keys(keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      assert.deepEqual({ ...keys[0], x: undefined }, { kty: 'OKP', crv: 'Ed25519', x: undefined, kid: gw.gateway.signingKeys.active().keyId, use: 'sig', alg: 'EdDSA' });
    });

    describe('rotation through the admin API', () => {
      let before: Reply;
      let beforeSignature: string;
      let oldKid: string;
      let newKid: string;

      it('lists the one active key, public half only', async () => {
        const res = seen(await gw.admin('GET', '/admin/v1/signing-keys'));
        assert.equal(res.statusCode, 200);
        const { signing_keys: keys } = res.json();
        assert.equal(keys.length, 1);
        assert.equal(keys[0].status, 'active');
        assert.equal(keys[0].retires_at, null);
        assert.deepEqual(Object.keys(keys[0].public_jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
        oldKid = keys[0].kid;
      });

      it('signs new replies with the new key at once; the old key stays in the JWKS, so replies signed just before still verify', async () => {
        gw.clock.advanceSeconds(1);
        const sent = seen(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }));
        before = sent;
        beforeSignature = sent.signature;
        const res = seen(await gw.admin('POST', '/admin/v1/signing-keys/rotate', { overlap_seconds: 600 }));
        assert.equal(res.statusCode, 200, res.body);
        const rotated = res.json();
        newKid = rotated.active.kid;
        assert.notEqual(newKid, oldKid);
        assert.equal(rotated.active.status, 'active');
        assert.deepEqual(rotated.retiring.map((k: { kid: string; status: string; retires_at: string }) => [k.kid, k.status, k.retires_at]), [[oldKid, 'published', new Date(gw.clock.nowMs() + 600_000).toISOString()]]);
        privateKeys.push(gw.gateway.signingKeys.active().privateKey.export({ type: 'pkcs8', format: 'der' }));

        gw.clock.advanceSeconds(1);
        const after = seen(await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: orderId } }));
        assert.match(after.headers['signature-input'] as string, new RegExp(`keyid="${newKid}"`));
        assert.deepEqual(await check(after, after.signature), { ok: true, keyId: newKid, created: now() });
        assert.deepEqual((await jwks()).keys.map((k) => k.kid), [newKid, oldKid]);
        assert.deepEqual(await check(before, beforeSignature), { ok: true, keyId: oldKid, created: now() - 1 });
      });

      it('drops the old key from the JWKS when its overlap ends; its replies no longer verify', async () => {
        gw.clock.advanceSeconds(598);
        assert.deepEqual((await jwks()).keys.map((k) => k.kid), [newKid, oldKid]);
        gw.clock.advanceSeconds(1);
        assert.deepEqual((await jwks()).keys.map((k) => k.kid), [newKid]);
        const late = await check(before, beforeSignature, { maxAgeSeconds: Infinity });
        assert.equal(!late.ok && late.code, 'unknown_key');
        const listed = seen(await gw.admin('GET', '/admin/v1/signing-keys')).json().signing_keys;
        assert.deepEqual(listed.map((k: { kid: string; status: string }) => [k.kid, k.status]), [[newKid, 'active'], [oldKid, 'retired']]);
      });

      it('with overlap 0, leaves only the new key published', async () => {
        const res = seen(await gw.admin('POST', '/admin/v1/signing-keys/rotate', { overlap_seconds: 0 }));
        assert.equal(res.statusCode, 200);
        privateKeys.push(gw.gateway.signingKeys.active().privateKey.export({ type: 'pkcs8', format: 'der' }));
        assert.deepEqual((await jwks()).keys.map((k) => k.kid), [res.json().active.kid]);
      });

      it('defaults the overlap to 24 hours and refuses one that is not 0 to 30 days, or a call without the admin token', async () => {
        const res = seen(await gw.admin('POST', '/admin/v1/signing-keys/rotate'));
        assert.equal(res.statusCode, 200, res.body);
        privateKeys.push(gw.gateway.signingKeys.active().privateKey.export({ type: 'pkcs8', format: 'der' }));
        assert.equal(res.json().retiring[0].retires_at, new Date(gw.clock.nowMs() + 86_400_000).toISOString());
        for (const body of [{ overlap_seconds: -1 }, { overlap_seconds: 30 * 86400 + 1 }, { overlap_seconds: '60' }, { overlap: 60 }]) {
          const refused = seen(await gw.admin('POST', '/admin/v1/signing-keys/rotate', body));
          assert.equal(refused.statusCode, 400, JSON.stringify(body));
          assert.equal(refused.json().error_code, 'validation_failed');
        }
        for (const [method, path] of [['GET', '/admin/v1/signing-keys'], ['POST', '/admin/v1/signing-keys/rotate']] as const) {
          const refused = seen(await gw.admin(method, path, undefined, 'tja_not_the_admin_token_0123456789abcdef'));
          assert.equal(refused.statusCode, 401);
          assert.equal(refused.json().error_code, 'admin_unauthorized');
        }
        // An API key does not open it either.
        const withApiKey = seen(await gw.send({ method: 'POST', path: '/admin/v1/signing-keys/rotate', body: {} }));
        assert.equal(withApiKey.statusCode, 401);
      });
    });

    it('never shows a private key in a log line, a reply, or the database in clear', async () => {
      assert.ok(privateKeys.length >= 4);
      const forms = privateKeys.flatMap((der) => {
        const seed = der.subarray(-32);
        const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----`;
        return [der.toString('base64'), der.toString('hex'), seed.toString('hex'), seed.toString('base64'), seed.toString('base64url'), seed.toString('base64').replace(/=+$/, ''), pem];
      });
      const logs = gw.logs.join('\n');
      const replyText = replies.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`).join('\n');
      const db = (gw.gateway.db as Db);
      const rows = await db.query<{ row: string; enc_hex: string; enc_b64: string }>(
        "SELECT row_to_json(k)::text AS row, encode(private_key_enc, 'hex') AS enc_hex, encode(private_key_enc, 'base64') AS enc_b64 FROM gateway_signing_keys k",
      );
      assert.equal(rows.length, privateKeys.length);
      const dbText = rows.map((r) => `${r.row}\n${r.enc_hex}\n${r.enc_b64.replace(/\n/g, '')}`).join('\n');
      const dbBytes = Buffer.concat(rows.map((r) => Buffer.from(r.enc_hex, 'hex')));
      for (const form of forms) {
        assert.equal(logs.includes(form), false, 'a private key in the log');
        assert.equal(replyText.includes(form), false, 'a private key in a reply');
        assert.equal(dbText.toLowerCase().includes(form.toLowerCase()), false, 'a private key in the database');
      }
      for (const der of privateKeys) assert.equal(dbBytes.indexOf(der.subarray(-32)), -1, 'a raw private key in the database');
    });
  });
}

describe('two gateways on one PostgreSQL agree on the signing key after a rotation', () => {
  const schema = `tijori_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  const masterKey = randomBytes(32).toString('base64');
  const adminToken = `tja_${randomBytes(24).toString('hex')}`;
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const gateways: Gateway[] = [];
  const dbs: Db[] = [];
  let creds: { api_key: string; secret_key: string };

  before(async () => {
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    for (let i = 0; i < 2; i++) {
      const db = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 4, searchPath: schema });
      dbs.push(db);
      const dataDir = mkdtempSync(join(tmpdir(), 'tijori-sig-'));
      const config = loadConfig({
        DATABASE_URL: TEST_DATABASE_URL,
        TIJORI_DATA_DIR: dataDir,
        TIJORI_MASTER_KEY: masterKey,
        TIJORI_ADMIN_TOKEN: adminToken,
        TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false',
      });
      // One after the other, as a rolling start would: the first creates the key, the second loads it.
      gateways.push(await startGateway(config, { db, clock, logger: createLogger('silent'), listen: false }));
      if (i === 0) creds = JSON.parse(readFileSync(gateways[0]!.sandboxCredentialsFile as string, 'utf8'));
    }
  });
  after(async () => {
    for (const g of gateways) await g.close();
    for (const db of dbs) await db.close();
    await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  let n = 0;
  async function status(gateway: Gateway) {
    const body = JSON.stringify({ order_id: `none-${n++}` });
    const timestamp = String(Math.floor(clock.nowMs() / 1000));
    const signature = signRequest({ secret: creds.secret_key, timestamp, body });
    const res = await gateway.app.inject({
      method: 'POST',
      url: '/api/v3/pg/order/status',
      payload: body,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': creds.api_key, 'x-timestamp': timestamp, 'x-signature': signature },
    });
    return { res, signature };
  }

  async function verifiedBy(gateway: Gateway, jwksFrom: Gateway) {
    const { res, signature } = await status(gateway);
    assert.equal(res.statusCode, 404);
    const jwks = (await jwksFrom.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    return verifyResponse({ status: res.statusCode, headers: res.headers as VerifyResponseInput['headers'], body: res.rawPayload, requestSignature: signature, jwks, nowSeconds: Math.floor(clock.nowMs() / 1000) });
  }

  it('start with the same key: one created, the other loaded it', async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    assert.equal(a.signingKeys.active().keyId, b.signingKeys.active().keyId);
    const rows = await dbs[0]!.query('SELECT kid FROM gateway_signing_keys');
    assert.equal(rows.length, 1);
  });

  it('after a rotation through one, the other signs with the new key as soon as the change commits (NOTIFY)', async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const old = b.signingKeys.active().keyId;
    const res = await a.app.inject({ method: 'POST', url: '/admin/v1/signing-keys/rotate', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, payload: '{"overlap_seconds":300}' });
    assert.equal(res.statusCode, 200, res.body);
    const newKid = res.json().active.kid as string;
    assert.notEqual(newKid, old);
    assert.equal(a.signingKeys.active().keyId, newKid);
    // The notification arrives asynchronously; no reload interval elapses here (it is 60 s).
    for (let i = 0; i < 250 && b.signingKeys.active().keyId !== newKid; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.signingKeys.active().keyId, newKid);
    assert.deepEqual(await verifiedBy(b, a), { ok: true, keyId: newKid, created: Math.floor(clock.nowMs() / 1000) });
    assert.deepEqual(await verifiedBy(a, b), { ok: true, keyId: newKid, created: Math.floor(clock.nowMs() / 1000) });
    const fromA = (await a.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
    const fromB = (await b.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body;
    assert.equal(fromA, fromB);
  });
});
