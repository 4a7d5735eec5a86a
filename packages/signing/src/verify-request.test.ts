import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom as random } from './seeded-random.fixture.js';
import { createHmac } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { signRequest } from './sign-request.js';
import {
  UNEXPECTED_FAILURE_MESSAGE,
  VERIFY_FAILURE_CODES,
  verifyRequest,
  type VerifyFailureCode,
  type VerifyRequestInput,
  type VerifyResult,
} from './verify-request.js';

const SECRET = 'sk_test_verify_unit_secret_A';
const OTHER_SECRET = 'sk_test_verify_unit_secret_B';
const NOW = 1778659835;
const TS = String(NOW);
const PATH = '/api/v3/pg/order/create';
const ORDER = { order_id: 6116229263036, order_amount: 105, order_note: 'see https://x.example/a', customer: { name: 'Ajay' } };
const PRETTY = JSON.stringify(ORDER, null, 2);
const CANONICAL = canonicalJson(ORDER);

/** A valid v1 request signed over the raw body; override any field. */
function v1Request(overrides: Partial<VerifyRequestInput> = {}): VerifyRequestInput {
  return {
    secrets: [SECRET],
    signature: signRequest({ secret: SECRET, timestamp: TS, body: PRETTY }),
    timestamp: TS,
    rawBody: PRETTY,
    parsedBody: JSON.parse(PRETTY),
    method: 'POST',
    path: PATH,
    nowSeconds: NOW,
    ...overrides,
  };
}

/** A valid v2 request; override any field. */
function v2Request(overrides: Partial<VerifyRequestInput> = {}): VerifyRequestInput {
  return {
    secrets: [SECRET],
    signature: signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'POST', path: PATH, body: PRETTY }),
    timestamp: TS,
    version: '2',
    rawBody: PRETTY,
    parsedBody: JSON.parse(PRETTY),
    method: 'POST',
    path: PATH,
    nowSeconds: NOW,
    ...overrides,
  };
}

function failureCode(result: VerifyResult): VerifyFailureCode {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return (result as { code: VerifyFailureCode }).code;
}

function failureMessage(result: VerifyResult): string {
  assert.equal(result.ok, false);
  return (result as { message: string }).message;
}

