import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertRefused } from '../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';

/** Deterministic pseudo-random garbage, so a failure reproduces. */
function* garbage(seed: number, count: number): Generator<string> {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
  const pieces = ['{', '}', '[', ']', '"', ':', ',', 'null', 'true', '1e999', '-0', '\\u0000', '\\ud800', '__proto__', 'constructor', '💳', ' ', '\n', 'order_id', '9'.repeat(40)];
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = next() % 40;
    for (let j = 0; j < len; j++) s += pieces[next() % pieces.length];
    yield s;
  }
}

for (const backend of BACKENDS) {
  describe(`hostile input on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(async () => {
      await gw?.close();
    });

    it('answers every correctly signed garbage body with a 4xx envelope, never a 5xx', async () => {
      let i = 0;
      for (const body of garbage(42, 300)) {
        gw.clock.advanceSeconds(i++ % 2); // vary the second so equal bodies are not replays
        const res = await gw.send({ path: CREATE, body });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(body)}: ${res.body}`);
        assert.equal(res.json().status, 'failed');
      }
    });

    it('refuses JSON that is not an object (arrays, null, numbers) as a validation failure', async () => {
      for (const body of ['[]', 'null', '42', '"order"', '{"__proto__":{"admin":true}}']) {
        const res = await gw.send({ path: CREATE, body });
        assertRefused(res, 400, 'validation_failed');
      }
    });

    it('answers garbage headers with 4xx, never a 5xx', async () => {
      const now = String(Math.floor(gw.clock.nowMs() / 1000));
      const cases: Array<Record<string, string>> = [
        { 'x-api-key': 'pk_test_' + 'a'.repeat(5000) },
        { 'x-api-key': "pk_test_' OR 1=1 --" },
        { 'x-timestamp': `${now}.5` },
        { 'x-timestamp': ' '.repeat(10) + now },
        { 'x-timestamp': '9'.repeat(400) },
        { 'x-signature': 'z'.repeat(64) },
        { 'x-signature': 'a'.repeat(6400) },
        { 'x-signature-version': '2'.repeat(100) },
        { accept: ';;;q=abc,,' },
      ];
      for (const headers of cases) {
        const res = await gw.send({ path: CREATE, body: orderBody(), headers });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} for ${JSON.stringify(headers).slice(0, 80)}: ${res.body}`);
        assert.match(res.json().error_code, /^[a-z_]+$/);
      }
    });

    it('refuses a JSON body declared in a charset other than UTF-8 (415), and accepts charset=utf-8', async () => {
      assertRefused(await gw.send({ path: CREATE, body: orderBody(), headers: { 'content-type': 'application/json; charset=utf-16' } }), 415, 'unsupported_media_type');
      const ok = await gw.send({ path: CREATE, body: orderBody(), headers: { 'content-type': 'application/json; charset="UTF-8"' } });
      assert.equal(ok.statusCode, 200, ok.body);
    });

    it('answers a body that lies about its length with 400, not a hang', async () => {
      const res = await gw.gateway.app.inject({
        method: 'POST',
        url: CREATE,
        headers: { 'content-type': 'application/json', 'content-length': '10', 'x-api-key': gw.sandbox.apiKey, 'x-timestamp': '1', 'x-signature': 'a' },
        payload: randomBytes(100).toString('hex'),
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, res.body);
    });
  });

  describe(`storage failure on ${backend.name}`, () => {
    it('answers 500 internal_error with a request id and no internal detail, logs the detail, and reports not ready', async () => {
      const gw = await startTestGateway(backend);
      try {
        // Warm the key cache, then take the database away underneath the running server.
        const ok = await gw.send({ path: CREATE, body: orderBody() });
        assert.equal(ok.statusCode, 200, ok.body);
        await gw.gateway.db.close();
        gw.clock.advanceSeconds(1);
        const res = await gw.send({ path: CREATE, body: orderBody() });
        const reply = assertRefused(res, 500, 'internal_error');
        assert.equal(reply.details, undefined);
        assert.doesNotMatch(res.body, /postgres|pglite|sql|stack|Error:/i);
        assert.ok(gw.logs.some((l) => l.includes('"level":50') && l.includes(String(reply.request_id))), 'the detail is logged under the request id');
        const ready = await gw.gateway.app.inject({ method: 'GET', url: '/readyz' });
        assertRefused(ready, 503, 'service_unavailable');
      } finally {
        await gw.close().catch(() => {});
      }
    });
  });
}
