import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertRefused } from '../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';

/** A key pair made by openssl, and a v2 signature made by openssl: nothing of ours on the signing side. */
function opensslEd25519(dir: string) {
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'k.pem')]);
  execFileSync('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-pubout', '-out', join(dir, 'pub.pem')]);
  return {
    publicPem: readFileSync(join(dir, 'pub.pem'), 'utf8'),
    sign(message: string): string {
      writeFileSync(join(dir, 'msg.bin'), message);
      return execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', join(dir, 'k.pem'), '-rawin', '-in', join(dir, 'msg.bin')]).toString('base64');
    },
  };
}

for (const backend of BACKENDS) {
  describe(`a merchant signing with its own key pair on ${backend.name}`, () => {
    let gw: TestGateway;
    let dir: string;
    let pair: ReturnType<typeof opensslEd25519>;
    let apiKey: string;
    let merchantId: string;

    before(async () => {
      gw = await startTestGateway(backend);
      dir = mkdtempSync(join(tmpdir(), 'tijori-pk-'));
      pair = opensslEd25519(dir);
      const merchant = await gw.admin('POST', '/admin/v1/merchants', { name: 'Key pair shop' });
      merchantId = merchant.json().merchant.id;
      const registered = await gw.admin('POST', `/admin/v1/merchants/${merchantId}/keys`, { public_key_pem: pair.publicPem, label: 'ed25519' });
      assert.equal(registered.statusCode, 201, registered.body);
      assert.equal(registered.json().key.kind, 'public_key');
      assert.match(registered.json().key.public_key_fingerprint, /^SHA256:/);
      assert.equal(registered.json().key.secret_key, undefined, 'there is no secret to show');
      apiKey = registered.json().key.api_key;
    });
    after(async () => {
      await gw?.close();
    });

    function signedByOpenssl(body: string, timestamp: string, path = CREATE) {
      const signature = pair.sign(`POST${path}${body}${timestamp}`);
      return gw.gateway.app.inject({
        method: 'POST',
        url: path,
        payload: body,
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-timestamp': timestamp, 'x-signature': signature, 'x-signature-version': '2' },
      });
    }

    it('accepts a v2 request signed by openssl with the private key', async () => {
      const ts = String(Math.floor(gw.clock.nowMs() / 1000));
      const res = await signedByOpenssl(JSON.stringify(orderBody()), ts);
      assert.equal(res.statusCode, 200, res.body);
    });

    it('refuses the same request sent twice (replay), and a tampered body', async () => {
      gw.clock.advanceSeconds(1);
      const ts = String(Math.floor(gw.clock.nowMs() / 1000));
      const body = JSON.stringify(orderBody());
      assert.equal((await signedByOpenssl(body, ts)).statusCode, 200);
      assertRefused(await signedByOpenssl(body, ts), 401, 'replayed_request');
      const signature = pair.sign(`POST${CREATE}${body}${ts}`);
      const tampered = await gw.gateway.app.inject({
        method: 'POST',
        url: CREATE,
        payload: body.replace('105.00', '999.00'),
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-timestamp': ts, 'x-signature': signature, 'x-signature-version': '2' },
      });
      assertRefused(tampered, 401, 'invalid_signature');
    });

    it('refuses v1 for a public-key API key', async () => {
      const res = await gw.send({ path: CREATE, body: orderBody(), key: { merchantId, keyId: '', apiKey, secretKey: 'irrelevant' } });
      assertRefused(res, 401, 'signature_scheme_not_allowed');
    });

    it('refuses to register a private key or a weak key', async () => {
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', join(dir, 'weak.pem')]);
      const weakPublic = execFileSync('openssl', ['pkey', '-in', join(dir, 'weak.pem'), '-pubout']).toString();
      assertRefused(await gw.admin('POST', `/admin/v1/merchants/${merchantId}/keys`, { public_key_pem: weakPublic }), 400, 'validation_failed');
      const privatePem = readFileSync(join(dir, 'k.pem'), 'utf8');
      assertRefused(await gw.admin('POST', `/admin/v1/merchants/${merchantId}/keys`, { public_key_pem: privatePem }), 400, 'validation_failed');
    });

    it('has no secret to roll', async () => {
      assertRefused(await gw.admin('POST', `/admin/v1/keys/${apiKey}/roll`), 400, 'validation_failed');
    });
  });
}
