import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyRequest } from '@tijori/signing';
import { Secret } from '../lib/secret.js';
import { freePort } from '../test-support/free-port.js';
import type { MerchantCredentials } from './merchant-credentials.js';
import { prepareSignedRequest, readTijoriReply, sendSigned } from './signed-request.js';

const SECRET = 'sk_test_signed_request_secret_01';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A server that records each request and answers from `answer`. */
async function listen(answer: (seen: Seen) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const credentials = (baseUrl: string, signer: MerchantCredentials['signer'] = { kind: 'secret', secretKey: new Secret(SECRET) }): MerchantCredentials => ({
  apiKey: 'pk_test_0123456789abcdef01234567',
  signer,
  baseUrl,
  source: 'test',
  warnings: [],
});

describe('sendSigned', () => {
  let gateway: Awaited<ReturnType<typeof listen>>;
  let elsewhere: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    elsewhere = await listen(() => ({ status: 200, body: 'should never be reached' }));
    const moved = { status: 307, headers: { location: `${elsewhere.url}/stolen` } };
    const answered = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"code":"200","status":"success"}' };
    gateway = await listen((s) => (s.url === '/moved' ? moved : answered));
  });
  after(() => {
    gateway.server.close();
    elsewhere.server.close();
  });

  for (const scheme of ['v1', 'v2'] as const) {
    it(`sends exactly the bytes it signed, with a signature the gateway's verifier accepts (${scheme})`, async () => {
      const body = '{"order_id":"demo-1",\n "note":"₹ and a newline"}\n';
      const before = Math.floor(Date.now() / 1000);
      const reply = await sendSigned(credentials(gateway.url), { method: 'post', path: '/api/v3/pg/order/status?x=1', body, scheme });
      assert.equal(reply.ok, true);
      const s = gateway.seen.at(-1) as Seen;
      assert.equal(s.method, 'POST');
      assert.equal(s.url, '/api/v3/pg/order/status?x=1');
      assert.deepEqual(s.body, Buffer.from(body, 'utf8'));
      const timestamp = s.headers['x-timestamp'] as string;
      assert.ok(Number(timestamp) >= before && Number(timestamp) <= Math.floor(Date.now() / 1000), 'a fresh timestamp, in seconds');
      const verified = verifyRequest({
        secrets: [SECRET],
        signature: s.headers['x-signature'] as string,
        timestamp,
        version: s.headers['x-signature-version'] as string | undefined,
        rawBody: s.body,
        method: s.method,
        path: s.url,
        nowSeconds: Number(timestamp),
        allowedSchemes: [scheme],
      });
      assert.equal(verified.ok, true, JSON.stringify(verified));
      assert.equal(s.headers['x-api-key'], 'pk_test_0123456789abcdef01234567');
      assert.equal(s.headers['content-type'], 'application/json');
      // What it reports as sent is what arrived.
      for (const [name, value] of Object.entries(reply.sent.headers)) assert.equal(s.headers[name.toLowerCase()], value, name);
      assert.equal(JSON.stringify(reply).includes(SECRET), false);
    });
  }

  it('sends no Content-Type without a body, and signs the empty string', async () => {
    await sendSigned(credentials(gateway.url), { method: 'GET', path: '/healthz', body: '', scheme: 'v2' });
    const s = gateway.seen.at(-1) as Seen;
    assert.equal(s.headers['content-type'], undefined);
    assert.equal(s.body.length, 0);
  });

  it('signs v2 with a private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await sendSigned(credentials(gateway.url, { kind: 'private_key', privateKey: new Secret(pem) }), { method: 'POST', path: '/api/v3/pg/order/status', body: '{}', scheme: 'v2' });
    const s = gateway.seen.at(-1) as Seen;
    const verified = verifyRequest({ secrets: [], publicKeys: [publicKey], signature: s.headers['x-signature'] as string, timestamp: s.headers['x-timestamp'] as string, version: '2', rawBody: s.body, method: 'POST', path: s.url, nowSeconds: Number(s.headers['x-timestamp']) });
    assert.equal(verified.ok, true);
    assert.throws(() => prepareSignedRequest(credentials(gateway.url, { kind: 'private_key', privateKey: new Secret(pem) }), { method: 'POST', path: '/x', body: '', scheme: 'v1' }), /v2 only/);
  });

  it('never follows a redirect: the signed headers stay with the gateway', async () => {
    const reply = await sendSigned(credentials(gateway.url), { method: 'POST', path: '/moved', body: '{}', scheme: 'v2' });
    assert.equal(reply.ok, false);
    assert.match(reply.ok ? '' : reply.message, /answered with a redirect \(HTTP 307 to .*\/stolen\); it was not followed/);
    assert.equal(elsewhere.seen.length, 0);
  });

  it('reports a gateway that is not listening as a value, not an exception', async () => {
    const reply = await sendSigned(credentials(`http://127.0.0.1:${await freePort()}`), { method: 'POST', path: '/api/v3/pg/order/status', body: '{}', scheme: 'v2' });
    assert.equal(reply.ok, false);
    assert.match(reply.ok ? '' : reply.message, /nothing is listening at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
  });
});

describe('readTijoriReply', () => {
  const sent = prepareSignedRequest(credentials('http://gw.example'), { method: 'POST', path: '/x', body: '', scheme: 'v1' });
  const reply = (status: number, bodyText: string) => ({ ok: true as const, status, statusText: '', headers: {}, bodyText, sent });

  it('tells an answer, a refusal with its envelope, and something that is not Tijori apart', () => {
    assert.deepEqual(readTijoriReply(reply(200, '{"a":1}')), { kind: 'success', json: { a: 1 } });
    assert.deepEqual(readTijoriReply(reply(200, '<html>')), { kind: 'success', json: undefined });
    const failure = { code: '404', status: 'failed', message: 'No order.', error_code: 'order_not_found', request_id: 'req_1' };
    assert.deepEqual(readTijoriReply(reply(404, JSON.stringify(failure))), { kind: 'refused', failure });
    assert.match((readTijoriReply(reply(502, '<html>Bad gateway</html>')) as { message: string }).message, /HTTP 502 without a Tijori error envelope/);
  });
});
