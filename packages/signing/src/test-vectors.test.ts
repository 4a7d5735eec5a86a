/**
 * test-vectors.json is what other languages test against, so it is checked
 * here three ways: recomputed with node:crypto directly (not through this
 * library), reproduced by signRequest/verifyRequest, and cross-checked with
 * the openssl command line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson } from './canonical-json.js';
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
