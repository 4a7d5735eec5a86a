import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../../core/audit-chain.js';
import { verifyRecordLines } from '../../core/audit-verify.js';
import { BACKENDS } from '../../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

interface Page {
  records: AuditRecord[];
  next_after_seq: number | null;
}

for (const backend of BACKENDS) {
  describe(`GET /admin/v1/audit and /admin/v1/audit/export on ${backend.name}`, () => {
    let gw: TestGateway;
    let startMs: number;
    let middleMs: number;

    before(async () => {
      gw = await startTestGateway(backend);
      startMs = gw.clock.nowMs();
      // Sandbox: 3 created, 1 refused. Live: 2 created. Then 1 admin call and 1 refused admin call.
      for (let i = 0; i < 3; i++) {
        gw.clock.advanceSeconds(10);
        assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() })).statusCode, 200);
      }
      gw.clock.advanceSeconds(10);
      assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body: orderBody(), signWith: { secret: 'wrong' } })).statusCode, 401);
      middleMs = gw.clock.nowMs() + 5000;
      for (let i = 0; i < 2; i++) {
        gw.clock.advanceSeconds(10);
        assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body: orderBody({ return_url: 'https://merchant.example/r' }), key: gw.live })).statusCode, 200);
      }
      gw.clock.advanceSeconds(10);
      assert.equal((await gw.admin('GET', '/admin/v1/merchants')).statusCode, 200);
      assert.equal((await gw.admin('GET', '/admin/v1/merchants', undefined, 'x'.repeat(40))).statusCode, 401);
    });
    after(() => gw?.close());

    async function list(query: string): Promise<Page> {
      const res = await gw.admin('GET', `/admin/v1/audit${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<Page>();
    }

    it('lists records in seq order, as hashed (verifiable as they are)', async () => {
      const page = await list('');
      assert.equal(page.records.length, 8);
      assert.deepEqual(page.records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(page.next_after_seq, null);
      const first = page.records[0] as AuditRecord;
      assert.deepEqual(Object.keys(first).sort(), ['at', 'client_ip', 'error_code', 'hash', 'key_id', 'latency_ms', 'merchant_id', 'method', 'path', 'prev_hash', 'request_id', 'seq', 'status']);
      assert.equal((await verifyRecordLines(page.records.map((r) => JSON.stringify(r)))).ok, true);
    });

    it('filters by merchant, and by key as key_… or as the API key', async () => {
      const byMerchant = await list(`?merchant_id=${gw.live.merchantId}`);
      assert.equal(byMerchant.records.length, 2);
      assert.ok(byMerchant.records.every((r) => r.merchant_id === gw.live.merchantId));
      assert.equal((await list(`?key_id=${gw.sandbox.keyId}`)).records.length, 4);
      assert.equal((await list(`?key_id=${gw.sandbox.apiKey}`)).records.length, 4);
      const unknown = await gw.admin('GET', '/admin/v1/audit?key_id=pk_test_ffffffffffffffffffffffff');
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error_code, 'key_not_found');
    });

    it('filters by outcome and by time', async () => {
      const failures = await list('?outcome=failure');
      assert.ok(failures.records.every((r) => r.status >= 400));
      assert.deepEqual(failures.records.filter((r) => r.seq <= 8).map((r) => r.error_code), ['invalid_signature', 'admin_unauthorized']);
      assert.deepEqual((await list('?outcome=4xx')).records.map((r) => r.seq), failures.records.map((r) => r.seq));
      const success = await list('?outcome=success');
      assert.ok(success.records.every((r) => r.status < 400));
      // The setup's 8 records less its 2 refusals (the listings made since are successes too).
      assert.deepEqual(success.records.filter((r) => r.seq <= 8).map((r) => r.seq), [1, 2, 3, 5, 6, 7]);
      assert.equal((await list('?outcome=5xx')).records.length, 0);
      const from = new Date(startMs).toISOString();
      const to = new Date(middleMs).toISOString();
      const early = await list(`?from=${from}&to=${to}`);
      assert.equal(early.records.length, 4);
      const late = await list(`?from=${to}&merchant_id=${gw.live.merchantId}`);
      assert.equal(late.records.length, 2);
    });

    it('pages with limit and after_seq', async () => {
      const one = await list('?limit=3');
      assert.deepEqual(one.records.map((r) => r.seq), [1, 2, 3]);
      assert.equal(one.next_after_seq, 3);
      const two = await list(`?limit=3&after_seq=${one.next_after_seq}`);
      assert.deepEqual(two.records.map((r) => r.seq), [4, 5, 6]);
    });

    it('refuses malformed filters (query strings are checked as strings, never coerced)', async () => {
      for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'outcome=maybe', 'after_seq=-1', 'from=yesterday', 'merchant_id=mer_x', 'key_id=sk_test_abcdefgh', 'colour=red']) {
        const res = await gw.admin('GET', `/admin/v1/audit?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.equal(res.json().error_code, 'validation_failed', query);
      }
    });

    it('needs the admin token', async () => {
      assert.equal((await gw.admin('GET', '/admin/v1/audit', undefined, 'y'.repeat(40))).statusCode, 401);
      assert.equal((await gw.admin('GET', '/admin/v1/audit/export', undefined, 'y'.repeat(40))).statusCode, 401);
      const merchantKey = await gw.send({ method: 'GET', path: '/admin/v1/audit' });
      assert.equal(merchantKey.statusCode, 401);
    });

    it('exports JSON lines that verify offline, and filters the export like the listing', async () => {
      const res = await gw.admin('GET', '/admin/v1/audit/export');
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^application\/x-ndjson/);
      const lines = res.body.split('\n').filter((l) => l !== '');
      assert.ok(lines.length >= 8);
      const verdict = await verifyRecordLines(lines);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(verdict.ok && verdict.count, lines.length);

      const live = await gw.admin('GET', `/admin/v1/audit/export?merchant_id=${gw.live.merchantId}`);
      const liveLines = live.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditRecord);
      assert.equal(liveLines.length, 2);
      assert.ok(liveLines.every((r) => r.merchant_id === gw.live.merchantId));

      const tampered = lines.map((l) => l.replace('"status":401', '"status":200'));
      const broken = await verifyRecordLines(tampered);
      assert.equal(broken.ok, false);
      assert.match(broken.ok ? '' : broken.message, /^record seq \d+: hash mismatch \(edited\)$/);
    });

    it('streams a long export in pages, ending at the head it started from', async () => {
      const trail = gw.gateway.audit;
      assert.ok(trail);
      for (let i = 0; i < 2500; i++) {
        trail.record({ at: new Date(gw.clock.nowMs()).toISOString(), request_id: `req_bulk${String(i).padStart(28, '0')}`, merchant_id: null, key_id: null, client_ip: '127.0.0.1', method: 'GET', path: '/admin/v1/bulk', status: 200, error_code: null, latency_ms: 1 });
      }
      const res = await gw.admin('GET', '/admin/v1/audit/export?after_seq=5');
      const lines = res.body.split('\n').filter((l) => l !== '');
      assert.ok(lines.length > 2500);
      assert.equal((JSON.parse(lines[0] as string) as AuditRecord).seq, 6);
      const verdict = await verifyRecordLines(lines);
      assert.equal(verdict.ok && verdict.first, 6);
    });
  });
}
