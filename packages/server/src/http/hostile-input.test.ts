import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
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

    it('refuses a string holding U+0000 (PostgreSQL cannot store it): the merchant API names the field, the admin API refuses the body as invalid_json (found by the HTTP fuzzer)', async () => {
      const withNul = { ...orderBody(), customer: { name: 'A\u0000B', email: 'a@example.com', phone: '9876543210' } };
      assertRefused(await gw.send({ path: CREATE, body: withNul }), 400, 'validation_failed');
      assertRefused(await gw.send({ path: CREATE, body: JSON.stringify(orderBody()).replace('{', '{"x\\u0000":1,') }), 400, 'validation_failed');
      const before = await gw.orderCount();
      const admin = await gw.admin('POST', '/admin/v1/merchants', { name: 'INR\u0000', mode: 'sandbox' });
      assert.equal(admin.statusCode, 400, admin.body);
      assert.equal(admin.json().error_code, 'invalid_json');
      const escapedBackslash = await gw.send({ path: CREATE, body: { ...orderBody(), customer: { name: 'back\\u0000slash', email: 'a@example.com', phone: '9876543210' } } });
      assert.equal(escapedBackslash.statusCode, 200, `a backslash followed by "u0000" is no NUL: ${escapedBackslash.body}`);
      assert.equal(await gw.orderCount(), before + 1);
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

/** Writes `first`, then one byte of `drip` every 100 ms (none if empty); resolves with what came back once the server closes, or after 10 s. */
function slowClient(port: number, first: string, drip = ''): Promise<{ reply: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const began = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ reply, closedAfterMs: undefined });
    }, 10_000);
    socket.on('connect', () => {
      socket.write(first);
      if (drip) timer = setInterval(() => socket.write(drip), 100);
    });
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ reply, closedAfterMs: Date.now() - began });
    });
  });
}

// Over a real socket: the request timeout and CONNECT are handled by the HTTP server, below what inject() reaches.
describe('slow and tunnelling clients on a listening gateway', () => {
  const REQUEST_TIMEOUT_MS = 1_000;
  // Checked every quarter of the timeout (app.ts), plus room for a loaded machine.
  const CUT_OFF_BOUND_MS = REQUEST_TIMEOUT_MS * 1.25 + 2_000;
  let gw: TestGateway;
  let port: number;
  before(async () => {
    gw = await startTestGateway(BACKENDS[0]!, { TIJORI_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    await gw.gateway.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.gateway.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await gw?.close();
  });

  const headers = (length: number) =>
    `POST ${CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n` +
    `X-Api-Key: ${gw.sandbox.apiKey}\r\nX-Timestamp: ${Math.floor(gw.clock.nowMs() / 1000)}\r\nX-Signature: ${'a'.repeat(64)}\r\n\r\n`;

  // Regression: Fastify's requestTimeout defaults to 0, so a body dribbled a byte at a time held its connection forever.
  it('answers 408 and disconnects a client that dribbles its body for longer than TIJORI_REQUEST_TIMEOUT_MS', async () => {
    const result = await slowClient(port, headers(10_000), 'a');
    assert.ok(result.closedAfterMs !== undefined && result.closedAfterMs <= CUT_OFF_BOUND_MS, `not cut off within ${CUT_OFF_BOUND_MS} ms: ${JSON.stringify(result)}`);
    assert.match(result.reply, /^HTTP\/1\.1 408 /);
  });

  // Regression: with requestTimeout below Node's 60 s headersTimeout, Node swapped the two and a stalled body got 60 s.
  it('answers 408 and disconnects a client that stops part-way through its body', async () => {
    const result = await slowClient(port, `${headers(1_000)}{"order_id":`);
    assert.ok(result.closedAfterMs !== undefined && result.closedAfterMs <= CUT_OFF_BOUND_MS, `not cut off within ${CUT_OFF_BOUND_MS} ms: ${JSON.stringify(result)}`);
    assert.match(result.reply, /^HTTP\/1\.1 408 /);
  });

  it('disconnects a client that never finishes its headers', async () => {
    const result = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a');
    assert.ok(result.closedAfterMs !== undefined && result.closedAfterMs <= CUT_OFF_BOUND_MS, `not cut off within ${CUT_OFF_BOUND_MS} ms: ${JSON.stringify(result)}`);
  });

  // Regression: with no 'connect' listener Node closed the connection without an answer.
  it('answers CONNECT with 400 bad_request and closes, instead of dropping the connection silently', async () => {
    const result = await slowClient(port, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    assert.ok(result.closedAfterMs !== undefined, 'the server closes the connection');
    assert.match(result.reply, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(result.reply.slice(result.reply.indexOf('\r\n\r\n') + 4)) as { status: string; error_code: string; request_id: string };
    assert.equal(body.status, 'failed');
    assert.equal(body.error_code, 'bad_request');
    assert.match(body.request_id, /^req_/);
  });

  it('still answers ordinary requests on the same server', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
  });
});
