import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { explainWebhookSignature, type WebhookSignatureCase, type WebhookSignatureVerdict } from './explain-webhook-signature.js';

interface WebhookVector {
  secrets: string[];
  event_id: string;
  timestamp: string;
  body: string;
  headers: Record<string, string>;
}
const vectors = JSON.parse(readFileSync(new URL(import.meta.resolve('@tijori/signing/test-vectors.json')), 'utf8')) as { webhooks: WebhookVector[] };
const delivery = vectors.webhooks[0] as WebhookVector;
const headers = Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name, [value]]));

function explain(overrides: Partial<WebhookSignatureCase> = {}): WebhookSignatureVerdict {
  return explainWebhookSignature({ body: Buffer.from(delivery.body), headers, secret: delivery.secrets[0] as string, nowSeconds: Number(delivery.timestamp), ...overrides });
}

/** The verdict's code, and its message matched against `message`. */
function diagnosed(verdict: WebhookSignatureVerdict, code: string, message: RegExp): void {
  assert.deepEqual(verdict.ok ? verdict : { code: verdict.code, explains: message.test(verdict.message) }, { code, explains: true }, JSON.stringify(verdict));
}

describe('explainWebhookSignature', () => {
  it('accepts a delivery as sent, by its Standard Webhooks headers', () => {
    const verdict = explain();
    assert.deepEqual(verdict, { ok: true, convention: 'standard-webhooks', eventId: delivery.event_id, timestamp: Number(delivery.timestamp) });
  });

  it('says a valid delivery checked an hour later is stale, not forged', () => {
    diagnosed(explain({ nowSeconds: Number(delivery.timestamp) + 3600 }), 'stale_delivery', /signature is valid, but the delivery was signed 3600 seconds ago, outside the 300 s tolerance/);
  });

  it('finds a body parsed and pretty-printed by a framework before verifying', () => {
    diagnosed(explain({ body: Buffer.from(JSON.stringify(JSON.parse(delivery.body), null, 2)) }), 'body_reserialised', /compact JSON in the same key order.*express\.raw/);
  });

  it('finds a body whose keys a framework reordered', () => {
    const parsed = JSON.parse(delivery.body) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(parsed).reverse());
    diagnosed(explain({ body: Buffer.from(JSON.stringify(reordered)) }), 'body_reserialised', /canonical JSON \(keys sorted, compact\)/);
  });

  it('finds a newline added when the body was saved to a file', () => {
    diagnosed(explain({ body: Buffer.from(`${delivery.body}\n`) }), 'body_newline', /without the trailing newline/);
  });

  it('finds webhook-id changed on the way while x-signature still holds', () => {
    diagnosed(explain({ headers: { ...headers, 'webhook-id': ['evt_000000000000000000000000'] } }), 'standard_headers_altered', /x-signature\) matches, so body and secret are right/);
  });

  it("says the secret is not this endpoint's when nothing else explains it", () => {
    diagnosed(explain({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), 'wrong_secret', /each endpoint has its own secret/);
  });

  it("passes on the signing package's explanation of an API secret, missing headers and a millisecond timestamp", () => {
    diagnosed(explain({ secret: 'sk_test_tijori_vector_0001' }), 'invalid_secret', /This is an API key/);
    diagnosed(explain({ headers: { 'content-type': ['application/json'] } }), 'missing_headers', /Found: none of them/);
    const ms = `${delivery.timestamp}000`;
    diagnosed(explain({ headers: { ...headers, 'webhook-timestamp': [ms], 'x-timestamp': [ms] } }), 'invalid_timestamp', /looks like milliseconds/);
  });
});
