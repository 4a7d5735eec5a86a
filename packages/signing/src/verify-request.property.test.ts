/**
 * Properties of request signing and verification over arbitrary inputs:
 * verifyRequest returns a well-formed result for anything (and never reaches
 * its internal-error fallback), and a signature verifies for exactly the
 * (secret, timestamp, method, path, body) it was made for: any single change
 * is refused. Seeded, so a failure reproduces; fast-check prints the
 * shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.js';
import { checkTimestamp, DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
import { signRequest } from './sign-request.js';
import { UNEXPECTED_FAILURE_MESSAGE, VERIFY_FAILURE_CODES, verifyRequest, type VerifyRequestInput, type VerifyResult } from './verify-request.js';

const SEED = 0x5157;
const RUNS = 1000;
const NOW = 1778659835;

const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), // lone surrogates and controls included
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom('\u0000', '\r\n', ' ', ',', '=', '"', '\u00e9', '\u{1F600}'),
);
const anyString = fc.string({ unit: anyUnit, maxLength: 80 });
const hexChars = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 130 });

/** Header values as a client could send them: anything, or near-misses of the real thing. */
const headerValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  anyString,
  hexChars,
  fc.integer({ min: 0, max: 2 ** 53 }).map(String),
  fc.constantFrom(String(NOW), `${NOW}000`, `0${NOW}`, ` ${NOW}`, `${NOW}.5`, '-1', '1e9', '9'.repeat(400), 'sha256=' + 'a'.repeat(64), 'A'.repeat(43) + '='),
);
const body = fc.oneof(fc.uint8Array({ maxLength: 300 }), anyString);
/** Not only what the types allow: a caller in JavaScript can pass anything. */
const anything = fc.oneof(fc.anything(), fc.constantFrom(Number.NaN, Infinity, -1, 10n, Symbol('s'), () => 1, new Uint8Array(3)));

function assertWellFormed(result: VerifyResult): void {
  assert.equal(typeof result, 'object');
  if (result.ok) return;
  assert.ok(VERIFY_FAILURE_CODES.includes(result.code), `unknown code ${String(result.code)}`);
  assert.equal(typeof result.message, 'string');
  assert.ok(result.message.length > 0);
  assert.notEqual(result.message, UNEXPECTED_FAILURE_MESSAGE, 'something inside verifyRequest threw');
}

