import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import {
  TijoriAuthenticationError,
  TijoriConnectionError,
  TijoriError,
  TijoriRateLimitError,
  TijoriServerError,
  TijoriTimeoutError,
  TijoriValidationError,
} from './errors.js';
import { fakeTime } from './test-support/fake-time.js';
import { rejection } from './test-support/rejection.js';
import { failure, scriptedFetch, type Step, success } from './test-support/scripted-fetch.js';
import { Tijori, type TijoriOptions } from './tijori.js';

const SECRET = 'sk_test_unit_secret_0123456789';

function client(steps: Step[], options: Partial<TijoriOptions> = {}) {
  const fetch = scriptedFetch(steps);
  const time = fakeTime();
  const tijori = new Tijori({ apiKey: 'pk_test_unit', secretKey: SECRET, baseUrl: 'https://gw.example', fetch, now: time.now, sleep: time.sleep, random: () => 0.5, ...options });
  return { tijori, sent: fetch.sent, time };
}

describe('one call to the gateway', () => {
  it('sends the exact bytes it signed, with a v2 signature of method, path, body and timestamp', async () => {
    const { tijori, sent } = client([success({ order_id: 'a' })]);
    await tijori.orders.status('a');
    const [request] = sent;
    assert.equal(request!.url, 'https://gw.example/api/v3/pg/order/status');
    assert.equal(request!.body, '{"order_id":"a"}');
    assert.equal(request!.headers['x-signature-version'], '2');
    assert.equal(request!.headers['x-api-key'], 'pk_test_unit');
    assert.match(request!.headers['user-agent']!, /^tijori-sdk-js\/\d/);
    const expected = signRequest({ scheme: 'v2', secret: SECRET, timestamp: request!.headers['x-timestamp']!, body: request!.body, method: 'POST', path: '/api/v3/pg/order/status' });
    assert.equal(request!.headers['x-signature'], expected);
  });

  it('signs v1 (body and timestamp) on request, without the version header', async () => {
    const { tijori, sent } = client([success({})], { signatureVersion: 'v1' });
    await tijori.orders.status(7);
    const request = sent[0]!;
    assert.equal(request.headers['x-signature-version'], undefined);
    assert.equal(request.headers['x-signature'], signRequest({ secret: SECRET, timestamp: request.headers['x-timestamp']!, body: '{"order_id":7}' }));
  });

  it('keeps a path prefix of baseUrl', async () => {
    const { tijori, sent } = client([success({})], { baseUrl: 'https://gw.example/tijori/' });
    await tijori.orders.status('a');
    assert.equal(sent[0]!.url, 'https://gw.example/tijori/api/v3/pg/order/status');
  });

  it('retries no reply and 5xx with growing, jittered waits, each attempt signed afresh', async () => {
    const { tijori, sent, time } = client([new TypeError('fetch failed'), new Response('<html>Bad gateway</html>', { status: 502 }), success({ order_id: 'a' })]);
    assert.deepEqual(await tijori.orders.status('a'), { order_id: 'a' });
    assert.equal(sent.length, 3);
    // Backoff 375 then 750 ms (steps of 500 and 1000, the upper half jittered at 0.5), each followed by the wait into a
    // new second that keeps the retry's signature from repeating the last one's.
    assert.deepEqual(time.sleeps, [375, 625, 750, 250]);
    const signatures = sent.map((s) => s.headers['x-signature']);
    assert.equal(new Set(signatures).size, 3, 'a repeated signature would be refused as a replay');
    assert.ok(sent.every((s) => s.body === sent[0]!.body));
  });

  it('waits for the next second rather than send the same signature twice', async () => {
    const { tijori, sent, time } = client([success({}), success({})]);
    await tijori.orders.status('a');
    await tijori.orders.status('a');
    assert.equal(Number(sent[1]!.headers['x-timestamp']), Number(sent[0]!.headers['x-timestamp']) + 1);
    assert.deepEqual(time.sleeps, [1000]);
  });

  it('honours Retry-After on a 429, then gives up with a TijoriRateLimitError carrying it', async () => {
    const { tijori, time } = client([failure(429, 'rate_limited', { 'retry-after': '7' }), failure(429, 'rate_limited', { 'retry-after': '7' }), failure(429, 'rate_limited', { 'retry-after': '7' })]);
    const err = await rejection(tijori.orders.status('a'), TijoriRateLimitError);
    assert.equal(err.retryAfter, 7);
    assert.equal(err.errorCode, 'rate_limited');
    assert.deepEqual(time.sleeps, [7000, 7000]);
  });

  it('does not wait out a Retry-After longer than a minute: the caller decides', async () => {
    const { tijori, sent, time } = client([failure(429, 'rate_limited', { 'retry-after': '3600' })]);
    const err = await rejection(tijori.orders.status('a'), TijoriRateLimitError);
    assert.equal(err.retryAfter, 3600);
    assert.equal(sent.length, 1);
    assert.deepEqual(time.sleeps, []);
  });

  it('does not retry a refusal of the request itself', async () => {
    const { tijori, sent } = client([failure(401, 'invalid_signature'), failure(400, 'validation_failed', {}, { errors: [{ field: 'order_id' }] })]);
    const auth = await rejection(tijori.orders.status('a'), TijoriAuthenticationError);
    assert.equal(auth.status, 401);
    assert.equal(auth.requestId, 'req_failed');
    const invalid = await rejection(tijori.orders.status('b'), TijoriValidationError);
    assert.deepEqual(invalid.details, { errors: [{ field: 'order_id' }] });
    assert.equal(sent.length, 2);
  });

  it('reports a reply that is not the gateway\'s envelope as a TijoriServerError with its status', async () => {
    const { tijori } = client([new Response('<html>Bad gateway</html>', { status: 502 })], { maxRetries: 0 });
    const err = await rejection(tijori.orders.status('a'), TijoriServerError);
    assert.equal(err.status, 502);
    assert.equal(err.errorCode, undefined);
    assert.match(err.message, /proxy/);
  });

  it('times an attempt out, retries it, and then throws a TijoriTimeoutError', async () => {
    const { tijori, sent } = client(['hang', 'hang'], { timeoutMs: 20, maxRetries: 1 });
    const err = await rejection(tijori.orders.status('a'), TijoriTimeoutError);
    assert.ok(err instanceof TijoriConnectionError);
    assert.equal(sent.length, 2);
  });

  it('stops at once, without retrying, when the caller\'s signal aborts', async () => {
    const { tijori, sent } = client(['hang', success({})]);
    const controller = new AbortController();
    const call = tijori.orders.status('a', { signal: controller.signal });
    // Abort once the first attempt is on the wire (signing takes a few turns of the event loop), not at a guessed moment.
    for (let turns = 0; sent.length === 0; turns++) {
      assert.ok(turns < 100_000, 'the first attempt was never sent');
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort();
    const err = await rejection(call, TijoriConnectionError);
    assert.match(err.message, /aborted/);
    assert.equal(sent.length, 1);
  });

  it('reads a 2xx that is not a success envelope as an error, not as data', async () => {
    const { tijori } = client([new Response('{"hello":1}', { status: 200 })]);
    assert.match((await rejection(tijori.orders.status('a'), TijoriError)).message, /not Tijori's success envelope/);
  });
});
