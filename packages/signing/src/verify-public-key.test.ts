/**
 * verifyRequest with publicKeys: the merchant registered public keys instead
 * of sharing a secret. Key pairs and most signatures come from the openssl
 * command line, with the exact commands the README gives merchants.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom as random } from './seeded-random.fixture.js';
import { constants, createHash, createPrivateKey, createSecretKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { OpensslWorkspace, type PemPair } from './openssl.fixture.js';
import { parsePublicKey } from './public-key.js';
import { signRequest } from './sign-request.js';
import {
  UNEXPECTED_FAILURE_MESSAGE,
  VERIFY_FAILURE_CODES,
  verifyRequest,
  type VerifyFailureCode,
  type VerifyRequestInput,
  type VerifyResult,
} from './verify-request.js';

const NOW = 1778659835;
const TS = String(NOW);
const PATH = '/api/v3/pg/order/create?source=test';
const BODY = '{"customer":{"name":"Ajay"},"order_amount":105,"order_id":6116229263036,"order_note":"₹105 paid"}';
const SECRET = 'sk_test_public_key_suite_secret';

/** METHOD + PATH + BODY + TIMESTAMP as bytes: what a public key signs. */
const v2Message = (method: string, path: string, body: string, timestamp: string): Buffer =>
  Buffer.from(`${method}${path}${body}${timestamp}`, 'utf8');
const MESSAGE = v2Message('POST', PATH, BODY, TS);
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function failureCode(result: VerifyResult): VerifyFailureCode {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return (result as { code: VerifyFailureCode }).code;
}

function failureMessage(result: VerifyResult): string {
  assert.equal(result.ok, false);
  return (result as { message: string }).message;
}

function success(result: VerifyResult): Extract<VerifyResult, { ok: true }> {
  assert.equal(result.ok, true, `expected success, got ${JSON.stringify(result)}`);
  return result as Extract<VerifyResult, { ok: true }>;
}

