/**
 * Properties of webhook signatures, for both conventions every delivery
 * carries (Standard Webhooks and KwikPaisa): verifyWebhook and the
 * messages entry's prepareWebhookVerification return a well-formed result for
 * any input, and a delivery verifies for exactly the (secret, id, timestamp,
 * body) it was signed with: any single change is refused. Seeded, so a
 * failure reproduces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { prepareWebhookVerification, UNEXPECTED_WEBHOOK_INPUT } from './messages.js';
import { signWebhook, verifyWebhook, WEBHOOK_VERIFY_FAILURE_CODES, type VerifyWebhookInput, type VerifyWebhookResult } from './webhook-signature.js';

const SEED = 0x3eb;
const RUNS = 1000;
const NOW = 1778659835;

const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom('\u0000', ' ', ',', 'v1,', '=', '\u{1F600}'),
);
const anyString = fc.string({ unit: anyUnit, maxLength: 60 });
const webhookSecret = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`);
const eventId = fc.oneof(fc.constant('evt_0123456789abcdef'), fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }));
const timestamp = fc.integer({ min: NOW - 300, max: NOW + 300 });
// Bodies are text (signWebhook takes the string exactly as sent); lone surrogates included.
const body = fc.oneof(anyString, fc.jsonValue().map((v) => JSON.stringify(v)));

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const STANDARD = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
const KWIKPAISA = ['x-timestamp', 'x-signature', 'x-webhook-signature'] as const;

interface Delivery {
  secrets: string[];
  eventId: string;
  timestamp: number;
  body: string;
  headers: Record<string, string>;
}

const delivery: fc.Arbitrary<Delivery> = fc
  .record({ secrets: fc.array(webhookSecret, { minLength: 1, maxLength: 3 }), eventId, timestamp, body })
  .map((d) => ({ ...d, headers: signWebhook(d) }));

function only(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, headers[n]!]));
}

function assertWellFormed(result: VerifyWebhookResult): void {
  if (result.ok) return;
  assert.ok(WEBHOOK_VERIFY_FAILURE_CODES.includes(result.code), `unknown code ${String(result.code)}`);
  assert.ok(typeof result.message === 'string' && result.message.length > 0);
  assert.notEqual(result.message, UNEXPECTED_WEBHOOK_INPUT.message, 'something inside verifyWebhook threw');
}

function refused(result: VerifyWebhookResult, what: string): void {
  assertWellFormed(result);
  assert.equal(result.ok, false, `accepted after ${what}`);
}

/** Each convention alone, as a receiver that reads only its own headers sees the delivery. */
const CONVENTIONS = [
  { name: 'standard-webhooks', headers: STANDARD },
  { name: 'kwikpaisa', headers: KWIKPAISA },
] as const;

