import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signRequest } from './sign-request.js';

const SECRET = 'sk_test_sign_request_unit';
const BODY = '{"order_amount":105,"order_id":"A-1"}';

function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

describe('signRequest', () => {
  it('returns 64 lowercase hex characters', () => {
    assert.match(signRequest({ secret: SECRET, timestamp: '1778659835', body: BODY }), /^[0-9a-f]{64}$/);
  });

  it("signs body + timestamp by default (scheme 'v1')", () => {
    assert.equal(signRequest({ secret: SECRET, timestamp: '1778659835', body: BODY }), hmacHex(SECRET, `${BODY}1778659835`));
  });

  it('signs an absent body as the empty string', () => {
    assert.equal(signRequest({ secret: SECRET, timestamp: '1778659835' }), hmacHex(SECRET, '1778659835'));
    assert.equal(signRequest({ secret: SECRET, timestamp: '1778659835', body: '' }), hmacHex(SECRET, '1778659835'));
  });

  it('signs a numeric timestamp as its decimal string', () => {
    assert.equal(
      signRequest({ secret: SECRET, timestamp: 1778659835, body: BODY }),
      signRequest({ secret: SECRET, timestamp: '1778659835', body: BODY }),
    );
  });

  it('signs a string timestamp exactly as given, even when it is not valid seconds', () => {
    assert.equal(signRequest({ secret: SECRET, timestamp: '1778659835123', body: BODY }), hmacHex(SECRET, `${BODY}1778659835123`));
  });

  it('treats a Uint8Array body or secret as the same bytes as the UTF-8 string', () => {
    const body = '{"note":"₹105 😀"}';
    const fromStrings = signRequest({ secret: 'sk_tést', timestamp: '1', body });
    const fromBytes = signRequest({ secret: new TextEncoder().encode('sk_tést'), timestamp: '1', body: Buffer.from(body, 'utf8') });
    assert.equal(fromBytes, fromStrings);
  });

  it("signs METHOD + PATH + BODY + TIMESTAMP for scheme 'v2'", () => {
    const path = '/api/v3/pg/order/create?x=1';
    assert.equal(
      signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1778659835', method: 'POST', path, body: BODY }),
      hmacHex(SECRET, `POST${path}${BODY}1778659835`),
    );
  });

  it('upper-cases the v2 method before signing', () => {
    const base = { scheme: 'v2', secret: SECRET, timestamp: '1778659835', path: '/p', body: BODY } as const;
    assert.equal(signRequest({ ...base, method: 'post' }), signRequest({ ...base, method: 'POST' }));
  });

  it('binds v2 to the method, the path and the query string', () => {
    const base = { scheme: 'v2', secret: SECRET, timestamp: '1778659835', method: 'POST', path: '/a?x=1', body: BODY } as const;
    const signature = signRequest(base);
    assert.notEqual(signRequest({ ...base, method: 'PUT' }), signature);
    assert.notEqual(signRequest({ ...base, path: '/b?x=1' }), signature);
    assert.notEqual(signRequest({ ...base, path: '/a?x=2' }), signature);
    assert.notEqual(signRequest({ ...base, path: '/a' }), signature);
  });

  it('gives different signatures for v1 and v2 over the same request', () => {
    const v1 = signRequest({ secret: SECRET, timestamp: '1', body: BODY, method: 'POST', path: '/p' });
    const v2 = signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1', body: BODY, method: 'POST', path: '/p' });
    assert.notEqual(v1, v2);
  });

  describe('throws TypeError for programmer errors', () => {
    it('refuses v2 without a method or a path', () => {
      assert.throws(() => signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1', path: '/p' }), TypeError);
      assert.throws(() => signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1', method: 'GET' }), TypeError);
      assert.throws(() => signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1', method: '', path: '/p' }), TypeError);
      assert.throws(() => signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1', method: 'GET', path: '' }), TypeError);
    });

    it('refuses an unknown scheme', () => {
      assert.throws(() => signRequest({ scheme: 'v3' as 'v1', secret: SECRET, timestamp: '1' }), TypeError);
    });

    it('refuses an empty or missing secret', () => {
      assert.throws(() => signRequest({ secret: '', timestamp: '1' }), TypeError);
      assert.throws(() => signRequest({ secret: new Uint8Array(0), timestamp: '1' }), TypeError);
      assert.throws(() => signRequest({ timestamp: '1' } as unknown as Parameters<typeof signRequest>[0]), TypeError);
    });

    it('refuses a fractional or non-finite numeric timestamp (Date.now() / 1000 without Math.floor)', () => {
      assert.throws(() => signRequest({ secret: SECRET, timestamp: 1778659835.123 }), /Math\.floor/);
      assert.throws(() => signRequest({ secret: SECRET, timestamp: Number.NaN }), TypeError);
    });

    it('refuses a body that is neither a string nor bytes', () => {
      assert.throws(() => signRequest({ secret: SECRET, timestamp: '1', body: { a: 1 } as unknown as string }), TypeError);
    });

    it('never puts the secret in an error message', () => {
      try {
        signRequest({ scheme: 'v2', secret: SECRET, timestamp: '1' });
        assert.fail('expected a throw');
      } catch (error) {
        assert.ok(!String(error).includes(SECRET));
      }
    });
  });
});
