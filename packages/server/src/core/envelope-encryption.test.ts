import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { loadConfig } from '../config/load-config.js';
import { createKekInToken } from '../kek/create-kek-in-token.js';
import { ManualClock } from '../lib/clock.js';
import { sealedKeyId } from '../lib/field-cipher.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import { createSoftHsmTestToken, type SoftHsmTestToken } from '../test-support/softhsm-test-token.js';
import { openTestKeyring } from '../test-support/test-keyring.js';
import { customerContext } from './orders.js';
import { apiKeySecretContext } from './api-keys.js';
import { DataKeyDestroyedError } from './keyring.js';

const ADMIN = 'tja_envelope_admin_token_0123456789abcdef';
const b64 = () => randomBytes(32).toString('base64');

/** Gateways started one after another on one database, each with the KEK settings a test gives it. */
function gatewayStarter(db: () => OpenedBackend, clock: ManualClock) {
  return async (env: Record<string, string>): Promise<Gateway> =>
    startGateway(loadConfig({ TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-env-')), TIJORI_ADMIN_TOKEN: ADMIN, ...env }), {
      db: db().db,
      clock,
      logger: createLogger('silent'),
      listen: false,
    });
}

async function admin(gw: Gateway, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await gw.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

async function signed(gw: Gateway, clock: ManualClock, key: { api_key: string; secret_key: string }, path: string, body: unknown) {
  clock.advanceSeconds(1);
  const payload = JSON.stringify(body);
  const timestamp = String(Math.floor(clock.nowMs() / 1000));
  const res = await gw.app.inject({
    method: 'POST',
    url: path,
    payload,
    headers: { 'content-type': 'application/json', 'x-api-key': key.api_key, 'x-timestamp': timestamp, 'x-signature': signRequest({ secret: key.secret_key, timestamp, body: payload }) },
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

const order = (id: string, email: string, phone: string) => ({
  order_id: id,
  order_amount: '10.00',
  order_currency: 'INR',
  service_type: 'DIGITAL',
  customer: { name: 'Meera', email, phone },
});

for (const backend of BACKENDS) {
  describe(`envelope encryption on ${backend.name}`, () => {
    let opened: OpenedBackend;
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
    const start = gatewayStarter(() => opened, clock);
    // One database, one KEK: each test starts its own gateway on both.
    const kek = b64();
    before(async () => {
      opened = await backend.open();
    });
    after(async () => {
      await opened?.cleanup();
    });

    it('seals each merchant\'s secrets and customer data with a data key of its own, and binds each value to its row', async () => {
      const gw = await start({ TIJORI_MASTER_KEY: kek });
      try {
        const a = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'A' })).body;
        const b = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'B' })).body;
        const rows = await gw.db.query<{ id: string; merchant_id: string; secret_enc: Uint8Array }>('SELECT id, merchant_id, secret_enc FROM api_keys WHERE merchant_id IN ($1, $2)', [
          a.merchant.id,
          b.merchant.id,
        ]);
        const keyIds = new Set(rows.map((r) => sealedKeyId(r.secret_enc)));
        assert.equal(keyIds.size, 2, 'two merchants, two data keys');
        const owners = await gw.db.query<{ owner: string }>('SELECT owner FROM data_keys WHERE id = ANY (string_to_array($1, \',\'))', [[...keyIds].join(',')]);
        assert.deepEqual(owners.map((o) => o.owner).sort(), [`merchant:${a.merchant.id}`, `merchant:${b.merchant.id}`].sort());
        // A ciphertext copied to another row does not open there.
        const [first, second] = rows as [(typeof rows)[number], (typeof rows)[number]];
        await assert.rejects(gw.keyring.unseal(first.secret_enc, apiKeySecretContext(second.id)));
        assert.equal(await gw.keyring.unseal(first.secret_enc, apiKeySecretContext(first.id)), first.merchant_id === a.merchant.id ? a.key.secret_key : b.key.secret_key);
        // The wrapped data keys are not the keys: nothing in data_keys opens anything without the KEK.
        const stranger = await openTestKeyring(gw.db, clock).catch((err: Error) => err);
        assert.ok(stranger instanceof Error && /does not have|does not unwrap/.test(stranger.message), 'a keyring with another KEK cannot even open');
      } finally {
        await gw.close();
      }
    });

    it('finds a customer\'s orders by email or phone through a keyed blind index, never a stored plaintext', async () => {
      const gw = await start({ TIJORI_MASTER_KEY: kek });
      try {
        const m = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'Shop' })).body;
        const other = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'Other shop' })).body;
        assert.equal((await signed(gw, clock, m.key, '/api/v3/pg/order/create', order('bidx-1', 'Meera.K@Example.com', '9816512345'))).status, 200);
        assert.equal((await signed(gw, clock, other.key, '/api/v3/pg/order/create', order('bidx-2', 'meera.k@example.com', '9816512345'))).status, 200);
        const byEmail = await admin(gw, 'GET', `/admin/v1/merchants/${m.merchant.id}/orders?customer_email=${encodeURIComponent('  meera.k@EXAMPLE.com ')}`);
        assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
        assert.deepEqual(byEmail.body.orders.map((o: { order_id: string }) => o.order_id), ['bidx-1'], "only this merchant's order, whatever the case and spacing");
        const byPhone = await admin(gw, 'GET', `/admin/v1/merchants/${m.merchant.id}/orders?customer_phone=${encodeURIComponent('98165-12345')}`);
        assert.deepEqual(byPhone.body.orders.map((o: { order_id: string }) => o.order_id), ['bidx-1']);
        const row = (await gw.db.query<Record<string, unknown>>("SELECT * FROM orders WHERE order_ref = 'bidx-1'"))[0] as Record<string, unknown>;
        assert.equal(JSON.stringify(row).toLowerCase().includes('meera'), false);
        assert.equal(JSON.stringify(row).includes('98165'), false);
      } finally {
        await gw.close();
      }
    });

    it('crypto-shreds an erased merchant: its data never decrypts again, other merchants are untouched', async () => {
      const gw = await start({ TIJORI_MASTER_KEY: kek });
      try {
        const gone = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'Leaving' })).body;
        const stays = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'Staying' })).body;
        for (const [m, id] of [[gone, 'erase-1'], [stays, 'keep-1']] as const) {
          const created = await signed(gw, clock, m.key, "/api/v3/pg/order/create", order(id, "x@example.com", "9999999999"));
          assert.equal(created.status, 200, JSON.stringify(created.body));
        }
        assert.equal((await admin(gw, 'POST', `/admin/v1/merchants/${gone.merchant.id}/erase`, { confirm: 'mer_wrong' })).status, 400);
        const erased = await admin(gw, 'POST', `/admin/v1/merchants/${gone.merchant.id}/erase`, { confirm: gone.merchant.id });
        assert.equal(erased.status, 200, JSON.stringify(erased.body));
        assert.equal(erased.body.destroyed_data_keys.length, 1);
        assert.ok(erased.body.merchant.erased_at);

        const [goneRow] = await gw.db.query<{ id: string; customer_enc: Uint8Array }>("SELECT id, customer_enc FROM orders WHERE order_ref = 'erase-1'");
        const [keptRow] = await gw.db.query<{ id: string; customer_enc: Uint8Array }>("SELECT id, customer_enc FROM orders WHERE order_ref = 'keep-1'");
        assert.ok(goneRow && keptRow);
        await assert.rejects(gw.keyring.unseal(goneRow.customer_enc, customerContext(goneRow.id)), DataKeyDestroyedError);
        // Not even a fresh process with the right KEK can open it: the wrapped key itself is gone.
        const wrapped = await gw.db.query<{ wrapped_key: Uint8Array | null }>('SELECT wrapped_key FROM data_keys WHERE id = $1', [erased.body.destroyed_data_keys[0]]);
        assert.equal(wrapped[0]?.wrapped_key, null);
        assert.match(await gw.keyring.unseal(keptRow.customer_enc, customerContext(keptRow.id)), /x@example.com/);
        // Its keys are revoked at once.
        const refused = await signed(gw, clock, gone.key, '/api/v3/pg/order/status', { order_id: 'erase-1' });
        assert.equal(refused.body.error_code, 'revoked_api_key');
        // And it never gets a new data key: no new API key or webhook endpoint can be stored for it (409, not a 500).
        for (const [url, body] of [[`/admin/v1/merchants/${gone.merchant.id}/keys`, {}], [`/admin/v1/merchants/${gone.merchant.id}/webhook-endpoints`, { url: 'http://127.0.0.1:9/h' }]] as const) {
          const res = await admin(gw, 'POST', url, body);
          assert.equal(res.status, 409, JSON.stringify(res.body));
          assert.equal(res.body.error_code, 'merchant_erased');
        }
        const live = await gw.db.query<{ n: number | string }>('SELECT count(*) AS n FROM data_keys WHERE merchant_id = $1 AND destroyed_at IS NULL', [gone.merchant.id]);
        assert.equal(Number(live[0]?.n), 0);
      } finally {
        await gw.close();
      }
    });
  });
}