describe('verifyRequest properties: never throws', () => {
  it('returns a well-formed refusal for arbitrary header strings, bodies, methods and paths, never an acceptance', () => {
    fc.assert(
      fc.property(headerValue, headerValue, headerValue, body, anyString, anyString, fc.option(fc.jsonValue(), { nil: undefined }), (signature, timestamp, version, rawBody, method, path, parsedBody) => {
        const result = verifyRequest({ secrets: ['sk_test_a', new Uint8Array([1, 2, 3])], signature, timestamp, version, rawBody, parsedBody, method, path, nowSeconds: NOW });
        assertWellFormed(result);
        assert.equal(result.ok, false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('returns a well-formed result when any field holds any value at all, a clock included', () => {
    const field = fc.oneof(anything, headerValue, body);
    fc.assert(
      fc.property(
        fc.record({ secrets: field, publicKeys: field, signature: field, timestamp: field, version: field, rawBody: field, parsedBody: field, method: field, path: field, nowSeconds: field, toleranceSeconds: field, allowedSchemes: field }, { requiredKeys: [] }),
        (input) => {
          assertWellFormed(verifyRequest(input as unknown as VerifyRequestInput));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    for (const input of [undefined, null, 0, 'x', [], () => 1]) assertWellFormed(verifyRequest(input as unknown as VerifyRequestInput));
  });

  it('checkTimestamp never throws, and accepts exactly 1 to 12 digits within the window', () => {
    fc.assert(
      fc.property(headerValue, fc.oneof(fc.double(), fc.integer()), fc.oneof(fc.constant(undefined), fc.double(), fc.nat(1000)), (timestamp, now, tolerance) => {
        const check = checkTimestamp(timestamp, now, tolerance);
        const window = tolerance ?? DEFAULT_TOLERANCE_SECONDS;
        const expected = typeof timestamp === 'string' && /^[0-9]{1,12}$/.test(timestamp) && Number.isFinite(now) && window >= 0 && Math.abs(now - Number(timestamp)) <= window;
        assert.equal(check.ok, expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// --- a signature verifies for exactly what it was signed for -------------

const secret = fc.oneof(fc.string({ unit: anyUnit, minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 64 }));
/** Within the window of NOW, as a client sends it (whole seconds, no leading zero). */
const timestamp = fc.integer({ min: NOW - DEFAULT_TOLERANCE_SECONDS, max: NOW + DEFAULT_TOLERANCE_SECONDS }).map(String);
const method = fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH');
const path = fc.oneof(fc.constantFrom('/api/v3/pg/order/create', '/api/v3/pg/order/status?order_id=1'), fc.webPath().map((p) => `/${p}`), anyString.map((p) => `/${p}`));

interface Signed {
  scheme: 'v1' | 'v2';
  secret: string | Uint8Array;
  timestamp: string;
  method: string;
  path: string;
  body: Uint8Array;
  signature: string;
}

const signed: fc.Arbitrary<Signed> = fc
  .record({ scheme: fc.constantFrom('v1' as const, 'v2' as const), secret, timestamp, method, path, body: fc.uint8Array({ maxLength: 200 }) })
  .map((r) => ({ ...r, signature: signRequest({ scheme: r.scheme, secret: r.secret, timestamp: r.timestamp, body: r.body, method: r.method, path: r.path }) }));

/** What the server passes for a request carrying `s`: the raw body only (no parsed body, so only the raw form can match). */
function verifyAs(s: Signed, change: Partial<Omit<VerifyRequestInput, 'secrets'>> & { secrets?: VerifyRequestInput['secrets'] } = {}): VerifyResult {
  return verifyRequest({
    secrets: [s.secret],
    signature: s.signature,
    timestamp: s.timestamp,
    version: s.scheme === 'v2' ? '2' : undefined,
    rawBody: s.body,
    method: s.method,
    path: s.path,
    nowSeconds: NOW,
    ...change,
  });
}

function sameBytes(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function refused(result: VerifyResult, what: string): void {
  assertWellFormed(result);
  assert.equal(result.ok, false, `accepted after ${what}`);
}

describe('verifyRequest properties: a signature verifies for exactly what it signed', () => {
  it('verifies the request it was made for, in either hex case, and reports the scheme and secret', () => {
    fc.assert(
      fc.property(signed, fc.array(secret, { maxLength: 3 }), (s, others) => {
        const plain = verifyAs(s);
        assert.ok(plain.ok, JSON.stringify(plain));
        assert.equal(plain.scheme, s.scheme);
        assert.equal(plain.form, 'raw');
        assert.equal(plain.signature, s.signature);
        // Documented: hex in either case.
        const upper = verifyAs(s, { signature: s.signature.toUpperCase() });
        assert.ok(upper.ok);
        assert.equal(upper.signature, s.signature);
        // During a rotation any listed secret may match; the index says which.
        const rotated = verifyAs(s, { secrets: [...others.filter((o) => !sameBytes(o, s.secret)), s.secret] });
        assert.ok(rotated.ok);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses after any change to one byte of the body, or a byte more or less', () => {
    fc.assert(
      fc.property(signed, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, xor) => {
        if (s.body.length > 0) {
          const flipped = Uint8Array.from(s.body);
          flipped[at % flipped.length]! ^= xor;
          refused(verifyAs(s, { rawBody: flipped }), 'a body byte changed');
          refused(verifyAs(s, { rawBody: s.body.subarray(0, s.body.length - 1) }), 'the body lost its last byte');
        }
        refused(verifyAs(s, { rawBody: Buffer.concat([s.body, Buffer.from([xor])]) }), 'a byte was added to the body');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses another timestamp, even one that means the same second (a leading zero)', () => {
    fc.assert(
      fc.property(signed, fc.integer({ min: -DEFAULT_TOLERANCE_SECONDS, max: DEFAULT_TOLERANCE_SECONDS }).filter((d) => d !== 0), (s, delta) => {
        const other = String(Number(s.timestamp) + delta);
        refused(verifyAs(s, { timestamp: other }), `timestamp ${s.timestamp} -> ${other}`);
        refused(verifyAs(s, { timestamp: `0${s.timestamp}` }), 'a leading zero');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses with any other secret, and with no usable secret', () => {
    fc.assert(
      fc.property(signed, secret, (s, other) => {
        fc.pre(!sameBytes(other, s.secret));
        refused(verifyAs(s, { secrets: [other] }), 'another secret');
        refused(verifyAs(s, { secrets: [] }), 'no secret');
        refused(verifyAs(s, { secrets: [''] }), 'an empty secret');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses a truncated, extended or altered signature', () => {
    fc.assert(
      fc.property(signed, fc.nat(63), fc.constantFrom(...'0123456789abcdef'), fc.integer({ min: 1, max: 63 }), (s, at, digit, cut) => {
        const sig = s.signature;
        refused(verifyAs(s, { signature: sig.slice(0, cut) }), 'truncation');
        refused(verifyAs(s, { signature: sig + digit }), 'extension');
        refused(verifyAs(s, { signature: digit + sig.slice(1) + digit }), 'shift');
        if (sig[at] !== digit) refused(verifyAs(s, { signature: sig.slice(0, at) + digit + sig.slice(at + 1) }), `digit ${at} changed`);
        refused(verifyAs(s, { signature: ` ${sig}` }), 'leading space');
        refused(verifyAs(s, { signature: `sha256=${sig}` }), 'a prefix');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses the other scheme, and in v2 another method or path', () => {
    fc.assert(
      fc.property(signed, method, path, (s, otherMethod, otherPath) => {
        refused(verifyAs(s, { version: s.scheme === 'v2' ? '1' : '2' }), 'the scheme changed');
        if (s.scheme !== 'v2') return;
        if (otherMethod !== s.method.toUpperCase()) refused(verifyAs(s, { method: otherMethod }), `method ${s.method} -> ${otherMethod}`);
        if (!sameBytes(otherPath, s.path)) refused(verifyAs(s, { path: otherPath }), `path ${s.path} -> ${otherPath}`);
        refused(verifyAs(s, { version: '2', allowedSchemes: ['v1'] }), 'a scheme that is not allowed');
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('v1 over canonical JSON verifies any re-formatting of the same value, and is refused once a value changes', () => {
    const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => v !== null && typeof v === 'object');
    fc.assert(
      fc.property(json, secret, timestamp, (value, key, ts) => {
        const canonical = canonicalJson(value);
        const signature = signRequest({ secret: key, timestamp: ts, body: canonical });
        const pretty = JSON.stringify(value, null, 2);
        const base = { secrets: [key], signature, timestamp: ts, method: 'POST', path: '/api/v3/pg/order/create', nowSeconds: NOW };
        const ok = verifyRequest({ ...base, rawBody: Buffer.from(pretty), parsedBody: JSON.parse(pretty) });
        assert.ok(ok.ok);
        assert.equal(ok.form, pretty === canonical ? 'raw' : 'canonical');
        const changed = JSON.stringify({ ...(value as object), __fuzz: 1 });
        refused(verifyRequest({ ...base, rawBody: Buffer.from(changed), parsedBody: JSON.parse(changed) }), 'a member was added');
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('verifyRequest properties: public keys (Ed25519, v2)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519').publicKey;

  it('verifies the request it was made for and refuses any single change', () => {
    fc.assert(
      fc.property(timestamp, method, path, fc.uint8Array({ maxLength: 200 }), fc.nat(), (ts, m, p, b, at) => {
        const signature = signRequest({ scheme: 'v2', privateKey, timestamp: ts, method: m, path: p, body: b });
        const base = { secrets: [], publicKeys: [publicKey], signature, timestamp: ts, version: '2', rawBody: b, method: m, path: p, nowSeconds: NOW };
        const ok = verifyRequest(base);
        assert.ok(ok.ok, JSON.stringify(ok));
        if (b.length > 0) {
          const flipped = Uint8Array.from(b);
          flipped[at % b.length]! ^= 1;
          refused(verifyRequest({ ...base, rawBody: flipped }), 'a body bit flipped');
        }
        refused(verifyRequest({ ...base, timestamp: `0${ts}` }), 'a leading zero on the timestamp');
        refused(verifyRequest({ ...base, publicKeys: [other] }), 'another key');
        refused(verifyRequest({ ...base, signature: signature.slice(0, -4) }), 'a truncated signature');
        refused(verifyRequest({ ...base, signature: signature.slice(0, -2) + 'AAAA' }), 'an extended signature');
        refused(verifyRequest({ ...base, version: '1' }), 'v1');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