describe('verifyRequest', () => {
  describe('v1 (body + timestamp)', () => {
    it('accepts a signature over the raw body bytes', () => {
      const result = verifyRequest(v1Request());
      assert.deepEqual(result, {
        ok: true,
        scheme: 'v1',
        form: 'raw',
        secretIndex: 0,
        timestampSeconds: NOW,
        signature: signRequest({ secret: SECRET, timestamp: TS, body: PRETTY }),
      });
    });

    it('accepts a signature over the canonical JSON of a differently formatted body', () => {
      const result = verifyRequest(v1Request({ signature: signRequest({ secret: SECRET, timestamp: TS, body: CANONICAL }) }));
      assert.equal(result.ok, true);
      assert.equal(result.ok && result.form, 'canonical');
    });

    it('reports the raw form when the client sent the canonical text itself', () => {
      const result = verifyRequest(
        v1Request({
          rawBody: CANONICAL,
          parsedBody: JSON.parse(CANONICAL),
          signature: signRequest({ secret: SECRET, timestamp: TS, body: CANONICAL }),
        }),
      );
      assert.equal(result.ok && result.form, 'raw');
    });

    it('does not try the canonical form when parsedBody is undefined (the body was not JSON)', () => {
      const signature = signRequest({ secret: SECRET, timestamp: TS, body: CANONICAL });
      assert.equal(failureCode(verifyRequest(v1Request({ signature, parsedBody: undefined }))), 'signature_mismatch');
    });

    it('refuses a canonical-form signature made for a different body', () => {
      const signature = signRequest({ secret: SECRET, timestamp: TS, body: canonicalJson({ ...ORDER, order_amount: 1 }) });
      assert.equal(failureCode(verifyRequest(v1Request({ signature }))), 'signature_mismatch');
    });

    it('accepts raw bytes given as a Uint8Array', () => {
      assert.equal(verifyRequest(v1Request({ rawBody: new TextEncoder().encode(PRETTY) })).ok, true);
    });

    it('accepts an empty body signed as the empty string', () => {
      const signature = signRequest({ secret: SECRET, timestamp: TS });
      assert.equal(signature, createHmac('sha256', SECRET).update(TS).digest('hex'));
      const result = verifyRequest(v1Request({ signature, rawBody: '', parsedBody: undefined }));
      assert.equal(result.ok && result.form, 'raw');
      assert.equal(verifyRequest(v1Request({ signature, rawBody: new Uint8Array(0), parsedBody: undefined })).ok, true);
    });

    it("treats X-SIGNATURE-VERSION '1' the same as an absent header", () => {
      assert.equal(verifyRequest(v1Request({ version: '1' })).ok, true);
      assert.equal(verifyRequest(v1Request({ version: undefined })).ok, true);
    });

    it('does not serialise the parsed body when the raw form already matches', () => {
      let serialised = 0;
      const parsedBody = { toJSON: () => { serialised++; return ORDER; } };
      assert.equal(verifyRequest(v1Request({ parsedBody })).ok, true);
      assert.equal(serialised, 0);
      const canonicalSignature = signRequest({ secret: SECRET, timestamp: TS, body: CANONICAL });
      const result = verifyRequest(v1Request({ parsedBody, secrets: [OTHER_SECRET, SECRET], signature: canonicalSignature }));
      assert.equal(result.ok && result.form, 'canonical');
      assert.equal(serialised, 1, 'serialised once, however many secrets are tried');
    });

    it('still verifies the raw form when parsedBody has no JSON form (cycle, bigint), skipping the canonical form', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const parsedBody of [cyclic, { amount: 10n }, () => 1, Symbol('x'), Number.NaN]) {
        assert.equal(verifyRequest(v1Request({ parsedBody })).ok, true);
        const wrong = signRequest({ secret: SECRET, timestamp: TS, body: 'something else' });
        assert.equal(failureCode(verifyRequest(v1Request({ parsedBody, signature: wrong }))), 'signature_mismatch');
      }
    });
  });

  describe('v2 (METHOD + PATH + BODY + TIMESTAMP)', () => {
    it("is selected by X-SIGNATURE-VERSION: 2 and always uses the raw form", () => {
      const result = verifyRequest(v2Request());
      assert.equal(result.ok, true);
      assert.equal(result.ok && result.scheme, 'v2');
      assert.equal(result.ok && result.form, 'raw');
    });

    it('accepts a GET with a query string and an empty body', () => {
      const path = '/api/v3/pg/order/status?order_id=6116229263036';
      const signature = signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'GET', path });
      assert.equal(verifyRequest(v2Request({ signature, method: 'GET', path, rawBody: '', parsedBody: undefined })).ok, true);
    });

    it('accepts a lower-case method from the caller', () => {
      assert.equal(verifyRequest(v2Request({ method: 'post' })).ok, true);
    });

    it('does not accept a v2 signature over the canonical form of a differently formatted body', () => {
      const signature = signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'POST', path: PATH, body: CANONICAL });
      assert.equal(failureCode(verifyRequest(v2Request({ signature }))), 'signature_mismatch');
    });

    it('refuses a v1 signature sent as v2, and a v2 signature sent as v1', () => {
      assert.equal(failureCode(verifyRequest(v2Request({ signature: v1Request().signature }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v1Request({ signature: v2Request().signature }))), 'signature_mismatch');
    });
  });

  describe('tampering', () => {
    it('refuses the request when any one byte of the body changes', () => {
      const body = Buffer.from('{"amount":105,"note":"₹"}', 'utf8');
      const signature = signRequest({ secret: SECRET, timestamp: TS, body });
      for (let i = 0; i < body.length; i++) {
        const tampered = Buffer.from(body);
        tampered[i] = tampered[i]! ^ 0x01;
        for (const make of [v1Request, v2Request]) {
          const result = verifyRequest(make({ signature, rawBody: tampered, parsedBody: undefined }));
          assert.equal(failureCode(result), 'signature_mismatch', `byte ${i}`);
        }
      }
      assert.equal(verifyRequest(v1Request({ signature, rawBody: body, parsedBody: undefined })).ok, true);
    });

    it('refuses a v1 request whose body was re-serialised into different content', () => {
      const tampered = JSON.stringify({ ...ORDER, order_amount: 106 });
      assert.equal(failureCode(verifyRequest(v1Request({ rawBody: tampered, parsedBody: JSON.parse(tampered) }))), 'signature_mismatch');
    });

    it('refuses the request when the timestamp differs from the one signed, even inside the window', () => {
      for (const make of [v1Request, v2Request]) {
        assert.equal(failureCode(verifyRequest(make({ timestamp: String(NOW + 1) }))), 'signature_mismatch');
        assert.equal(failureCode(verifyRequest(make({ timestamp: `0${TS}` }))), 'signature_mismatch');
      }
    });

    it('refuses a v2 request when the path, its query string or the method changes', () => {
      assert.equal(failureCode(verifyRequest(v2Request({ path: '/api/v3/pg/order/status' }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v2Request({ path: `${PATH}?` }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v2Request({ path: `${PATH}/` }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v2Request({ path: PATH.replace('o', 'O') }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v2Request({ method: 'PUT' }))), 'signature_mismatch');
    });

    it('refuses a signature with one hex digit changed', () => {
      const signature = v1Request().signature!;
      for (let i = 0; i < signature.length; i++) {
        const digit = signature[i] === '0' ? '1' : '0';
        const tampered = signature.slice(0, i) + digit + signature.slice(i + 1);
        assert.equal(failureCode(verifyRequest(v1Request({ signature: tampered }))), 'signature_mismatch');
      }
    });
  });

  describe('signature encoding', () => {
    it('accepts upper-case hex and returns the signature normalised to lower case', () => {
      const signature = v1Request().signature!;
      const result = verifyRequest(v1Request({ signature: signature.toUpperCase() }));
      assert.equal(result.ok && result.signature, signature);
    });

    it('accepts mixed-case hex', () => {
      const signature = v1Request().signature!.replace(/[a-f]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c));
      assert.equal(verifyRequest(v1Request({ signature })).ok, true);
    });

    it('refuses anything but 64 hex characters as malformed_signature, explaining the format', () => {
      const good = v1Request().signature!;
      const digest = createHmac('sha256', SECRET).update(PRETTY + TS).digest();
      const malformed = [
        good.slice(1),
        `${good}0`,
        `${good.slice(1)}g`,
        ` ${good}`,
        `sha256=${good}`,
        digest.toString('base64'),
        createHmac('sha512', SECRET).update(PRETTY + TS).digest('hex'),
        createHmac('sha1', SECRET).update(PRETTY + TS).digest('hex'),
        'not a signature',
      ];
      for (const signature of malformed) {
        const result = verifyRequest(v1Request({ signature }));
        assert.equal(failureCode(result), 'malformed_signature', signature);
        assert.match(failureMessage(result), /64 hex characters/);
        assert.match(failureMessage(result), /HMAC-SHA256/);
        assert.equal((result as { timestampSeconds?: number }).timestampSeconds, NOW);
      }
      assert.match(failureMessage(verifyRequest(v1Request({ signature: digest.toString('base64') }))), /base64/);
      assert.match(failureMessage(verifyRequest(v1Request({ signature: `sha256=${good}` }))), /prefix/);
    });
  });

  describe('secrets and key rotation', () => {
    it('refuses a signature made with the wrong secret', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ secrets: [OTHER_SECRET] }))), 'signature_mismatch');
      assert.equal(failureCode(verifyRequest(v2Request({ secrets: [OTHER_SECRET] }))), 'signature_mismatch');
    });

    it('matches the second secret during a rotation overlap and reports secretIndex 1', () => {
      const result = verifyRequest(v1Request({ secrets: [OTHER_SECRET, SECRET] }));
      assert.equal(result.ok && result.secretIndex, 1);
      const v2 = verifyRequest(v2Request({ secrets: [OTHER_SECRET, SECRET] }));
      assert.equal(v2.ok && v2.secretIndex, 1);
    });

    it('reports the first matching secret when the same secret is listed twice', () => {
      const result = verifyRequest(v1Request({ secrets: [SECRET, SECRET] }));
      assert.equal(result.ok && result.secretIndex, 0);
    });

    it('accepts a secret given as bytes', () => {
      assert.equal(verifyRequest(v1Request({ secrets: [Buffer.from(SECRET)] })).ok, true);
    });

    it('refuses everything when there are no secrets', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ secrets: [] }))), 'signature_mismatch');
    });

    it('never matches with an empty secret, which anyone could compute', () => {
      const signature = createHmac('sha256', '').update(PRETTY + TS).digest('hex');
      for (const secrets of [[''], [new Uint8Array(0)]]) {
        assert.equal(failureCode(verifyRequest(v1Request({ signature, secrets }))), 'signature_mismatch');
      }
    });

    it('skips entries that are not secrets but still counts their positions', () => {
      const secrets = [null, 42, SECRET] as unknown as string[];
      const result = verifyRequest(v1Request({ secrets }));
      assert.equal(result.ok && result.secretIndex, 2);
    });
  });

  describe('timestamp window', () => {
    const at = (offset: number, make = v1Request) => {
      const timestamp = String(NOW + offset);
      const signature =
        make === v1Request
          ? signRequest({ secret: SECRET, timestamp, body: PRETTY })
          : signRequest({ scheme: 'v2', secret: SECRET, timestamp, method: 'POST', path: PATH, body: PRETTY });
      return verifyRequest(make({ timestamp, signature }));
    };

    it('accepts a timestamp exactly the tolerance away, either side', () => {
      assert.equal(at(-300).ok, true);
      assert.equal(at(300).ok, true);
      assert.equal(at(-300, v2Request).ok, true);
    });

    it('refuses a timestamp one second beyond the tolerance, either side', () => {
      for (const offset of [-301, 301]) {
        const result = at(offset);
        assert.equal(failureCode(result), 'timestamp_outside_window');
        assert.equal((result as { timestampSeconds?: number }).timestampSeconds, NOW + offset);
      }
      assert.equal(failureCode(at(301, v2Request)), 'timestamp_outside_window');
    });

    it('uses toleranceSeconds when given', () => {
      const timestamp = String(NOW - 30);
      const signature = signRequest({ secret: SECRET, timestamp, body: PRETTY });
      assert.equal(failureCode(verifyRequest(v1Request({ timestamp, signature, toleranceSeconds: 29 }))), 'timestamp_outside_window');
      assert.equal(verifyRequest(v1Request({ timestamp, signature, toleranceSeconds: 30 })).ok, true);
    });

    it('refuses a timestamp in milliseconds even when correctly signed', () => {
      const timestamp = `${TS}123`;
      const signature = signRequest({ secret: SECRET, timestamp, body: PRETTY });
      const result = verifyRequest(v1Request({ timestamp, signature }));
      assert.equal(failureCode(result), 'timestamp_in_milliseconds');
      assert.match(failureMessage(result), /divide by 1000/);
    });

    it('refuses a malformed timestamp', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ timestamp: '1778659835.0' }))), 'malformed_timestamp');
      assert.equal(failureCode(verifyRequest(v1Request({ timestamp: '-5' }))), 'malformed_timestamp');
    });
  });

  describe('version and allowed schemes', () => {
    it('refuses any X-SIGNATURE-VERSION other than absent, 1 or 2', () => {
      for (const version of ['3', '0', '', ' 2', '2 ', 'v2', '02', '2.0', 'V1', 'null']) {
        const result = verifyRequest(v1Request({ version }));
        assert.equal(failureCode(result), 'unsupported_version', JSON.stringify(version));
        assert.match(failureMessage(result), /must be 1 .* or\s+2/);
      }
    });

    it('refuses v1 when only v2 is allowed, telling the client to switch', () => {
      const result = verifyRequest(v1Request({ allowedSchemes: ['v2'] }));
      assert.equal(failureCode(result), 'scheme_not_allowed');
      assert.match(failureMessage(result), /X-SIGNATURE-VERSION: 2/);
    });

    it('refuses v2 when only v1 is allowed', () => {
      assert.equal(failureCode(verifyRequest(v2Request({ allowedSchemes: ['v1'] }))), 'scheme_not_allowed');
    });

    it('refuses everything when no scheme is allowed', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ allowedSchemes: [] }))), 'scheme_not_allowed');
      assert.equal(failureCode(verifyRequest(v2Request({ allowedSchemes: [] }))), 'scheme_not_allowed');
    });

    it('allows both schemes by default', () => {
      assert.equal(verifyRequest(v1Request()).ok, true);
      assert.equal(verifyRequest(v2Request()).ok, true);
    });
  });

  describe('order of checks', () => {
    it('reports a missing signature first', () => {
      for (const signature of [undefined, '']) {
        const result = verifyRequest(v1Request({ signature, timestamp: undefined, version: '9', nowSeconds: 0 }));
        assert.equal(failureCode(result), 'missing_signature');
      }
    });

    it('then a missing timestamp', () => {
      for (const timestamp of [undefined, '']) {
        assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz', timestamp, version: '9' }))), 'missing_timestamp');
      }
    });

    it('then the version', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz', timestamp: 'x', version: '9', allowedSchemes: [] }))), 'unsupported_version');
    });

    it('then whether the scheme is allowed', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz', timestamp: 'x', allowedSchemes: ['v2'] }))), 'scheme_not_allowed');
    });

    it('then the timestamp', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz', timestamp: 'x' }))), 'malformed_timestamp');
      assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz', timestamp: '1' }))), 'timestamp_outside_window');
    });

    it('then the signature format, then the comparison', () => {
      assert.equal(failureCode(verifyRequest(v1Request({ signature: 'zz' }))), 'malformed_signature');
      assert.equal(failureCode(verifyRequest(v1Request({ signature: '0'.repeat(64) }))), 'signature_mismatch');
    });

    it('lists every failure code exactly once', () => {
      const all: Record<VerifyFailureCode, true> = {
        missing_signature: true,
        missing_timestamp: true,
        malformed_signature: true,
        malformed_timestamp: true,
        timestamp_in_milliseconds: true,
        timestamp_outside_window: true,
        unsupported_version: true,
        scheme_not_allowed: true,
        signature_mismatch: true,
      };
      assert.deepEqual([...VERIFY_FAILURE_CODES].sort(), Object.keys(all).sort());
    });
  });

  describe('failure messages', () => {
    it('teach what to check on a v1 mismatch', () => {
      const message = failureMessage(verifyRequest(v1Request({ secrets: [OTHER_SECRET] })));
      for (const hint of [/raw body bytes/, /canonical JSON/, /sorted recursively/, /compact/, /slashes/, /X-TIMESTAMP/, /seconds, not milliseconds/, /secret key/]) {
        assert.match(message, hint);
      }
    });

    it('teach what to check on a v2 mismatch', () => {
      const message = failureMessage(verifyRequest(v2Request({ secrets: [OTHER_SECRET] })));
      for (const hint of [/METHOD \+ PATH \+ BODY \+ TIMESTAMP/, /query string/, /raw body bytes/, /X-TIMESTAMP/, /milliseconds/, /secret key/]) {
        assert.match(message, hint);
      }
    });

    it('never contain a secret, whatever fails', () => {
      const requests: VerifyRequestInput[] = [
        v1Request({ signature: undefined }),
        v1Request({ timestamp: undefined }),
        v1Request({ version: '7' }),
        v1Request({ allowedSchemes: ['v2'] }),
        v1Request({ timestamp: 'abc' }),
        v1Request({ timestamp: '1778659835000' }),
        v1Request({ timestamp: '1' }),
        v1Request({ signature: SECRET }),
        v1Request({ signature: SECRET.repeat(3).slice(0, 64) }),
        v1Request({ secrets: [OTHER_SECRET, SECRET], signature: '0'.repeat(64) }),
        v2Request({ secrets: [OTHER_SECRET, SECRET], signature: '0'.repeat(64) }),
      ];
      const seen = new Set<string>();
      for (const request of requests) {
        const result = verifyRequest(request);
        assert.equal(result.ok, false);
        seen.add(failureCode(result));
        const text = JSON.stringify(result);
        assert.ok(!text.includes(SECRET) && !text.includes(OTHER_SECRET), text);
      }
      assert.equal(seen.size, VERIFY_FAILURE_CODES.length, 'every failure code was exercised');
    });
  });

  describe('never throws', () => {

    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.b = [cyclic];
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
        get() {
          throw new Error('get trap');
        },
      },
    );
    const throwingToJSON = { toJSON: () => { throw new Error('toJSON'); } };
    const garbage: unknown[] = [
      undefined, null, '', ' ', '1', '2', 'v1', TS, `${TS}000`, '0'.repeat(64), 'F'.repeat(64), 'g'.repeat(64),
      0, -1, NOW, Number.NaN, Number.POSITIVE_INFINITY, 1.5, 10n, true, false, Symbol('s'), () => 1,
      {}, [], [SECRET], [null], ['v1'], ['v2'], ['v3'], new Uint8Array(3), Buffer.from(PRETTY), new Date(0),
      cyclic, { amount: 1n }, throwingToJSON, Object.create(null), new Map([[1, 2]]), hostile,
      { toString: () => { throw new Error('toString'); } },
    ];
    const keys: Array<keyof VerifyRequestInput> = [
      'secrets', 'signature', 'timestamp', 'version', 'rawBody', 'parsedBody', 'method', 'path', 'nowSeconds', 'toleranceSeconds', 'allowedSchemes',
    ];

    function assertWellFormed(result: VerifyResult): void {
      assert.equal(typeof result, 'object');
      if (result.ok) {
        assert.match(result.signature, /^[0-9a-f]{64}$/);
      } else {
        assert.ok(VERIFY_FAILURE_CODES.includes(result.code));
        assert.equal(typeof result.message, 'string');
        assert.notEqual(result.message, UNEXPECTED_FAILURE_MESSAGE, 'the internal safety net was reached');
      }
    }

    it('returns a well-formed result for random garbage in every field', () => {
      const rnd = random(2026);
      const pick = () => garbage[Math.floor(rnd() * garbage.length)];
      for (let i = 0; i < 5000; i++) {
        const input: Record<string, unknown> = { ...v1Request() };
        for (const key of keys) if (rnd() < 0.4) input[key] = pick();
        let result: VerifyResult | undefined;
        assert.doesNotThrow(() => {
          result = verifyRequest(input as unknown as VerifyRequestInput);
        });
        assertWellFormed(result!);
      }
    });

    it('returns a well-formed result for random garbage in a valid request that gets past every other check', () => {
      const rnd = random(99);
      const pick = () => garbage[Math.floor(rnd() * garbage.length)];
      for (let i = 0; i < 2000; i++) {
        const input: Record<string, unknown> = { ...(rnd() < 0.5 ? v1Request() : v2Request()) };
        for (const key of ['secrets', 'rawBody', 'parsedBody', 'method', 'path'] as const) if (rnd() < 0.5) input[key] = pick();
        const result = verifyRequest(input as unknown as VerifyRequestInput);
        assertWellFormed(result);
      }
    });

    it('refuses, without throwing, when the input itself is not an object or is hostile', () => {
      for (const input of [undefined, null, 42, 'x', [], hostile]) {
        const result = verifyRequest(input as unknown as VerifyRequestInput);
        assert.equal(result.ok, false);
      }
    });
  });
});
