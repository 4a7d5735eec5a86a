import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signWebhook } from '@tijori/signing';
import { TijoriWebhookVerificationError } from './errors.js';
import { rejection } from './test-support/rejection.js';
import { vectors } from './test-support/vectors.js';
import { isPaymentEvent } from './webhook-event.js';
import { verifyWebhook } from './webhook-verification.js';

const STANDARD = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
const KWIKPAISA = ['x-timestamp', 'x-signature', 'x-webhook-signature'];
const only = (headers: Record<string, string>, names: string[]) => Object.fromEntries(Object.entries(headers).filter(([n]) => names.includes(n)));

describe('verifyWebhook', () => {
  it('accepts every vector under either convention alone, with each of its secrets, and returns the parsed event', async () => {
    for (const v of vectors.webhooks) {
      const now = { nowSeconds: Number(v.timestamp) };
      for (const names of [STANDARD, KWIKPAISA]) {
        for (const secret of v.secrets) {
          const event = await verifyWebhook(v.body, only(v.headers, names), secret, now);
          assert.deepEqual(event, JSON.parse(v.body), v.name);
        }
      }
      assert.ok(await verifyWebhook(new TextEncoder().encode(v.body).buffer as ArrayBuffer, new Headers(v.headers), v.secrets, now));
      assert.ok(await verifyWebhook(Buffer.from(v.body), v.headers, v.secrets, now));
    }
  });

  it('types payment events by their event name', async () => {
    const v = vectors.webhooks[0]!;
    const event = await verifyWebhook(v.body, v.headers, v.secrets, { nowSeconds: Number(v.timestamp) });
    assert.ok(isPaymentEvent(event));
    assert.equal(event.data.currency, 'INR');
  });

  it('refuses a changed body, another secret and a missing header set, each with its code and what to check', async () => {
    const v = vectors.webhooks[0]!;
    const now = { nowSeconds: Number(v.timestamp) };
    const other = signWebhook({ secrets: ['whsec_' + Buffer.alloc(32, 7).toString('base64')], eventId: v.event_id, timestamp: v.timestamp, body: v.body });

    const tampered = await rejection(verifyWebhook(v.body.replace('105.00', '1.00'), v.headers, v.secrets, now), TijoriWebhookVerificationError);
    assert.equal(tampered.code, 'invalid_signature');
    assert.match(tampered.message, /raw request body/);
    assert.equal((await rejection(verifyWebhook(v.body, other, v.secrets, now), TijoriWebhookVerificationError)).code, 'invalid_signature');
    assert.equal((await rejection(verifyWebhook(v.body, only(other, KWIKPAISA), v.secrets, now), TijoriWebhookVerificationError)).code, 'invalid_signature');
    const missing = await rejection(verifyWebhook(v.body, { 'webhook-id': v.event_id }, v.secrets, now), TijoriWebhookVerificationError);
    assert.equal(missing.code, 'missing_headers');
    assert.match(missing.message, /Found: webhook-id/);
  });

  it('refuses a delivery outside the tolerance, and takes the tolerance given', async () => {
    const v = vectors.webhooks[0]!;
    const late = { nowSeconds: Number(v.timestamp) + 301 };
    const refused = await rejection(verifyWebhook(v.body, v.headers, v.secrets, late), TijoriWebhookVerificationError);
    assert.equal(refused.code, 'timestamp_outside_tolerance');
    assert.match(refused.message, /301 seconds old/);
    assert.ok(await verifyWebhook(v.body, v.headers, v.secrets, { ...late, toleranceSeconds: 600 }));
  });

  it('refuses a timestamp in milliseconds, a secret that is not one, and a body a JSON parser already turned into an object', async () => {
    const v = vectors.webhooks[0]!;
    const now = { nowSeconds: Number(v.timestamp) };
    const ms = await rejection(verifyWebhook(v.body, { ...v.headers, 'webhook-timestamp': `${v.timestamp}000` }, v.secrets, now), TijoriWebhookVerificationError);
    assert.equal(ms.code, 'invalid_timestamp');
    assert.match(ms.message, /milliseconds/);
    const apiKeyAsSecret = await rejection(verifyWebhook(v.body, v.headers, 'sk_test_abc', now), TijoriWebhookVerificationError);
    assert.equal(apiKeyAsSecret.code, 'invalid_secret');
    assert.match(apiKeyAsSecret.message, /This is an API key/);
    assert.ok(!apiKeyAsSecret.message.includes('sk_test_abc'));
    const parsed = await rejection(verifyWebhook(JSON.parse(v.body) as never, v.headers, v.secrets, now), TijoriWebhookVerificationError);
    assert.equal(parsed.code, 'invalid_signature');
    assert.match(parsed.message, /express\.raw/);
  });

  it('says invalid_payload for a correctly signed body that is not JSON', async () => {
    const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const headers = signWebhook({ secrets: [secret], eventId: 'evt_1', timestamp: 1778659835, body: 'not json' });
    assert.equal((await rejection(verifyWebhook('not json', headers, secret, { nowSeconds: 1778659835 }), TijoriWebhookVerificationError)).code, 'invalid_payload');
  });
});
