import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { OpensslWorkspace, type PemPair } from './openssl.fixture.js';
import { parsePublicKey, type PublicKeyParse } from './public-key.js';

function accepted(result: PublicKeyParse): Extract<PublicKeyParse, { ok: true }> {
  assert.equal(result.ok, true, result.ok ? '' : result.reason);
  return result as Extract<PublicKeyParse, { ok: true }>;
}

function reason(result: PublicKeyParse): string {
  assert.equal(result.ok, false, 'expected a refusal');
  return (result as { reason: string }).reason;
}

describe('parsePublicKey', () => {
  let ws: OpensslWorkspace;
  let ed: PemPair;
  let rsa: PemPair;
  before(() => {
    ws = new OpensslWorkspace();
    ed = ws.ed25519('ed');
    rsa = ws.rsa('rsa', 2048);
  });
  after(() => ws?.dispose());

  /** The fingerprint as openssl computes it: SHA-256 of the DER SPKI, base64 without padding. */
  const opensslFingerprint = (file: string): string =>
    `SHA256:${ws.sh(`openssl pkey -pubin -in ${file} -outform DER | openssl dgst -sha256 -binary | openssl base64 -A | tr -d '='`)}`;

  describe('accepts', () => {
    it('an Ed25519 SPKI PEM from openssl', () => {
      const result = accepted(parsePublicKey(ed.publicPem));
      assert.equal(result.algorithm, 'ed25519');
      assert.ok(result.key instanceof KeyObject);
      assert.equal(result.key.type, 'public');
      assert.equal(result.key.asymmetricKeyType, 'ed25519');
      assert.equal(result.pem, ed.publicPem, 'openssl already writes the normalised form');
    });

    it('an RSA 2048 SPKI PEM from openssl, to be used with RSA-PSS', () => {
      const result = accepted(parsePublicKey(rsa.publicPem));
      assert.equal(result.algorithm, 'rsa-pss-sha256');
      assert.equal(result.key.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(result.pem, rsa.publicPem);
    });

    it('an RSA key above 2048 bits', () => {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
      assert.equal(accepted(parsePublicKey(publicKey.export({ type: 'spki', format: 'pem' }) as string)).algorithm, 'rsa-pss-sha256');
    });

    it('CRLF line endings, surrounding whitespace and an unwrapped body, normalising the PEM', () => {
      const variants = [
        ed.publicPem.replace(/\n/g, '\r\n'),
        `\n\n  ${ed.publicPem}  \n\n`,
        ed.publicPem.trim(),
        rsa.publicPem.replace(/\n(?!-----)/g, ''), // the RSA body on one line
      ];
      for (const pem of variants) {
        const result = accepted(parsePublicKey(pem));
        assert.ok(result.pem === ed.publicPem || result.pem === rsa.publicPem, pem);
      }
    });
  });

  describe('fingerprint', () => {
    it("is 'SHA256:' + unpadded base64 of SHA-256 over the DER SPKI, as ssh-keygen -l writes it", () => {
      for (const pair of [ed, rsa]) {
        const { fingerprint } = accepted(parsePublicKey(pair.publicPem));
        assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
        assert.equal(fingerprint, opensslFingerprint(pair.file.replace('.pem', '.pub.pem')));
      }
    });

    it('is the same however the PEM is formatted, and differs between keys', () => {
      const a = accepted(parsePublicKey(ed.publicPem)).fingerprint;
      assert.equal(accepted(parsePublicKey(ed.publicPem.replace(/\n/g, '\r\n'))).fingerprint, a);
      assert.notEqual(accepted(parsePublicKey(ws.ed25519('ed2').publicPem)).fingerprint, a);
      assert.notEqual(accepted(parsePublicKey(rsa.publicPem)).fingerprint, a);
    });
  });

  describe('refuses, with a reason, and never throws', () => {
    it('a private key, warning never to send one, in every PEM form openssl writes', () => {
      ws.sh('openssl rsa -in rsa.pem -traditional -out rsa-traditional.pem\nopenssl pkey -in ed.pem -aes256 -passout pass:x -out ed-encrypted.pem');
      const privateKeys = [ed.privatePem, rsa.privatePem, ws.read('rsa-traditional.pem'), ws.read('ed-encrypted.pem'), `${ed.publicPem}${ed.privatePem}`];
      for (const pem of privateKeys) {
        const text = reason(parsePublicKey(pem));
        assert.match(text, /PRIVATE key/);
        assert.match(text, /Never send your private key/);
        assert.match(text, /compromised/);
        assert.match(text, /-pubout/);
        const body = pem.split('\n')[1]!;
        assert.ok(!text.includes(body), 'the reason does not echo the key');
      }
    });

    it('an RSA key of 1024 bits', () => {
      const small = ws.rsa('rsa1024', 1024);
      assert.match(reason(parsePublicKey(small.publicPem)), /1024 bits; at least 2048 bits are required/);
    });

    it('an EC P-256 key', () => {
      const ec = ws.other('ec', '-algorithm EC -pkeyopt ec_paramgen_curve:P-256');
      assert.match(reason(parsePublicKey(ec.publicPem)), /EC \(ECDSA\) keys are not accepted; use Ed25519 or RSA/);
    });

    it('other key types: X25519, Ed448, and RSA keys encoded as RSASSA-PSS-only', () => {
      assert.match(reason(parsePublicKey(ws.other('x', '-algorithm X25519').publicPem)), /key agreement/);
      assert.match(reason(parsePublicKey(ws.other('ed448', '-algorithm ed448').publicPem)), /ed448 are not accepted/);
      assert.match(reason(parsePublicKey(ws.other('pss', '-algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048').publicPem)), /plain RSA key/);
    });

    it('a certificate, a PKCS#1 RSA public key and an OpenSSH public key, saying how to convert them', () => {
      ws.sh('openssl req -x509 -key ed.pem -subj /CN=test -days 1 -out cert.pem\nopenssl rsa -in rsa.pem -RSAPublicKey_out -out rsa-pkcs1.pem');
      assert.match(reason(parsePublicKey(ws.read('cert.pem'))), /openssl x509 -in certificate\.pem -pubkey -noout/);
      const pkcs1 = reason(parsePublicKey(ws.read('rsa-pkcs1.pem')));
      assert.match(pkcs1, /openssl rsa -RSAPublicKey_in -in public\.pem -pubout/);
      // The conversion the reason gives really produces an acceptable key.
      assert.equal(accepted(parsePublicKey(ws.sh('openssl rsa -RSAPublicKey_in -in rsa-pkcs1.pem -pubout'))).pem, rsa.publicPem);
      assert.match(reason(parsePublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8 user@host')), /OpenSSH public key/);
    });

    it('junk, empty input and values that are not strings', () => {
      const body = ed.publicPem.split('\n')[1]!;
      const junk: unknown[] = [
        '', '   ', 'hello', body, '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n',
        '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
        '-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n',
        ed.publicPem.replace(body, body.slice(0, 20)), // truncated
        ed.publicPem.replace('-----END PUBLIC KEY-----', '-----END CERTIFICATE-----'),
        ed.publicPem.replace(/PUBLIC KEY/g, 'SOMETHING ELSE'),
        `${ed.publicPem}${rsa.publicPem}`,
        `my key:\n${ed.publicPem}`,
        'x'.repeat(1_000_000),
        undefined, null, 42, {}, [], Buffer.from(ed.publicPem), createPublicKey(ed.publicPem),
      ];
      for (const input of junk) {
        let result: PublicKeyParse | undefined;
        assert.doesNotThrow(() => {
          result = parsePublicKey(input as string);
        });
        assert.equal(typeof reason(result!), 'string');
        assert.ok(reason(result!).length > 20);
      }
    });

    it('a DER SPKI followed by extra bytes', () => {
      const der = createPublicKey(ed.publicPem).export({ type: 'spki', format: 'der' });
      const padded = Buffer.concat([der, Buffer.from([0, 0, 0])]).toString('base64');
      const pem = `-----BEGIN PUBLIC KEY-----\n${padded}\n-----END PUBLIC KEY-----\n`;
      assert.doesNotThrow(() => createPublicKey({ key: Buffer.from(padded, 'base64'), format: 'der', type: 'spki' }), 'node alone would accept it');
      assert.match(reason(parsePublicKey(pem)), /extra data/);
    });

    it('a private key handed over as a KeyObject is not a PEM', () => {
      assert.equal(parsePublicKey(createPrivateKey(ed.privatePem) as unknown as string).ok, false);
    });
  });
});