/** Standard base64 to the URL-safe alphabet without padding. */
const urlSafe = (b64: string): string => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('verifyRequest with public keys', () => {
  let ws: OpensslWorkspace;
  let ed: PemPair;
  let edOther: PemPair;
  let rsa: PemPair;
  let edKey: KeyObject;
  let edOtherKey: KeyObject;
  let rsaKey: KeyObject;
  let edSignature: string;
  let rsaSignature: string;

  before(() => {
    ws = new OpensslWorkspace();
    ed = ws.ed25519('ed');
    edOther = ws.ed25519('ed-other');
    rsa = ws.rsa('rsa', 2048);
    const parse = (pem: string): KeyObject => {
      const parsed = parsePublicKey(pem);
      assert.ok(parsed.ok);
      return parsed.key;
    };
    edKey = parse(ed.publicPem);
    edOtherKey = parse(edOther.publicPem);
    rsaKey = parse(rsa.publicPem);
    edSignature = ws.signEd25519(ed, MESSAGE);
    rsaSignature = ws.signRsaPss(rsa, MESSAGE);
  });
  after(() => ws?.dispose());

  /** A request signed by openssl with the Ed25519 key, verified against it; override any field. */
  function edRequest(overrides: Partial<VerifyRequestInput> = {}): VerifyRequestInput {
    return {
      secrets: [],
      publicKeys: [edKey],
      signature: edSignature,
      timestamp: TS,
      version: '2',
      rawBody: Buffer.from(BODY, 'utf8'),
      parsedBody: JSON.parse(BODY),
      method: 'POST',
      path: PATH,
      nowSeconds: NOW,
      ...overrides,
    };
  }
  const rsaRequest = (overrides: Partial<VerifyRequestInput> = {}): VerifyRequestInput =>
    edRequest({ publicKeys: [rsaKey], signature: rsaSignature, ...overrides });

  describe('accepts', () => {
    it('an Ed25519 signature made by `openssl pkeyutl -sign -rawin`, base64-encoded', () => {
      const result = verifyRequest(edRequest());
      assert.deepEqual(result, { ok: true, scheme: 'v2', form: 'raw', secretIndex: 0, timestampSeconds: NOW, signature: edSignature });
      assert.equal(success(result).replayKey, `sha256:${sha256Hex(MESSAGE)}`);
    });

    it('an RSA-PSS signature made by `openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32`', () => {
      const result = success(verifyRequest(rsaRequest()));
      assert.equal(result.signature, rsaSignature);
      assert.equal(result.secretIndex, 0);
      assert.equal(result.replayKey, `sha256:${sha256Hex(MESSAGE)}`);
    });

    it('a signature made by signRequest with the private key, as PEM or KeyObject', () => {
      for (const [pair, key] of [[ed, edKey], [rsa, rsaKey]] as const) {
        for (const privateKey of [pair.privatePem, createPrivateKey(pair.privatePem)]) {
          const signature = signRequest({ scheme: 'v2', privateKey, timestamp: TS, method: 'POST', path: PATH, body: BODY });
          success(verifyRequest(edRequest({ publicKeys: [key], signature })));
        }
      }
    });

    it('the URL-safe alphabet and missing padding, returning the signature as standard padded base64', () => {
      for (const [make, signature] of [[edRequest, () => edSignature], [rsaRequest, () => rsaSignature]] as const) {
        const standard = signature();
        for (const spelling of [urlSafe(standard), standard.replace(/=+$/, ''), `${urlSafe(standard)}${standard.match(/=*$/)![0]}`]) {
          assert.equal(success(verifyRequest(make({ signature: spelling }))).signature, standard, spelling);
        }
      }
    });

    it('a lower-case method from the caller, and a body given as a string', () => {
      success(verifyRequest(edRequest({ method: 'post', rawBody: BODY })));
    });

    it('a GET with a query string and an empty body', () => {
      const path = '/api/v3/pg/order/status?order_id=6116229263036';
      const signature = ws.signEd25519(ed, v2Message('GET', path, '', TS));
      success(verifyRequest(edRequest({ signature, method: 'GET', path, rawBody: '', parsedBody: undefined })));
    });
  });

  describe('tampering', () => {
    const tampered: Array<[string, Partial<VerifyRequestInput>]> = [
      ['body', { rawBody: BODY.replace('105', '106') }],
      ['body, one byte appended', { rawBody: `${BODY} ` }],
      ['path', { path: '/api/v3/pg/order/create' }],
      ['query string', { path: `${PATH}&x=1` }],
      ['method', { method: 'PUT' }],
      ['timestamp, inside the window', { timestamp: String(NOW + 1) }],
    ];
    for (const [what, change] of tampered) {
      it(`refuses the request when the ${what} differs from what was signed`, () => {
        for (const make of [edRequest, rsaRequest]) {
          assert.equal(failureCode(verifyRequest(make(change))), 'signature_mismatch');
        }
      });
    }

    it('refuses a signature with one bit flipped anywhere', () => {
      for (const [make, signature] of [[edRequest, edSignature], [rsaRequest, rsaSignature]] as const) {
        const bytes = Buffer.from(signature, 'base64');
        for (let i = 0; i < bytes.length; i += 7) {
          const flipped = Buffer.from(bytes);
          flipped[i] = flipped[i]! ^ 0x01;
          assert.equal(failureCode(verifyRequest(make({ signature: flipped.toString('base64') }))), 'signature_mismatch', `byte ${i}`);
        }
      }
    });

    it('still applies the timestamp window', () => {
      const timestamp = String(NOW - 301);
      const signature = ws.signEd25519(ed, v2Message('POST', PATH, BODY, timestamp));
      assert.equal(failureCode(verifyRequest(edRequest({ timestamp, signature }))), 'timestamp_outside_window');
      success(verifyRequest(edRequest({ timestamp, signature, nowSeconds: NOW - 1 })));
    });
  });

  describe('keys', () => {
    it('refuses a signature made with another key, saying what to check', () => {
      const result = verifyRequest(edRequest({ publicKeys: [edOtherKey] }));
      assert.equal(failureCode(result), 'signature_mismatch');
      const message = failureMessage(result);
      for (const hint of [/public key registered/, /METHOD \+ PATH \+ BODY \+ TIMESTAMP/, /private key/, /base64/, /query string/, /seconds, not milliseconds/, /rsa_pss_saltlen:32/, /-rawin/, /fingerprints/]) {
        assert.match(message, hint);
      }
    });

    it('matches the second key in the list and reports secretIndex 1', () => {
      assert.equal(success(verifyRequest(edRequest({ publicKeys: [edOtherKey, edKey] }))).secretIndex, 1);
      assert.equal(success(verifyRequest(rsaRequest({ publicKeys: [edKey, rsaKey] }))).secretIndex, 1);
    });

    it('reports the first matching key when the same key is listed twice', () => {
      assert.equal(success(verifyRequest(edRequest({ publicKeys: [edKey, edKey] }))).secretIndex, 0);
    });

    it('skips entries that are not acceptable public keys, but still counts their positions', () => {
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      const notKeys = [null, 'x', ed.publicPem, createPrivateKey(ed.privatePem), createSecretKey(Buffer.from(SECRET)), small, ec, {}];
      const result = success(verifyRequest(edRequest({ publicKeys: [...notKeys, edKey] as unknown as KeyObject[] })));
      assert.equal(result.secretIndex, notKeys.length);
      // A private KeyObject would verify (OpenSSL derives the public half) but the server must not hold one: it is skipped.
      assert.equal(failureCode(verifyRequest(edRequest({ publicKeys: [createPrivateKey(ed.privatePem)] as unknown as KeyObject[] }))), 'signature_mismatch');
    });

    it('uses public keys INSTEAD of secrets: a valid HMAC signature is not accepted', () => {
      const hmac = signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'POST', path: PATH, body: BODY });
      const result = verifyRequest(edRequest({ secrets: [SECRET], signature: hmac }));
      assert.equal(failureCode(result), 'malformed_signature');
      assert.match(failureMessage(result), /hex HMAC-SHA256 digest; this API key is registered with a public key/);
    });

    it('uses secrets as before when publicKeys is absent, null or empty', () => {
      const hmac = signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'POST', path: PATH, body: BODY });
      for (const publicKeys of [undefined, null, []]) {
        const result = success(verifyRequest(edRequest({ publicKeys: publicKeys as unknown as KeyObject[], secrets: [SECRET], signature: hmac })));
        assert.equal(result.signature, hmac);
        assert.equal(result.replayKey, hmac, 'for HMAC the replay key is the signature');
      }
    });

    it('fails closed when publicKeys is not an array, rather than falling back to the secrets', () => {
      const hmac = signRequest({ scheme: 'v2', secret: SECRET, timestamp: TS, method: 'POST', path: PATH, body: BODY });
      for (const publicKeys of ['key', 42, {}, edKey]) {
        for (const signature of [hmac, edSignature]) {
          const result = verifyRequest(edRequest({ publicKeys: publicKeys as unknown as KeyObject[], secrets: [SECRET], signature }));
          assert.equal(result.ok, false);
        }
      }
    });
  });

  describe('scheme', () => {
    it('refuses v1 (X-SIGNATURE-VERSION absent or 1) with scheme_not_allowed, asking for version 2', () => {
      for (const version of [undefined, '1']) {
        const result = verifyRequest(edRequest({ version }));
        assert.equal(failureCode(result), 'scheme_not_allowed');
        assert.match(failureMessage(result), /Public-key signatures must use X-SIGNATURE-VERSION: 2/);
      }
    });

    it('still refuses an unknown version as unsupported_version', () => {
      assert.equal(failureCode(verifyRequest(edRequest({ version: '3' }))), 'unsupported_version');
    });

    it('refuses v2 when the server allows only v1, calling it a configuration problem', () => {
      const result = verifyRequest(edRequest({ allowedSchemes: ['v1'] }));
      assert.equal(failureCode(result), 'scheme_not_allowed');
      assert.match(failureMessage(result), /server configuration problem/);
    });

    it('explains a missing signature in public-key terms', () => {
      assert.match(failureMessage(verifyRequest(edRequest({ signature: '' }))), /registered with a public key: send X-SIGNATURE-VERSION: 2/);
    });
  });

  describe('signature encoding', () => {
    it('refuses a hex signature as malformed_signature, asking for base64', () => {
      for (const [make, signature] of [[edRequest, edSignature], [rsaRequest, rsaSignature]] as const) {
        const hex = Buffer.from(signature, 'base64').toString('hex');
        for (const spelling of [hex, hex.toUpperCase()]) {
          const result = verifyRequest(make({ signature: spelling }));
          assert.equal(failureCode(result), 'malformed_signature');
          assert.match(failureMessage(result), /must be base64 for public-key signatures/);
          assert.match(failureMessage(result), /looks like hex/);
          assert.equal((result as { timestampSeconds?: number }).timestampSeconds, NOW);
        }
      }
    });

    it('refuses base64 of the wrong length, naming the length the key needs', () => {
      const cases: Array<[typeof edRequest, string, RegExp]> = [
        [edRequest, Buffer.alloc(63).toString('base64'), /64 bytes for Ed25519.*decodes to 63 bytes/],
        [edRequest, Buffer.alloc(65).toString('base64'), /64 bytes for Ed25519/],
        [rsaRequest, Buffer.alloc(64).toString('base64'), /256 bytes for RSA-2048.*decodes to 64 bytes/],
        [rsaRequest, Buffer.from(rsaSignature, 'base64').subarray(1).toString('base64'), /256 bytes for RSA-2048/],
      ];
      for (const [make, signature, expected] of cases) {
        const result = verifyRequest(make({ signature }));
        assert.equal(failureCode(result), 'malformed_signature');
        assert.match(failureMessage(result), expected);
      }
      const both = failureMessage(verifyRequest(edRequest({ publicKeys: [edKey, rsaKey], signature: 'AAAA' })));
      assert.match(both, /64 bytes for Ed25519, or 256 bytes for RSA-2048/);
    });

    /** 64 bytes end in a 2-character group whose last character carries 4 unused bits; set the lowest. */
    function nonCanonical(b64: string): string {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const altered = `${b64.slice(0, 85)}${alphabet[alphabet.indexOf(b64[85]!) | 1]}==`;
      assert.notEqual(altered, b64);
      assert.deepEqual(Buffer.from(altered, 'base64'), Buffer.from(b64, 'base64'), 'a lenient decoder sees the same signature');
      return altered;
    }

    it('refuses base64 that is wrapped, mixes alphabets, has wrong padding or non-zero trailing bits', () => {
      const s = edSignature; // 86 characters then '=='
      const wrapped = `${s.slice(0, 60)}\n${s.slice(60)}`;
      const malformed = [
        wrapped,
        ` ${s}`,
        `${s.slice(0, 10)}-${s.slice(11, 20)}+${s.slice(21)}`, // both alphabets
        `${s.slice(0, -2)}=`, // padding cut short
        `${s}=`,
        `${s.slice(0, -2)}===`,
        nonCanonical(s), // same bytes, but the unused low bits of the last character are set
        `sha256=${s}`,
        'not base64!',
      ];
      for (const signature of malformed) {
        const result = verifyRequest(edRequest({ signature }));
        assert.equal(failureCode(result), 'malformed_signature', JSON.stringify(signature));
        assert.match(failureMessage(result), /base64/);
        assert.ok(!failureMessage(result).includes(s.slice(0, 20)), 'the signature is not echoed');
      }
      assert.match(failureMessage(verifyRequest(edRequest({ signature: wrapped }))), /line breaks.*base64 -w0/);
    });
  });

  describe('RSA padding and salt length', () => {
    it('refuses PKCS#1 v1.5, saying RSA-PSS is required', () => {
      const v15 = sign('sha256', MESSAGE, { key: createPrivateKey(rsa.privatePem), padding: constants.RSA_PKCS1_PADDING }).toString('base64');
      const result = verifyRequest(rsaRequest({ signature: v15 }));
      assert.equal(failureCode(result), 'signature_mismatch');
      assert.match(failureMessage(result), /^This signature uses RSA PKCS#1 v1\.5 padding; RSA-PSS is required/);
    });

    it("refuses PSS with another salt length, such as openssl's default when rsa_pss_saltlen is left out", () => {
      for (const sigopts of ['-sigopt rsa_padding_mode:pss', '-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20']) {
        const result = verifyRequest(rsaRequest({ signature: ws.signRsaPss(rsa, MESSAGE, sigopts) }));
        assert.equal(failureCode(result), 'signature_mismatch', sigopts);
        assert.match(failureMessage(result), /salt length other than 32 bytes/);
      }
    });

    it('gives the plain mismatch message when the RSA signature is for another message', () => {
      const message = failureMessage(verifyRequest(rsaRequest({ method: 'PUT' })));
      assert.match(message, /^X-SIGNATURE does not match the public key/);
    });
  });

  describe('replayKey', () => {
    it("is 'sha256:' + hex SHA-256 of the signed message, the same for two different RSA-PSS signatures of one request", () => {
      const other = ws.signRsaPss(rsa, MESSAGE);
      assert.notEqual(other, rsaSignature, 'RSA-PSS is randomised');
      const first = success(verifyRequest(rsaRequest()));
      const second = success(verifyRequest(rsaRequest({ signature: other })));
      assert.notEqual(first.signature, second.signature);
      assert.equal(first.replayKey, second.replayKey);
      assert.match(first.replayKey, /^sha256:[0-9a-f]{64}$/);
    });

    it('is the same for every spelling of the signature, and for Ed25519 and RSA signatures of one message', () => {
      const keys = new Set([edSignature, urlSafe(edSignature)].map((signature) => success(verifyRequest(edRequest({ signature }))).replayKey));
      keys.add(success(verifyRequest(rsaRequest())).replayKey);
      assert.equal(keys.size, 1);
    });

    it('differs between requests that differ in method, path, body or timestamp', () => {
      const variants: Array<[string, string, string, string]> = [
        ['POST', PATH, BODY, TS],
        ['PUT', PATH, BODY, TS],
        ['POST', `${PATH}&x=1`, BODY, TS],
        ['POST', PATH, `${BODY} `, TS],
        ['POST', PATH, BODY, String(NOW + 1)],
      ];
      const seen = new Set<string>();
      for (const [method, path, body, timestamp] of variants) {
        const signature = ws.signRsaPss(rsa, v2Message(method, path, body, timestamp));
        seen.add(success(verifyRequest(rsaRequest({ method, path, rawBody: body, timestamp, signature }))).replayKey);
      }
      assert.equal(seen.size, variants.length);
    });

    it('is a read-only property that deep equality, spreads and JSON leave out', () => {
      const result = success(verifyRequest(edRequest()));
      assert.equal(Object.keys(result).includes('replayKey'), false);
      assert.equal(JSON.stringify(result).includes('replayKey'), false);
      assert.throws(() => {
        (result as { replayKey: string }).replayKey = 'x';
      }, TypeError);
    });
  });

  describe('never throws', () => {
    const bytes = (rnd: () => number, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));

    function randomSignature(rnd: () => number): unknown {
      const lengths = [0, 1, 2, 3, 32, 48, 63, 64, 65, 128, 255, 256, 257, 512, 1024, 1025];
      const b = bytes(rnd, lengths[Math.floor(rnd() * lengths.length)]!);
      const choices: Array<() => unknown> = [
        () => b.toString('base64'),
        () => urlSafe(b.toString('base64')),
        () => b.toString('hex'),
        () => b.toString('latin1'),
        () => b.toString('utf8'),
        () => 'A'.repeat(Math.floor(rnd() * 3_000_000)),
        () => '='.repeat(Math.floor(rnd() * 5000)),
        () => `${'A'.repeat(86)}${'='.repeat(Math.floor(rnd() * 4))}`,
        () => `${edSignature.slice(0, Math.floor(rnd() * 88))}`,
        () => edSignature.replace(/./g, (c) => (rnd() < 0.02 ? String.fromCharCode(Math.floor(rnd() * 0x10000)) : c)),
        () => rsaSignature,
        () => undefined,
        () => null,
        () => 42,
        () => b,
        () => ({ toString: () => edSignature }),
        () => [edSignature],
      ];
      return choices[Math.floor(rnd() * choices.length)]!();
    }

    function randomKeys(rnd: () => number): unknown {
      const pool: unknown[] = [edKey, edOtherKey, rsaKey, null, undefined, 'x', {}, createSecretKey(Buffer.from(SECRET)), createPrivateKey(ed.privatePem)];
      if (rnd() < 0.05) return pool[Math.floor(rnd() * pool.length)];
      return Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pool[Math.floor(rnd() * pool.length)]);
    }

    function assertWellFormed(result: VerifyResult): void {
      assert.equal(typeof result, 'object');
      if (result.ok) {
        assert.match(result.replayKey, /^sha256:[0-9a-f]{64}$/);
        assert.match(result.signature, /^[A-Za-z0-9+/]+={0,2}$/);
      } else {
        assert.ok(VERIFY_FAILURE_CODES.includes(result.code));
        assert.equal(typeof result.message, 'string');
        assert.notEqual(result.message, UNEXPECTED_FAILURE_MESSAGE, 'the internal safety net was reached');
      }
    }

    it('returns a well-formed result for random signatures: bytes, base64, hex, huge strings, non-strings', () => {
      const rnd = random(4242);
      for (let i = 0; i < 1500; i++) {
        const input = { ...(rnd() < 0.5 ? edRequest() : rsaRequest()), signature: randomSignature(rnd) };
        if (rnd() < 0.5) input.publicKeys = randomKeys(rnd) as KeyObject[];
        let result: VerifyResult | undefined;
        assert.doesNotThrow(() => {
          result = verifyRequest(input as unknown as VerifyRequestInput);
        });
        assertWellFormed(result!);
        if (result!.ok) assert.ok([edSignature, rsaSignature].includes(result!.signature), 'only a genuine signature verifies');
      }
    });

    it('returns a well-formed result with random garbage in the fields the message is built from', () => {
      const rnd = random(7);
      const garbage: unknown[] = [undefined, null, '', 0, Number.NaN, 10n, Symbol('s'), {}, [], Buffer.alloc(3), () => 1, 'x'.repeat(100_000)];
      const pick = () => garbage[Math.floor(rnd() * garbage.length)];
      for (let i = 0; i < 1000; i++) {
        const input: Record<string, unknown> = { ...(rnd() < 0.5 ? edRequest() : rsaRequest()) };
        for (const key of ['rawBody', 'method', 'path', 'timestamp', 'version', 'nowSeconds', 'allowedSchemes', 'secrets'] as const) {
          if (rnd() < 0.3) input[key] = pick();
        }
        const result = verifyRequest(input as unknown as VerifyRequestInput);
        assertWellFormed(result);
      }
    });

    it('answers a huge signature quickly, without decoding it', () => {
      const started = process.hrtime.bigint();
      const result = verifyRequest(rsaRequest({ signature: 'A'.repeat(50_000_000) }));
      assert.equal(failureCode(result), 'malformed_signature');
      assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 500, 'well under half a second');
    });
  });
});
