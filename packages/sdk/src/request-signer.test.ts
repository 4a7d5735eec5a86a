import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyRequest } from '@tijori/signing';
import { hmacSigner, privateKeySigner } from './request-signer.js';
import { v1SignedBody, vectors } from './test-support/vectors.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('request signing with WebCrypto', () => {
  it('gives every v1 vector\'s signature', async () => {
    for (const v of vectors.v1) {
      const signature = await hmacSigner(v.secret, 'v1').sign({ timestamp: v.timestamp, method: 'POST', path: '/ignored-by-v1', body: utf8(v1SignedBody(v)) });
      assert.equal(signature, v.signature, v.name);
    }
  });

  it('gives every v2 vector\'s signature, method and query string included', async () => {
    for (const v of vectors.v2) {
      const signature = await hmacSigner(v.secret, 'v2').sign({ timestamp: v.timestamp, method: v.method, path: v.path, body: utf8(v.body) });
      assert.equal(signature, v.signature, v.name);
    }
  });

  it('gives every Ed25519 vector\'s signature from the PEM, a KeyObject or a CryptoKey', async () => {
    for (const v of vectors.v2_ed25519) {
      const request = { timestamp: v.timestamp, method: v.method, path: v.path, body: utf8(v.body) };
      const keyObject = createPrivateKey(v.private_key_pem);
      const cryptoKey = await crypto.subtle.importKey('pkcs8', keyObject.export({ format: 'der', type: 'pkcs8' }), { name: 'Ed25519' }, false, ['sign']);
      for (const key of [v.private_key_pem, keyObject, cryptoKey]) {
        assert.equal(await privateKeySigner(key).sign(request), v.signature, v.name);
      }
    }
  });

  it('signs with RSA-PSS (SHA-256, 32-byte salt) so that the gateway\'s verifier accepts it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const request = { timestamp: '1778659835', method: 'POST', path: '/api/v3/pg/order/create', body: utf8('{"order_id":"rsa-1"}') };
    const signature = await privateKeySigner(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string).sign(request);
    const result = verifyRequest({
      secrets: [],
      publicKeys: [publicKey],
      signature,
      timestamp: request.timestamp,
      version: '2',
      rawBody: Buffer.from(request.body),
      parsedBody: undefined,
      method: 'POST',
      path: request.path,
      nowSeconds: 1778659835,
    });
    assert.ok(result.ok, JSON.stringify(result));
  });

  it('refuses a key it cannot use with a sentence that says what to pass, and none of the key', async () => {
    const pem = vectors.v2_ed25519[0]!.private_key_pem;
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
    for (const bad of [pkcs1, pem.replace('MC4CAQAw', 'MC4CAQAx'), 'not a key', createPrivateKey(pem).export({ format: 'pem', type: 'pkcs8' }).toString().replace('PRIVATE', 'PUBLIC')]) {
      await assert.rejects(privateKeySigner(bad).sign({ timestamp: '1', method: 'POST', path: '/', body: new Uint8Array() }), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /PKCS#8 PEM/);
        assert.ok(!err.message.includes('MC4CAQ') && !err.message.includes(pkcs1.slice(40, 80)), err.message);
        return true;
      });
    }
  });
});