describe('verifyWebhook properties: never throws', () => {
  const headerValue = fc.oneof(anyString, fc.array(anyString, { maxLength: 3 }), fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 40 }).map(String), fc.constantFrom(`${NOW}`, `${NOW}000`, `0${NOW}`, 'v1,' + 'A'.repeat(43) + '=', 'a'.repeat(64)));
  const headerName = fc.oneof(fc.constantFrom(...STANDARD, ...KWIKPAISA, 'WEBHOOK-ID', 'X-Signature'), anyString);
  const headers = fc.oneof(
    fc.dictionary(headerName, headerValue, { maxKeys: 8 }),
    fc.dictionary(headerName, headerValue, { maxKeys: 8 }).map((record) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(record)) {
        try {
          if (typeof v === 'string') h.append(k, v);
        } catch {
          // Not a valid header name or value for Fetch: a Headers object cannot hold it.
        }
      }
      return h;
    }),
    fc.anything(),
  );
  const secret = fc.oneof(webhookSecret, anyString, fc.array(fc.oneof(webhookSecret, anyString, fc.anything()), { maxLength: 3 }), fc.anything());
  const clock = fc.oneof(fc.constant(undefined), fc.double(), fc.integer(), fc.anything());

  it('returns a well-formed result for arbitrary headers, bodies, secrets and clocks (verifyWebhook and the messages entry)', () => {
    fc.assert(
      fc.property(fc.oneof(body, fc.uint8Array({ maxLength: 100 }), fc.anything()), headers, secret, clock, clock, (b, h, s, now, tolerance) => {
        const input = { body: b, headers: h, secret: s, nowSeconds: now, toleranceSeconds: tolerance } as unknown as VerifyWebhookInput;
        const result = verifyWebhook(input);
        assertWellFormed(result);
        // Random headers never carry a valid HMAC.
        assert.equal(result.ok, false);
        const plan = prepareWebhookVerification(input);
        if (!plan.ok) assertWellFormed(plan);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    for (const input of [undefined, null, 0, 'x', [], {}]) assertWellFormed(verifyWebhook(input as unknown as VerifyWebhookInput));
  });
});

for (const convention of CONVENTIONS) {
  describe(`verifyWebhook properties (${convention.name}): a signature verifies for exactly what it signed`, () => {
    const verifyAs = (d: Delivery, change: Partial<VerifyWebhookInput> = {}, headers: Record<string, string> = only(d.headers, convention.headers)) =>
      verifyWebhook({ body: d.body, headers, secret: d.secrets, nowSeconds: NOW, ...change });

    it('verifies the delivery with every secret it was signed with, body as string or bytes', () => {
      fc.assert(
        fc.property(delivery, (d) => {
          for (const s of d.secrets) {
            const result = verifyAs(d, { secret: s });
            assert.ok(result.ok, JSON.stringify(result));
            assert.equal(result.convention, convention.name);
            assert.equal(result.timestamp, d.timestamp);
            assert.equal(result.eventId, convention.name === 'standard-webhooks' ? d.eventId : undefined);
          }
          assert.ok(verifyAs(d, { body: Buffer.from(d.body) }).ok);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });

    it('refuses after any change to one byte of the body, or a byte more or less', () => {
      fc.assert(
        fc.property(delivery, fc.nat(), fc.integer({ min: 1, max: 255 }), (d, at, xor) => {
          const bytes = Buffer.from(d.body);
          if (bytes.length > 0) {
            const flipped = Buffer.from(bytes);
            flipped[at % flipped.length]! ^= xor;
            refused(verifyAs(d, { body: flipped }), 'a body byte changed');
            refused(verifyAs(d, { body: bytes.subarray(0, -1) }), 'the body lost its last byte');
          }
          refused(verifyAs(d, { body: Buffer.concat([bytes, Buffer.from([xor])]) }), 'a byte was added');
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });

    it('refuses another timestamp (a leading zero included), another secret, and in Standard Webhooks another id', () => {
      const timestampHeader = convention.name === 'standard-webhooks' ? 'webhook-timestamp' : 'x-timestamp';
      fc.assert(
        fc.property(delivery, fc.integer({ min: -300, max: 300 }).filter((n) => n !== 0), webhookSecret, eventId, (d, delta, otherSecret, otherId) => {
          const headers = only(d.headers, convention.headers);
          refused(verifyAs(d, {}, { ...headers, [timestampHeader]: String(d.timestamp + delta) }), 'the timestamp changed');
          refused(verifyAs(d, {}, { ...headers, [timestampHeader]: `0${d.timestamp}` }), 'a leading zero');
          if (!d.secrets.includes(otherSecret)) refused(verifyAs(d, { secret: otherSecret }), 'another secret');
          if (convention.name === 'standard-webhooks' && otherId !== d.eventId) refused(verifyAs(d, {}, { ...headers, 'webhook-id': otherId }), 'another id');
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });

    it('refuses a truncated, extended or altered signature; hex is accepted in either case, base64 is not', () => {
      const signatureHeaders = convention.name === 'standard-webhooks' ? ['webhook-signature'] : ['x-signature', 'x-webhook-signature'];
      fc.assert(
        fc.property(delivery, fc.nat(), fc.integer({ min: 1, max: 40 }), fc.constantFrom(...'0123456789abcdefABCDEF+/='), (d, at, cut, char) => {
          fc.pre(d.secrets.length === 1);
          const headers = only(d.headers, convention.headers);
          const sig = headers[signatureHeaders[0]!]!;
          const withSignature = (value: string) => ({ ...headers, ...Object.fromEntries(signatureHeaders.map((n) => [n, value])) });
          refused(verifyAs(d, {}, withSignature(sig.slice(0, -cut))), 'truncation');
          refused(verifyAs(d, {}, withSignature(sig + char)), 'extension');
          const i = (convention.name === 'standard-webhooks' ? 3 : 0) + (at % (sig.length - (convention.name === 'standard-webhooks' ? 4 : 0)));
          const altered = sig.slice(0, i) + char + sig.slice(i + 1);
          if (altered.toLowerCase() !== sig.toLowerCase()) refused(verifyAs(d, {}, withSignature(altered)), `character ${i} changed`);
          if (convention.name === 'kwikpaisa') {
            assert.ok(verifyAs(d, {}, withSignature(sig.toUpperCase())).ok, 'hex in upper case');
          } else {
            const b64 = sig.slice(3);
            if (b64.toUpperCase() !== b64) refused(verifyAs(d, {}, withSignature(`v1,${b64.toUpperCase()}`)), 'base64 in upper case');
            refused(verifyAs(d, {}, withSignature(`v2,${b64}`)), 'another version prefix');
            // The last character before "=" holds 4 bits of the digest and 2 padding bits: every other character there must be refused.
            for (const c of BASE64_ALPHABET) {
              if (c !== b64[42]) refused(verifyAs(d, {}, withSignature(`v1,${b64.slice(0, 42)}${c}=`)), `the last base64 character ${b64[42]} -> ${c}`);
            }
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  });
}

describe('verifyWebhook properties: agreement with the standardwebhooks library', () => {
  it('what signWebhook signs, the reference library verifies, and what it refuses after a body change, we refuse too', () => {
    // JSON bodies only: the library JSON.parses the payload once it has verified it.
    const jsonDelivery = fc
      .record({ secrets: fc.array(webhookSecret, { minLength: 1, maxLength: 3 }), eventId, timestamp, body: fc.jsonValue().map((v) => JSON.stringify(v)) })
      .map((d) => ({ ...d, headers: signWebhook(d) }));
    fc.assert(
      fc.property(jsonDelivery, (d) => {
        const headers = only(d.headers, STANDARD);
        const reference = new Webhook(d.secrets[0]!);
        // The library checks against the real clock: sign "now" for it.
        const now = Math.floor(Date.now() / 1000);
        const fresh = signWebhook({ ...d, timestamp: now });
        assert.doesNotThrow(() => reference.verify(d.body, only(fresh, STANDARD)));
        assert.ok(verifyAs(d, headers).ok);
        const changed = `${d.body} `;
        assert.throws(() => reference.verify(changed, only(fresh, STANDARD)));
        refused(verifyWebhook({ body: changed, headers, secret: d.secrets, nowSeconds: NOW }), 'a body change');
      }),
      { seed: SEED, numRuns: 300 },
    );
    function verifyAs(d: Delivery, headers: Record<string, string>) {
      return verifyWebhook({ body: d.body, headers, secret: d.secrets[0]!, nowSeconds: NOW });
    }
  });
});

describe('verifyWebhook regressions found by the properties', () => {
  // base64 of 32 bytes ends in a character carrying 2 padding bits; atob
  // ignores them, so "...BU=" and "...BV=" decoded to the same digest and
  // four spellings of one signature verified. The standardwebhooks library
  // compares the canonical base64 text and refuses the other three.
  it('refuses a Standard Webhooks signature whose padding bits are not zero', () => {
    const secret = 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const headers = only(signWebhook({ secrets: [secret], eventId: 'evt_1', timestamp: NOW, body: '{}' }), STANDARD);
    assert.equal(headers['webhook-signature'], 'v1,q4j/bApqNojf0VY2uC9RkAKwilIADu38LFz2Br7aFBU=');
    const verify = (signature: string) => verifyWebhook({ body: '{}', headers: { ...headers, 'webhook-signature': signature }, secret, nowSeconds: NOW });
    assert.equal(verify('v1,q4j/bApqNojf0VY2uC9RkAKwilIADu38LFz2Br7aFBU=').ok, true);
    for (const other of ['V', 'W', 'X']) {
      const result = verify(`v1,q4j/bApqNojf0VY2uC9RkAKwilIADu38LFz2Br7aFB${other}=`);
      assert.equal(result.ok, false, other);
    }
  });
});
