import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, verify } from 'node:crypto';
import { OpensslWorkspace, type PemPair } from './openssl.fixture.js';
import { signRequest, type SignRequestInput } from './sign-request.js';

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

describe('signRequest with a private key', () => {
  let ws: OpensslWorkspace;
  let ed: PemPair;
  let rsa: PemPair;
  before(() => {
    ws = new OpensslWorkspace();
    ed = ws.ed25519('ed');
    rsa = ws.rsa('rsa', 2048);
  });
  after(() => ws?.dispose());

  const PATH = '/api/v3/pg/order/create?x=1';
  const MESSAGE = Buffer.from(`POST${PATH}${BODY}1778659835`, 'utf8');
  const request = (privateKey: SignRequestInput['privateKey']): SignRequestInput =>
    ({ scheme: 'v2', privateKey, timestamp: '1778659835', method: 'post', path: PATH, body: BODY }) as SignRequestInput;

  it('signs the v2 string with Ed25519: base64 of crypto.sign(null, METHOD + PATH + BODY + TIMESTAMP, key)', () => {
    const signature = signRequest(request(ed.privatePem));
    assert.match(signature, /^[A-Za-z0-9+/]{86}==$/);
    assert.equal(signature, sign(null, MESSAGE, createPrivateKey(ed.privatePem)).toString('base64'), 'Ed25519 is deterministic');
    assert.equal(signature, ws.signEd25519(ed, MESSAGE), 'and openssl gives the same bytes');
  });

  it('signs the v2 string with RSA-PSS, SHA-256 and a 32-byte salt, randomised on each call', () => {
    const first = signRequest(request(rsa.privatePem));
    const second = signRequest(request(rsa.privatePem));
    assert.match(first, /^[A-Za-z0-9+/]{342}==$/, '256 bytes for a 2048-bit key');
    assert.notEqual(first, second, 'PSS salts are random');
    const publicKey = createPublicKey(rsa.publicPem);
    for (const signature of [first, second]) {
      const bytes = Buffer.from(signature, 'base64');
      const pss = (saltLength: number) =>
        verify('sha256', MESSAGE, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, bytes);
      assert.equal(pss(32), true);
      assert.equal(pss(20), false, 'the salt is exactly 32 bytes');
    }
    ws.write('sig.bin', Buffer.from(first, 'base64'));
    ws.write('msg.bin', MESSAGE);
    const verdict = ws.sh('openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify rsa.pub.pem -signature sig.bin msg.bin');
    assert.equal(verdict, 'Verified OK', 'openssl agrees');
  });

  it('accepts the private key as a KeyObject or as PEM text', () => {
    assert.equal(signRequest(request(createPrivateKey(ed.privatePem))), signRequest(request(ed.privatePem)));
  });

  describe('throws TypeError for programmer errors', () => {
    it("refuses any scheme but 'v2', including the default", () => {
      for (const scheme of [undefined, 'v1', 'v3']) {
        assert.throws(() => signRequest({ ...request(ed.privatePem), scheme } as unknown as SignRequestInput), /scheme 'v2' only/);
      }
    });

    it('refuses a secret and a private key together', () => {
      assert.throws(() => signRequest({ ...request(ed.privatePem), secret: SECRET } as unknown as SignRequestInput), /either secret .* or privateKey/);
    });

    it('refuses a public key, a secret KeyObject and unreadable PEM text', () => {
      assert.throws(() => signRequest(request(createPublicKey(ed.publicPem))), /public key; signing needs the private key/);
      assert.throws(() => signRequest(request(createSecretKey(Buffer.from(SECRET)))), TypeError);
      assert.throws(() => signRequest(request(ed.publicPem)), /could not be read/);
      assert.throws(() => signRequest(request('not a key')), /could not be read/);
      assert.throws(() => signRequest(request(Buffer.from(ed.privatePem) as unknown as string)), /KeyObject or a PEM string/);
    });

    it('refuses keys the server would refuse to register: RSA under 2048 bits, EC', () => {
      assert.throws(() => signRequest(request(ws.rsa('small', 1024).privatePem)), /at least 2048 bits/);
      assert.throws(() => signRequest(request(ws.other('ec', '-algorithm EC -pkeyopt ec_paramgen_curve:P-256').privatePem)), /EC \(ECDSA\)/);
    });

    it('refuses v2 without a method or a path, as with a secret', () => {
      assert.throws(() => signRequest({ ...request(ed.privatePem), method: undefined }), /needs method/);
      assert.throws(() => signRequest({ ...request(ed.privatePem), path: '' }), /needs path/);
    });

    it('never puts the private key in an error message', () => {
      const body = ed.privatePem.split('\n')[1]!;
      const broken = ed.privatePem.replace(body, body.slice(0, -4));
      for (const make of [() => signRequest(request(broken)), () => signRequest({ ...request(ed.privatePem), scheme: 'v1' } as unknown as SignRequestInput)]) {
        assert.throws(make, (error: Error) => !String(error).includes(body.slice(0, 20)) && !JSON.stringify(error).includes(body.slice(0, 20)));
      }
    });
  });
});