describe('KEK rotation, online, from a key file to another and into an HSM (PKCS#11, SoftHSM2)', () => {
  const backend = BACKENDS.find((b) => b.name === 'postgres') ?? (BACKENDS[0] as (typeof BACKENDS)[number]);
  let opened: OpenedBackend;
  let token: SoftHsmTestToken;
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
  const start = gatewayStarter(() => opened, clock);
  before(async () => {
    token = createSoftHsmTestToken('tijori-rotation');
    opened = await backend.open();
  });
  after(async () => {
    await opened?.cleanup();
    token?.remove();
  });

  it('rewraps every data key without re-encrypting a row; afterwards the old KEK is not needed, and a process with only it cannot start', async () => {
    const oldKey = b64();
    const newKey = b64();
    // Life 1: the old master key; a merchant, an order and a webhook endpoint are sealed under it.
    let gw = await start({ TIJORI_MASTER_KEY: oldKey });
    const m = (await admin(gw, 'POST', '/admin/v1/merchants', { name: 'Rotating' })).body;
    assert.equal((await signed(gw, clock, m.key, '/api/v3/pg/order/create', order('rot-1', 'r@example.com', '9000000001'))).status, 200);
    const endpoint = (await admin(gw, 'POST', `/admin/v1/merchants/${m.merchant.id}/webhook-endpoints`, { url: 'http://127.0.0.1:9/hook' })).body;
    const before = await gw.db.query<{ customer_enc: Uint8Array }>("SELECT customer_enc FROM orders WHERE order_ref = 'rot-1'");
    await gw.close();

    // Life 2: the new key current, the old one still configured; the rotation runs while this gateway serves.
    gw = await start({ TIJORI_MASTER_KEY: newKey, TIJORI_PREVIOUS_MASTER_KEYS: oldKey });
    const status = await admin(gw, 'GET', '/admin/v1/kek');
    assert.equal(status.body.data_keys_by_kek.length, 1, 'every data key is still under the old KEK');
    assert.notEqual(status.body.data_keys_by_kek[0].kek_id, status.body.current_kek);
    const rotated = await admin(gw, 'POST', '/admin/v1/kek/rotate');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.ok(rotated.body.rewrapped >= 3, 'system, blind-index and the merchants\' keys');
    assert.deepEqual(rotated.body.data_keys_by_kek.map((k: { kek_id: string }) => k.kek_id), [rotated.body.current_kek]);
    await gw.close();
    const afterRows = await opened.db.query<{ customer_enc: Uint8Array }>("SELECT customer_enc FROM orders WHERE order_ref = 'rot-1'");
    assert.deepEqual(Buffer.from(afterRows[0]?.customer_enc ?? []), Buffer.from(before[0]?.customer_enc ?? []), 'rows are not re-encrypted');

    // Life 3: only the new key. Everything opens: the API key, the customer data, the webhook secret.
    gw = await start({ TIJORI_MASTER_KEY: newKey });
    assert.equal((await signed(gw, clock, m.key, '/api/v3/pg/order/status', { order_id: 'rot-1' })).status, 200);
    const [row] = await gw.db.query<{ id: string; customer_enc: Uint8Array }>("SELECT id, customer_enc FROM orders WHERE order_ref = 'rot-1'");
    assert.match(await gw.keyring.unseal(row?.customer_enc ?? new Uint8Array(), customerContext(row?.id ?? '')), /r@example.com/);
    const rolled = await admin(gw, 'POST', `/admin/v1/webhook-endpoints/${endpoint.endpoint.id}/roll-secret`, { overlap_seconds: 60 });
    assert.equal(rolled.status, 200);
    await gw.close();

    // The old key alone opens nothing any more.
    await assert.rejects(start({ TIJORI_MASTER_KEY: oldKey }), /which this process does not have/);

    // Life 4: into the HSM. The token's KEK is current; the key file stays configured until the rewrap is done.
    await createKekInToken({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel: 'tijori-kek-1' });
    const hsm = {
      TIJORI_KEK_PROVIDER: 'pkcs11',
      TIJORI_PKCS11_MODULE: token.modulePath,
      TIJORI_PKCS11_TOKEN_LABEL: token.tokenLabel,
      TIJORI_PKCS11_PIN: token.pin.reveal(),
      TIJORI_PKCS11_KEY_LABEL: 'tijori-kek-1',
    };
    gw = await start({ ...hsm, TIJORI_MASTER_KEY: newKey });
    const intoHsm = await admin(gw, 'POST', '/admin/v1/kek/rotate');
    assert.equal(intoHsm.body.current_kek, 'pkcs11:tijori-kek-1');
    assert.deepEqual(intoHsm.body.data_keys_by_kek.map((k: { kek_id: string }) => k.kek_id), ['pkcs11:tijori-kek-1']);
    await gw.close();

    // Life 5: the HSM alone. With DATABASE_URL set no master key is loaded or generated at all (the URL itself
    // is unused: the test hands the gateway its database).
    gw = await start({ ...hsm, DATABASE_URL: 'postgres://unused.invalid/db' });
    assert.deepEqual((await admin(gw, 'GET', '/admin/v1/kek')).body.available_keks, ['pkcs11:tijori-kek-1']);
    try {
      assert.equal((await signed(gw, clock, m.key, '/api/v3/pg/order/status', { order_id: 'rot-1' })).status, 200);
      assert.equal((await signed(gw, clock, m.key, '/api/v3/pg/order/create', order('rot-2', 'r2@example.com', '9000000002'))).status, 200);
    } finally {
      await gw.close();
    }
  });
});
