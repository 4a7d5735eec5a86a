import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canonicalJson } from '@tijori/signing';
import { assertRefused, authRefusalSuite } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../../test-support/backends.js';
import { BASE_URL, orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

const PATH = '/api/v3/pg/order/create';

for (const backend of BACKENDS) {
  describe(`POST ${PATH} on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(async () => {
      await gw?.close();
    });

    describe('authentication refusals', () => authRefusalSuite(() => gw, { path: PATH, validBody: () => orderBody() }));

    it('creates an order signed v1 over the raw body, replying with the v3 envelope', async () => {
      const body = orderBody({ order_id: 6116229263036, order_amount: 105 });
      const res = await gw.send({ path: PATH, body });
      assert.equal(res.statusCode, 200, res.body);
      const reply = res.json();
      assert.equal(reply.code, '200');
      assert.equal(reply.status, 'success');
      const data = reply.return_data;
      assert.match(data.gateway_order_id, /^ord_[0-9a-f]{24}$/);
      assert.equal(data.order_id, 6116229263036, 'a numeric order_id comes back as a number');
      assert.equal(data.order_amount, '105.00');
      assert.equal(data.order_currency, 'INR');
      assert.equal(data.order_status, 'UN_PAID');
      assert.equal(data.mode, 'sandbox');
      assert.ok(data.payment_link.startsWith(`${BASE_URL}/checkout/${data.gateway_order_id}/`));
      assert.equal(data.created_at, new Date(gw.clock.nowMs()).toISOString(), 'timestamps come from the injected clock');
      assert.match(res.headers['x-request-id'] as string, /^req_/);
      const stored = await gw.gateway.db.query('SELECT id FROM orders WHERE id = $1', [data.gateway_order_id]);
      assert.equal(stored.length, 1, 'the order is committed before the reply');
    });

    it('accepts v1 signed over the canonical form while the body is formatted differently', async () => {
      const body = orderBody({ customer: { phone: '9816512345', email: 'a/b@example.com', name: 'Ajay' } });
      const pretty = JSON.stringify(body, null, 4);
      const res = await gw.send({ path: PATH, body: pretty, signWith: { body: canonicalJson(body) } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().return_data.order_id, body.order_id);
    });

    it('accepts v2 over method, path, raw body and timestamp', async () => {
      const res = await gw.send({ path: PATH, body: orderBody(), scheme: 'v2' });
      assert.equal(res.statusCode, 200, res.body);
    });

    it('refuses a v2 body re-formatted after signing: v2 covers the raw bytes only', async () => {
      const body = orderBody();
      const res = await gw.send({ path: PATH, body: JSON.stringify(body, null, 2), scheme: 'v2', signWith: { body: canonicalJson(body) } });
      assertRefused(res, 401, 'invalid_signature');
    });

    it('shows the sandbox integrator the exact strings it signed, with the body hashed', async () => {
      const res = await gw.send({ path: PATH, body: orderBody(), signWith: { secret: 'sk_test_wrong' } });
      const reply = assertRefused(res, 401, 'invalid_signature');
      const strings = (reply.details as { signed_strings: Array<{ scheme: string; form: string; signed: string }> }).signed_strings;
      assert.deepEqual(strings.map((s) => `${s.scheme}/${s.form}`).sort(), ['v1/canonical', 'v1/raw', 'v2/raw']);
      for (const s of strings) assert.match(s.signed, /<body sha256=[0-9a-f]{64} length=\d+>/);
      assert.equal(res.body.includes('developer@jangras.co'), false, 'the body is never echoed');
    });

    it('never shows a live integrator what was signed', async () => {
      const res = await gw.send({ path: PATH, key: gw.live, body: orderBody(), signWith: { secret: 'sk_live_wrong' } });
      const reply = assertRefused(res, 401, 'invalid_signature');
      assert.equal(reply.details, undefined);
    });

    it('refuses schema violations with 400, listing every bad field, writing nothing', async () => {
      const before = await gw.orderCount();
      const res = await gw.send({
        path: PATH,
        body: orderBody({ order_amount: true, service_type: 'SERVICES', customer: { name: '', email: 'nope' }, extra: 1 }),
      });
      const reply = assertRefused(res, 400, 'validation_failed');
      const fields = (reply.details as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
      assert.deepEqual(fields, ['customer.email', 'customer.name', 'customer.phone', 'extra', 'order_amount', 'service_type']);
      assert.equal(await gw.orderCount(), before);
    });

    it('refuses a missing body as a validation failure', async () => {
      const res = await gw.send({ path: PATH, body: undefined, headers: { 'content-type': undefined } });
      assertRefused(res, 400, 'validation_failed');
    });

    for (const [label, overrides, field] of [
      ['more decimals than the currency has', { order_amount: '10.001' }, 'order_amount'],
      ['a zero amount', { order_amount: '0.00' }, 'order_amount'],
      ['a negative amount', { order_amount: -5 }, 'order_amount'],
      ['an exponent amount', { order_amount: '1e3' }, 'order_amount'],
      ['an unknown currency', { order_currency: 'ABC' }, 'order_currency'],
      ['a lower-case currency', { order_currency: 'inr' }, 'order_currency'],
      ['an order_id beyond 2^53', { order_id: 2 ** 53 + 2 }, 'order_id'],
      ['a fractional order_id', { order_id: 1.5 }, 'order_id'],
      ['an order_id with spaces', { order_id: 'a b' }, 'order_id'],
      ['a javascript: return_url', { return_url: 'javascript:alert(1)' }, 'return_url'],
      ['a NUL character in the note', { order_note: 'a\u0000b' }, 'order_note'],
      ['a lone surrogate in the note', { order_note: 'a\ud800b' }, 'order_note'],
    ] as const) {
      it(`refuses ${label} (400 validation_failed naming ${field})`, async () => {
        const res = await gw.send({ path: PATH, body: orderBody(overrides) });
        const reply = assertRefused(res, 400, 'validation_failed');
        assert.deepEqual((reply.details as { errors: Array<{ field: string }> }).errors.map((e) => e.field), [field]);
      });
    }

    it('stores amounts in minor units exactly: JPY has none, BHD has three', async () => {
      const jpy = await gw.send({ path: PATH, body: orderBody({ order_amount: 500, order_currency: 'JPY' }) });
      assert.equal(jpy.json().return_data.order_amount, '500');
      const bhd = await gw.send({ path: PATH, body: orderBody({ order_amount: '1.234', order_currency: 'BHD' }) });
      assert.equal(bhd.json().return_data.order_amount, '1.234');
      const rows = await gw.gateway.db.query<{ amount_minor: string | number }>(
        "SELECT amount_minor FROM orders WHERE currency IN ('JPY', 'BHD') ORDER BY currency",
      );
      assert.deepEqual(rows.map((r) => Number(r.amount_minor)), [1234, 500]);
    });

    it('refuses a duplicate order_id with 409 naming the existing order, and changes nothing', async () => {
      const body = orderBody();
      const first = await gw.send({ path: PATH, body });
      assert.equal(first.statusCode, 200, first.body);
      gw.clock.advanceSeconds(1);
      const before = await gw.orderCount();
      const again = await gw.send({ path: PATH, body: { ...body, order_amount: '999.00' } });
      const reply = assertRefused(again, 409, 'duplicate_order_id');
      assert.equal((reply.details as { gateway_order_id: string }).gateway_order_id, first.json().return_data.gateway_order_id);
      assert.equal(await gw.orderCount(), before);
    });

    it('under concurrency creates each order exactly once and answers every duplicate with 409', async () => {
      const before = await gw.orderCount();
      const distinct = Array.from({ length: 40 }, (_, i) => orderBody({ order_id: `burst-${i}` }));
      // Ten more requests for burst-0, each a different body so each is a different signature.
      const dupes = Array.from({ length: 10 }, (_, i) => orderBody({ order_id: 'burst-0', order_note: `dupe ${i}` }));
      const replies = await Promise.all([...distinct, ...dupes].map((body) => gw.send({ path: PATH, body })));
      const ok = replies.filter((r) => r.statusCode === 200);
      const conflicts = replies.filter((r) => r.statusCode === 409);
      assert.equal(ok.length, 40, replies.filter((r) => r.statusCode !== 200 && r.statusCode !== 409).map((r) => r.body).join('\n'));
      assert.equal(conflicts.length, 10);
      const winner = ok.map((r) => r.json().return_data).find((d) => d.order_id === 'burst-0');
      for (const c of conflicts) assert.equal(c.json().details.gateway_order_id, winner.gateway_order_id);
      assert.equal(await gw.orderCount(), before + 40);
      const statuses = await Promise.all(
        [...distinct.map((b) => b.order_id), 'burst-missing'].map((id) => gw.send({ path: '/api/v3/pg/order/status', body: { order_id: id } })),
      );
      assert.deepEqual(statuses.slice(0, 40).map((r) => r.json().return_data.order_id), distinct.map((b) => b.order_id));
      assert.equal(statuses[40]?.statusCode, 404);
    });

    it('lets the same order_id exist once in sandbox and once in live', async () => {
      const body = orderBody();
      assert.equal((await gw.send({ path: PATH, body })).statusCode, 200);
      const live = await gw.send({ path: PATH, body, key: gw.live });
      assert.equal(live.statusCode, 200, live.body);
      assert.equal(live.json().return_data.mode, 'live');
    });

    it('requires https return URLs for live orders', async () => {
      const res = await gw.send({ path: PATH, key: gw.live, body: orderBody({ return_url: 'http://merchant.example/r' }) });
      assertRefused(res, 400, 'validation_failed');
    });

    it('stores customer contact details only as ciphertext', async () => {
      const body = orderBody({ customer: { name: 'Zanele Mbeki', email: 'zanele.unique@example.org', phone: '+27821234567' } });
      assert.equal((await gw.send({ path: PATH, body })).statusCode, 200);
      const rows = await gw.gateway.db.query<Record<string, unknown>>('SELECT * FROM orders WHERE order_ref = $1', [body.order_id]);
      const dump = JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
      for (const clear of ['Zanele', 'zanele.unique@example.org', '27821234567']) assert.equal(dump.includes(clear), false, clear);
    });

    it('never writes a secret, signature or customer contact to the log or a reply', async () => {
      const replies = [
        await gw.send({ path: PATH, body: orderBody() }),
        await gw.send({ path: PATH, body: orderBody(), signWith: { secret: 'sk_test_wrong' } }),
        await gw.send({ path: PATH, key: gw.live, body: orderBody(), signWith: { secret: 'sk_live_wrong' } }),
        await gw.send({ path: PATH, body: orderBody({ order_amount: 'x' }) }),
        await gw.send({ path: PATH, body: '{"broken' }),
      ];
      const signatures = replies.map((r) => r.signature);
      const log = gw.logs.join('');
      const bodies = replies.map((r) => r.body).join('');
      assert.ok(log.length > 0, 'requests are logged');
      for (const secret of [gw.sandbox.secretKey, gw.live.secretKey, ...signatures, 'developer@jangras.co', '9816512345']) {
        assert.equal(log.includes(secret), false, `log leaks ${secret.slice(0, 8)}…`);
        assert.equal(bodies.includes(secret), false, `a reply leaks ${secret.slice(0, 8)}…`);
      }
    });
  });
}
