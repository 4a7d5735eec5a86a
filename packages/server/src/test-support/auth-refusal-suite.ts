import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { SendOptions, TestGateway } from './test-gateway.js';

export interface AuthenticatedRoute {
  path: string;
  /** A body the route would accept (fresh each call). */
  validBody(): Record<string, unknown>;
}

/** Asserts the failure envelope: status, stable code, request id echoed in header and body. */
export function assertRefused(res: LightMyRequestResponse, status: number, errorCode: string): Record<string, unknown> {
  const body = res.json() as Record<string, unknown>;
  assert.equal(res.statusCode, status, `expected ${status} ${errorCode}, got ${res.statusCode} ${res.body}`);
  assert.equal(body.error_code, errorCode, res.body);
  assert.equal(body.status, 'failed');
  assert.equal(body.code, String(status));
  assert.match(String(body.request_id), /^req_[0-9a-f]{32}$/);
  assert.equal(res.headers['x-request-id'], body.request_id);
  assert.equal(typeof body.message, 'string');
  return body;
}

/**
 * The refusals every authenticated route must make. Each case checks the
 * status, the error code, and that no order was written.
 */
export function authRefusalSuite(gw: () => TestGateway, route: AuthenticatedRoute): void {
  async function refused(options: Omit<SendOptions, 'path'> & { path?: string }, status: number, code: string) {
    const before = await gw().orderCount();
    const res = await gw().send({ path: route.path, body: route.validBody(), ...options });
    const body = assertRefused(res, status, code);
    assert.equal(await gw().orderCount(), before, 'nothing may be written');
    return body;
  }

  for (const header of ['x-api-key', 'x-timestamp', 'x-signature']) {
    it(`refuses a request without ${header.toUpperCase()} (401 missing_auth_header)`, async () => {
      const body = await refused({ headers: { [header]: undefined } }, 401, 'missing_auth_header');
      assert.deepEqual((body.details as { missing_headers: string[] }).missing_headers, [header.toUpperCase()]);
    });
  }

  it('refuses an unknown API key (401 unknown_api_key)', async () => {
    await refused({ key: { ...gw().sandbox, apiKey: 'pk_test_000000000000000000000000' } }, 401, 'unknown_api_key');
    await refused({ key: { ...gw().sandbox, apiKey: 'not-a-key' } }, 401, 'unknown_api_key');
  });

  it('refuses a signature made with the wrong secret (401 invalid_signature)', async () => {
    await refused({ signWith: { secret: 'sk_test_wrong' } }, 401, 'invalid_signature');
  });

  it('refuses a signature that is not 64 hex characters (401 malformed_signature)', async () => {
    await refused({ headers: { 'x-signature': 'abc123' } }, 401, 'malformed_signature');
  });

  it('refuses a timestamp older than the window, telling the server time (401 timestamp_outside_window)', async () => {
    const now = Math.floor(gw().clock.nowMs() / 1000);
    const body = await refused({ timestamp: String(now - 301) }, 401, 'timestamp_outside_window');
    assert.equal((body.details as { server_time: number }).server_time, now);
  });

  it('refuses a timestamp further ahead than the window (401 timestamp_outside_window)', async () => {
    const now = Math.floor(gw().clock.nowMs() / 1000);
    await refused({ timestamp: String(now + 301) }, 401, 'timestamp_outside_window');
  });

  it('accepts a timestamp exactly at the edge of the window', async () => {
    const now = Math.floor(gw().clock.nowMs() / 1000);
    const res = await gw().send({ path: route.path, body: route.validBody(), timestamp: String(now - 300) });
    assert.notEqual(res.statusCode, 401, res.body);
  });

  it('refuses milliseconds with an error that says so (401 timestamp_in_milliseconds)', async () => {
    const body = await refused({ timestamp: String(gw().clock.nowMs()) }, 401, 'timestamp_in_milliseconds');
    assert.match(String(body.message), /milliseconds/i);
  });

  it('refuses a timestamp that is not decimal seconds (401 malformed_timestamp)', async () => {
    await refused({ timestamp: '2026-11-23T12:00:00Z' }, 401, 'malformed_timestamp');
    await refused({ timestamp: '-5' }, 401, 'malformed_timestamp');
  });

  it('refuses an unknown X-SIGNATURE-VERSION (401 unsupported_signature_version)', async () => {
    await refused({ headers: { 'x-signature-version': '3' } }, 401, 'unsupported_signature_version');
  });

  for (const [what, signWith] of [
    ['one byte of the body', 'body'],
    ['the path', 'path'],
    ['the method', 'method'],
    ['the timestamp', 'timestamp'],
  ] as const) {
    it(`refuses a v2 request whose ${what} differs from what was signed (401 invalid_signature)`, async () => {
      const body = route.validBody();
      const sent = JSON.stringify(body);
      const tampered = {
        body: sent.replace('"', "'"),
        path: `${route.path}?x=1`,
        method: 'PUT',
        timestamp: String(Math.floor(gw().clock.nowMs() / 1000) - 1),
      }[signWith];
      await refused({ body: sent, scheme: 'v2', signWith: { [signWith]: tampered } }, 401, 'invalid_signature');
    });
  }

  it('refuses a v1 request whose body was changed by one byte after signing (401 invalid_signature)', async () => {
    const signed = JSON.stringify(route.validBody());
    const i = signed.lastIndexOf('"') - 1; // a character inside the last string value
    const sent = signed.slice(0, i) + (signed[i] === 'a' ? 'b' : 'a') + signed.slice(i + 1);
    await refused({ body: sent, signWith: { body: signed } }, 401, 'invalid_signature');
  });

  it('refuses a replayed request and executes it only once (401 replayed_request)', async () => {
    // A second of its own: a route's valid body may be constant, and the same body at the same second is the same signature.
    gw().clock.advanceSeconds(1);
    const body = JSON.stringify(route.validBody());
    const timestamp = String(Math.floor(gw().clock.nowMs() / 1000));
    const first = await gw().send({ path: route.path, body, timestamp });
    assert.notEqual(first.statusCode, 401, first.body);
    const before = await gw().orderCount();
    const again = await gw().send({ path: route.path, body, timestamp });
    assertRefused(again, 401, 'replayed_request');
    assert.equal(await gw().orderCount(), before);
  });

  it('refuses the replay of a signature sent again in upper-case hex (401 replayed_request)', async () => {
    // A second of its own: a route's valid body may be constant, and the same body at the same second is the same signature.
    gw().clock.advanceSeconds(1);
    const body = JSON.stringify(route.validBody());
    const timestamp = String(Math.floor(gw().clock.nowMs() / 1000));
    const first = await gw().send({ path: route.path, body, timestamp });
    const signature = first.signature;
    assert.notEqual(first.statusCode, 401, first.body);
    await refused({ body, timestamp, headers: { 'x-signature': signature.toUpperCase() } }, 401, 'replayed_request');
  });

  it('refuses a Content-Type other than JSON (415 unsupported_media_type)', async () => {
    await refused({ headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type');
    await refused({ headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type');
  });

  it('refuses an Accept header that excludes JSON (406 not_acceptable)', async () => {
    await refused({ headers: { accept: 'text/html' } }, 406, 'not_acceptable');
  });

  it('refuses a body over 64 KiB (413 payload_too_large)', async () => {
    const big = JSON.stringify({ ...route.validBody(), padding: 'x'.repeat(65 * 1024) });
    await refused({ body: big }, 413, 'payload_too_large');
  });

  it('refuses a correctly signed body that is not JSON (400 invalid_json)', async () => {
    await refused({ body: '{"order_id": "a",' }, 400, 'invalid_json');
    await refused({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1') }, 400, 'invalid_json');
  });

  it('refuses an unsigned malformed body as unauthenticated, not as bad JSON', async () => {
    await refused({ body: '{not json', signWith: { secret: 'sk_test_wrong' } }, 401, 'invalid_signature');
  });

  it('does not answer with CORS permissions (secrets must never be used from a browser)', async () => {
    const res = await gw().send({ path: route.path, body: route.validBody(), headers: { origin: 'https://evil.example' } });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
}
