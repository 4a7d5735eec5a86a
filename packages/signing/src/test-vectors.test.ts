/**
 * test-vectors.json is what other languages test against, so it is checked
 * here three ways: recomputed with node:crypto directly (not through this
 * library), reproduced by signRequest/verifyRequest, and cross-checked with
 * the openssl command line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson } from './canonical-json.js';
import { OpensslWorkspace } from './openssl.fixture.js';
import { parsePublicKey } from './public-key.js';
import { contentDigest, signResponse, verifyResponse } from './response-signature.js';
import { signRequest } from './sign-request.js';
import { verifyRequest } from './verify-request.js';

interface V1Vector {
  name: string;
  secret: string;
  timestamp: string;
  body: string;
  signature: string;
  form?: 'canonical';
  signed_body?: string;
}
interface V2Vector {
  name: string;
  secret: string;
  timestamp: string;
  method: string;
  path: string;
  body: string;
  signature: string;
}
const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  description: string;
  v1: V1Vector[];
  v2: V2Vector[];
};

const v1Message = (v: V1Vector): string => (v.form === 'canonical' ? v.signed_body! : v.body) + v.timestamp;
const v2Message = (v: V2Vector): string => v.method + v.path + v.body + v.timestamp;
const hmacHex = (secret: string, message: string): string => createHmac('sha256', secret).update(message, 'utf8').digest('hex');

function parsedOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const OPENSSL = '/usr/bin/openssl';
function opensslHmac(secret: string, message: string): string {
  // The message goes in on stdin, byte for byte: no shell, no echo, no trailing newline.
  const out = execFileSync(OPENSSL, ['dgst', '-sha256', '-hmac', secret], { input: Buffer.from(message, 'utf8') }).toString();
  const match = /([0-9a-f]{64})\s*$/.exec(out);
  assert.ok(match, `unexpected openssl output: ${out}`);
  return match[1]!;
}

describe('test-vectors.json', () => {
  it('covers the cases the other languages need', () => {
    const names = [...vectors.v1, ...vectors.v2].map((v) => v.name).join('\n');
    assert.match(names, /canonical form/);
    assert.match(names, /pretty-printed/);
    assert.ok(vectors.v1.some((v) => v.body === ''), 'a v1 empty body');
    assert.ok(vectors.v1.some((v) => /[^\x00-\x7f]/.test(v.body)), 'a v1 unicode body');
    assert.ok(vectors.v1.some((v) => v.form === 'canonical'), 'a v1 vector signed over the canonical form');
    assert.ok(vectors.v2.some((v) => v.method === 'POST' && v.body !== ''), 'a v2 POST with a body');
    assert.ok(vectors.v2.some((v) => v.method === 'GET' && v.path.includes('?') && v.body === ''), 'a v2 GET with a query and no body');
  });

  describe('v1', () => {
    for (const v of vectors.v1) {
      describe(v.name, () => {
        it('has hex(HMAC-SHA256(secret, body + timestamp)), recomputed with node:crypto directly', () => {
          assert.equal(hmacHex(v.secret, v1Message(v)), v.signature);
        });

        if (v.form === 'canonical') {
          it('signs the canonical JSON of a body that is formatted differently', () => {
            assert.notEqual(v.body, v.signed_body);
            assert.equal(canonicalJson(JSON.parse(v.body)), v.signed_body);
          });
        }

        it('is reproduced by signRequest', () => {
          const body = v.form === 'canonical' ? v.signed_body! : v.body;
          assert.equal(signRequest({ secret: v.secret, timestamp: v.timestamp, body }), v.signature);
        });

        it(`is accepted by verifyRequest in the ${v.form ?? 'raw'} form`, () => {
          for (const signature of [v.signature, v.signature.toUpperCase()]) {
            const result = verifyRequest({
              secrets: [v.secret],
              signature,
              timestamp: v.timestamp,
              rawBody: Buffer.from(v.body, 'utf8'),
              parsedBody: parsedOrUndefined(v.body),
              method: 'POST',
              path: '/api/v3/pg/order/create',
              nowSeconds: Number(v.timestamp),
            });
            assert.deepEqual(result, {
              ok: true,
              scheme: 'v1',
              form: v.form ?? 'raw',
              secretIndex: 0,
              timestampSeconds: Number(v.timestamp),
              signature: v.signature,
            });
          }
        });
      });
    }
  });

  describe('v2', () => {
    for (const v of vectors.v2) {
      describe(v.name, () => {
        it('has hex(HMAC-SHA256(secret, METHOD + PATH + BODY + TIMESTAMP)), recomputed with node:crypto directly', () => {
          assert.equal(hmacHex(v.secret, v2Message(v)), v.signature);
        });

        it('is reproduced by signRequest', () => {
          assert.equal(
            signRequest({ scheme: 'v2', secret: v.secret, timestamp: v.timestamp, method: v.method, path: v.path, body: v.body }),
            v.signature,
          );
        });

        it('is accepted by verifyRequest', () => {
          const result = verifyRequest({
            secrets: [v.secret],
            signature: v.signature,
            timestamp: v.timestamp,
            version: '2',
            rawBody: v.body,
            parsedBody: parsedOrUndefined(v.body),
            method: v.method,
            path: v.path,
            nowSeconds: Number(v.timestamp),
          });
          assert.deepEqual(result, {
            ok: true,
            scheme: 'v2',
            form: 'raw',
            secretIndex: 0,
            timestampSeconds: Number(v.timestamp),
            signature: v.signature,
          });
        });
      });
    }
  });

  it('agrees with `openssl dgst -sha256 -hmac` for every v1 and v2 vector', { skip: existsSync(OPENSSL) ? false : `${OPENSSL} not found` }, () => {
    assert.ok(vectors.v1.length > 0 && vectors.v2.length > 0);
    for (const v of vectors.v1) assert.equal(opensslHmac(v.secret, v1Message(v)), v.signature, v.name);
    for (const v of vectors.v2) assert.equal(opensslHmac(v.secret, v2Message(v)), v.signature, v.name);
  });
});

interface Ed25519Vector {
  name: string;
  WARNING: string;
  private_key_pem: string;
  private_key_seed_hex: string;
  public_key_pem: string;
  public_key_hex: string;
  fingerprint: string;
  timestamp: string;
  method: string;
  path: string;
  body: string;
  signature: string;
  replay_key: string;
}
const ed25519Vectors = (JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as { v2_ed25519: Ed25519Vector[] }).v2_ed25519;
const ed25519Message = (v: Ed25519Vector): Buffer => Buffer.from(v.method + v.path + v.body + v.timestamp, 'utf8');
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): fixed 16-byte prefix, then the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

describe('test-vectors.json v2_ed25519 (public-key signatures)', () => {
  it('covers the cases the other languages need, all with one clearly marked test key', () => {
    assert.ok(ed25519Vectors.some((v) => v.method === 'POST' && v.body !== ''), 'a POST with a body');
    assert.ok(ed25519Vectors.some((v) => v.method === 'GET' && v.path.includes('?') && v.body === ''), 'a GET with a query and no body');
    assert.ok(ed25519Vectors.some((v) => /[^\x00-\x7f]/.test(v.body)), 'a unicode body');
    assert.equal(new Set(ed25519Vectors.map((v) => v.private_key_pem)).size, 1);
    for (const v of ed25519Vectors) assert.match(v.WARNING, /^TEST KEY: .*never to sign real requests/);
  });

  for (const v of ed25519Vectors) {
    describe(v.name, () => {
      it('has a private key PEM, seed, public key PEM and raw public key that are all the same key pair', () => {
        const fromSeed = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(v.private_key_seed_hex, 'hex')]), format: 'der', type: 'pkcs8' });
        assert.equal(fromSeed.export({ type: 'pkcs8', format: 'pem' }), v.private_key_pem);
        assert.equal(createPublicKey(v.private_key_pem).export({ type: 'spki', format: 'pem' }), v.public_key_pem);
        const spki = createPublicKey(v.public_key_pem).export({ type: 'spki', format: 'der' });
        assert.equal(spki.subarray(-32).toString('hex'), v.public_key_hex);
      });

      it('has the fingerprint and the normalised PEM that parsePublicKey gives', () => {
        const parsed = parsePublicKey(v.public_key_pem);
        assert.ok(parsed.ok);
        assert.equal(parsed.algorithm, 'ed25519');
        assert.equal(parsed.pem, v.public_key_pem);
        assert.equal(parsed.fingerprint, v.fingerprint);
        const spki = createPublicKey(v.public_key_pem).export({ type: 'spki', format: 'der' });
        assert.equal(v.fingerprint, `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`);
      });

      it('has base64(Ed25519(METHOD + PATH + BODY + TIMESTAMP)), recomputed and verified with node:crypto directly', () => {
        const message = ed25519Message(v);
        assert.equal(sign(null, message, createPrivateKey(v.private_key_pem)).toString('base64'), v.signature);
        assert.equal(verify(null, message, createPublicKey(v.public_key_pem), Buffer.from(v.signature, 'base64')), true);
        assert.equal(v.replay_key, `sha256:${createHash('sha256').update(message).digest('hex')}`);
      });

      it('is reproduced by signRequest', () => {
        const { timestamp, method, path, body } = v;
        assert.equal(signRequest({ scheme: 'v2', privateKey: v.private_key_pem, timestamp, method, path, body }), v.signature);
      });

      it('is accepted by verifyRequest, with replayKey equal to replay_key', () => {
        const parsed = parsePublicKey(v.public_key_pem);
        assert.ok(parsed.ok);
        const result = verifyRequest({
          secrets: [],
          publicKeys: [parsed.key],
          signature: v.signature,
          timestamp: v.timestamp,
          version: '2',
          rawBody: Buffer.from(v.body, 'utf8'),
          parsedBody: parsedOrUndefined(v.body),
          method: v.method,
          path: v.path,
          nowSeconds: Number(v.timestamp),
        });
        assert.deepEqual(result, { ok: true, scheme: 'v2', form: 'raw', secretIndex: 0, timestampSeconds: Number(v.timestamp), signature: v.signature });
        assert.equal(result.ok && result.replayKey, v.replay_key);
      });
    });
  }

  it('agrees with `openssl pkeyutl -sign -rawin` (same bytes: Ed25519 is deterministic) and `-verify`', () => {
    const ws = new OpensslWorkspace();
    try {
      for (const v of ed25519Vectors) {
        ws.write('test-key.pem', v.private_key_pem);
        ws.write('test-key.pub.pem', v.public_key_pem);
        ws.write('msg.bin', ed25519Message(v));
        assert.equal(ws.sh('openssl pkeyutl -sign -inkey test-key.pem -rawin -in msg.bin | base64 -w0'), v.signature, v.name);
        ws.write('sig.bin', Buffer.from(v.signature, 'base64'));
        assert.equal(ws.sh('openssl pkeyutl -verify -pubin -inkey test-key.pub.pem -rawin -in msg.bin -sigfile sig.bin'), 'Signature Verified Successfully');
        const fingerprint = ws.sh("openssl pkey -pubin -in test-key.pub.pem -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr -d '='");
        assert.equal(`SHA256:${fingerprint}`, v.fingerprint);
      }
    } finally {
      ws.dispose();
    }
  });
});

interface ResponseVector {
  name: string;
  WARNING: string;
  private_key_pem: string;
  private_key_seed_hex: string;
  public_jwk: { kty: string; crv: string; x: string; kid: string; use: string; alg: string };
  status: number;
  body: string;
  request_signature: string | null;
  created: number;
  key_id: string;
  content_digest: string;
  signature_base: string;
  'signature-input': string;
  signature: string;
}
const responseVectors = (JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as { responses: ResponseVector[] }).responses;

describe('test-vectors.json responses (signed replies, RFC 9421)', () => {
  it('covers a reply bound to a request signature, one without, and a non-ASCII body, all with one clearly marked test key', () => {
    assert.ok(responseVectors.some((v) => v.status === 200 && v.request_signature !== null));
    assert.ok(responseVectors.some((v) => v.status >= 400 && v.request_signature === null));
    assert.ok(responseVectors.some((v) => /[^\x00-\x7f]/.test(v.body)));
    assert.equal(new Set(responseVectors.map((v) => v.private_key_pem)).size, 1);
    for (const v of responseVectors) assert.match(v.WARNING, /^TEST KEY: .*never to sign real replies/);
  });

  for (const v of responseVectors) {
    describe(v.name, () => {
      it('has a private key PEM, seed and public JWK that are all the same key pair', () => {
        const fromSeed = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(v.private_key_seed_hex, 'hex')]), format: 'der', type: 'pkcs8' });
        assert.equal(fromSeed.export({ type: 'pkcs8', format: 'pem' }), v.private_key_pem);
        assert.deepEqual(v.public_jwk, { kty: 'OKP', crv: 'Ed25519', x: (createPublicKey(v.private_key_pem).export({ format: 'jwk' }) as { x: string }).x, kid: v.key_id, use: 'sig', alg: 'EdDSA' });
      });

      it('has the content digest and signature base, recomputed by hand with node:crypto directly', () => {
        assert.equal(v.content_digest, `sha-256=:${createHash('sha256').update(v.body, 'utf8').digest('base64')}:`);
        const covered = v.request_signature === null ? '("@status" "content-digest")' : '("@status" "content-digest" "x-signature";req)';
        const params = `${covered};created=${v.created};keyid="${v.key_id}";alg="ed25519"`;
        assert.equal(v['signature-input'], `tijori=${params}`);
        const lines = [`"@status": ${v.status}`, `"content-digest": ${v.content_digest}`];
        if (v.request_signature !== null) lines.push(`"x-signature";req: ${v.request_signature}`);
        lines.push(`"@signature-params": ${params}`);
        assert.equal(v.signature_base, lines.join('\n'));
        const signature = sign(null, Buffer.from(v.signature_base, 'utf8'), createPrivateKey(v.private_key_pem)).toString('base64');
        assert.equal(v.signature, `tijori=:${signature}:`);
        assert.equal(verify(null, Buffer.from(v.signature_base, 'utf8'), createPublicKey({ key: v.public_jwk, format: 'jwk' }), Buffer.from(signature, 'base64')), true);
      });

      it('is reproduced by contentDigest and signResponse', () => {
        assert.equal(contentDigest(v.body), v.content_digest);
        const headers = signResponse({ status: v.status, contentDigest: v.content_digest, requestSignature: v.request_signature ?? undefined, keyId: v.key_id, privateKey: createPrivateKey(v.private_key_pem), created: v.created });
        assert.deepEqual(headers, { 'signature-input': v['signature-input'], signature: v.signature });
      });

      it('is accepted by verifyResponse against a JWK Set holding public_jwk', () => {
        const result = verifyResponse({
          status: v.status,
          headers: { 'content-digest': v.content_digest, 'signature-input': v['signature-input'], signature: v.signature },
          body: Buffer.from(v.body, 'utf8'),
          requestSignature: v.request_signature ?? undefined,
          jwks: { keys: [v.public_jwk] },
          nowSeconds: v.created,
        });
        assert.deepEqual(result, { ok: true, keyId: v.key_id, created: v.created });
      });
    });
  }

  it('agrees with `openssl pkeyutl -verify -rawin` over signature_base', () => {
    const ws = new OpensslWorkspace();
    try {
      for (const v of responseVectors) {
        ws.write('gateway.pub.pem', createPublicKey(v.private_key_pem).export({ type: 'spki', format: 'pem' }) as string);
        ws.write('base.bin', Buffer.from(v.signature_base, 'utf8'));
        ws.write('sig.bin', Buffer.from(v.signature.slice('tijori=:'.length, -1), 'base64'));
        assert.equal(ws.sh('openssl pkeyutl -verify -pubin -inkey gateway.pub.pem -rawin -in base.bin -sigfile sig.bin'), 'Signature Verified Successfully', v.name);
      }
    } finally {
      ws.dispose();
    }
  });
});
