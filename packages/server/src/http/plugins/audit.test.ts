import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { AuditTrail } from '../../core/audit-trail.js';
import { verifyStoredChain } from '../../core/audit-verify.js';
import { BACKENDS } from '../../test-support/backends.js';
import { ADMIN_TOKEN, orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

interface Stored {
  seq: string | number;
  at: Date;
  request_id: string;
  merchant_id: string | null;
  key_id: string | null;
  client_ip: string;
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  latency_ms: number;
}

for (const backend of BACKENDS) {
  describe(`the audit log records every /api/ and /admin/ call, on ${backend.name}`, () => {
    let gw: TestGateway;
    let trail: AuditTrail;
    /** Every signature sent and every secret used, to look for afterwards. */
    const secrets: string[] = [];

    before(async () => {
      gw = await startTestGateway(backend);
      assert.ok(gw.gateway.audit, 'audit is on by default');
      trail = gw.gateway.audit;
      secrets.push(gw.sandbox.secretKey, gw.live.secretKey, ADMIN_TOKEN);
    });
    after(() => gw?.close());

    async function recordOf(res: LightMyRequestResponse): Promise<Stored> {
      await trail.flush();
      const id = res.headers['x-request-id'] as string;
      const rows = await gw.gateway.db.query<Stored>('SELECT * FROM audit_log WHERE request_id = $1', [id]);
      assert.equal(rows.length, 1, `one record for ${id}`);
      return rows[0] as Stored;
    }

    async function send(options: Parameters<TestGateway['send']>[0]) {
      gw.clock.advanceSeconds(1);
      const res = await gw.send(options);
      secrets.push(res.signature);
      return res;
    }

    it('records a successful API call: who, from where, what, outcome and time', async () => {
      const res = await send({ path: '/api/v3/pg/order/create', body: orderBody(), remoteAddress: '203.0.113.9' });
      assert.equal(res.statusCode, 200);
      const r = await recordOf(res);
      assert.equal(r.merchant_id, gw.sandbox.merchantId);
      assert.equal(r.key_id, gw.sandbox.keyId);
      assert.equal(r.client_ip, '203.0.113.9');
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/api/v3/pg/order/create');
      assert.equal(r.status, 200);
      assert.equal(r.error_code, null);
      assert.equal(r.at.getTime(), gw.clock.nowMs());
      assert.ok(r.latency_ms > 0 && r.latency_ms < 10_000);
    });

    it('records a refused API call with its error code, and the key it named', async () => {
      const res = await send({ path: '/api/v3/pg/order/create', body: orderBody(), signWith: { secret: 'not the secret' } });
      assert.equal(res.statusCode, 401);
      const r = await recordOf(res);
      assert.equal(r.error_code, 'invalid_signature');
      assert.equal(r.status, 401);
      assert.equal(r.key_id, gw.sandbox.keyId);
    });

    it('records a refusal before any key was resolved with no merchant or key', async () => {
      const res = await send({ path: '/api/v3/pg/order/create', body: orderBody(), headers: { 'x-api-key': 'pk_test_000000000000000000000000' } });
      assert.equal(res.statusCode, 401);
      const r = await recordOf(res);
      assert.equal(r.error_code, 'unknown_api_key');
      assert.equal(r.merchant_id, null);
      assert.equal(r.key_id, null);
    });

    it('stores the path without its query string', async () => {
      const res = await send({ path: '/api/v3/pg/order/status?order_id=private-ref&token=abc', body: { order_id: 'nope' } });
      const r = await recordOf(res);
      assert.equal(r.path, '/api/v3/pg/order/status');
    });

    it('records unknown routes under /api/ and /admin/', async () => {
      const api = await gw.gateway.app.inject({ method: 'GET', url: '/api/v3/nowhere?x=1' });
      assert.equal(api.statusCode, 404);
      assert.deepEqual([(await recordOf(api)).path, (await recordOf(api)).error_code], ['/api/v3/nowhere', 'route_not_found']);
      const admin = await gw.admin('GET', '/admin/v1/nowhere');
      assert.equal(admin.statusCode, 404);
      assert.equal((await recordOf(admin)).status, 404);
    });

    it('records a URL Fastify cannot route (bad percent-encoding), which no hook sees', async () => {
      for (const url of ['/api/v3/%zz', '/admin/v1/merchants/%E0%A4%A']) {
        const res = await gw.gateway.app.inject({ method: 'POST', url, remoteAddress: '203.0.113.77' });
        assert.equal(res.statusCode, 400);
        const r = await recordOf(res);
        assert.equal(r.path, url);
        assert.equal(r.status, 400);
        assert.equal(r.error_code, 'bad_request');
        assert.equal(r.client_ip, '203.0.113.77');
      }
    });

    it('records an admin call, with no merchant or key (the operator is the caller)', async () => {
      const res = await gw.admin('GET', '/admin/v1/merchants');
      assert.equal(res.statusCode, 200);
      const r = await recordOf(res);
      assert.deepEqual({ method: r.method, path: r.path, status: r.status, error_code: r.error_code, merchant_id: r.merchant_id, key_id: r.key_id, client_ip: r.client_ip }, {
        method: 'GET',
        path: '/admin/v1/merchants',
        status: 200,
        error_code: null,
        merchant_id: null,
        key_id: null,
        client_ip: '127.0.0.1',
      });
    });

    it('records a refused admin token', async () => {
      const wrong = 'tja_wrong_token_0123456789abcdefghijklmnop';
      secrets.push(wrong);
      const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/suspend`, undefined, wrong);
      assert.equal(res.statusCode, 401);
      const r = await recordOf(res);
      assert.equal(r.error_code, 'admin_unauthorized');
      assert.equal(r.path, `/admin/v1/merchants/${gw.sandbox.merchantId}/suspend`);
    });

    it('does not record calls outside /api/ and /admin/', async () => {
      await trail.flush();
      const [before] = await gw.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
      for (const url of ['/healthz', '/openapi.json', '/apiary', '/administrator']) await gw.gateway.app.inject({ method: 'GET', url });
      await trail.flush();
      const [afterRows] = await gw.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
      assert.equal(afterRows?.n, before?.n);
    });

    it('stores no secret, signature, token, body or customer contact', async () => {
      const body = orderBody({ customer: { name: 'Priya Ramaswamy', email: 'priya.audit@example.com', phone: '9123456780' }, order_note: 'note-in-body-only' });
      await send({ path: '/api/v3/pg/order/create', body });
      await send({ path: '/api/v3/pg/order/create', body: orderBody({ customer: { name: 'X', email: 'refused.audit@example.com', phone: '9000000001' } }), signWith: { body: '{}' } });
      await trail.flush();
      const rows = await gw.gateway.db.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_log a');
      const all = rows.map((r) => r.row).join('\n');
      assert.ok(rows.length >= 10);
      for (const needle of [...secrets, 'priya.audit@example.com', '9123456780', 'Priya', 'refused.audit@example.com', '9000000001', 'note-in-body-only', body.order_id as string, 'private-ref']) {
        assert.ok(needle.length > 0);
        assert.equal(all.includes(needle), false, `the audit log contains ${needle.slice(0, 12)}…`);
        assert.equal(all.toLowerCase().includes(needle.toLowerCase()), false);
      }
    });

    it('keeps answering when records cannot be written, and writes them once the table is back', async () => {
      await trail.flush();
      await gw.gateway.db.query('ALTER TABLE audit_log RENAME TO audit_log_away');
      const ids: string[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const res = await send({ path: '/api/v3/pg/order/create', body: orderBody() });
          assert.equal(res.statusCode, 200);
          ids.push(res.headers['x-request-id'] as string);
        }
        await trail.flush();
        assert.equal(trail.pendingRecords, 3);
        assert.ok(gw.logs.some((l) => l.includes('could not write audit records')));
      } finally {
        await gw.gateway.db.query('ALTER TABLE audit_log_away RENAME TO audit_log');
      }
      await trail.flush();
      assert.equal(trail.pendingRecords, 0);
      const rows = await gw.gateway.db.query<{ request_id: string }>('SELECT request_id FROM audit_log WHERE request_id = ANY($1::text[]) ORDER BY seq', [ids]);
      assert.deepEqual(rows.map((r) => r.request_id), ids);
      const verdict = await verifyStoredChain(gw.gateway.db);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
    });
  });
}

describe('with TIJORI_AUDIT_ENABLED=false (benchmark comparison only)', () => {
  it('writes no audit records', async () => {
    const pglite = BACKENDS.find((b) => b.name === 'pglite');
    assert.ok(pglite);
    const gw = await startTestGateway(pglite, { TIJORI_AUDIT_ENABLED: 'false' });
    try {
      assert.equal(gw.gateway.audit, undefined);
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() })).statusCode, 200);
      assert.equal((await gw.admin('GET', '/admin/v1/merchants')).statusCode, 200);
      const [row] = await gw.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_log');
      assert.equal(row?.n, '0');
    } finally {
      await gw.close();
    }
  });
});
