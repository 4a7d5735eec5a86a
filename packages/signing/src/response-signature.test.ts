import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  contentDigest,
  publicJwk,
  RESPONSE_VERIFY_FAILURE_CODES,
  signatureBase,
  signatureParamsValue,
  signResponse,
  verifyResponse,
  type VerifyResponseInput,
} from './response-signature.js';

// RFC 9421 Appendix B.1.4, test-key-ed25519: published in the RFC for checking implementations.
const RFC_ED25519_PRIVATE = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';
const RFC_ED25519_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n';
// RFC 9421 Appendix B.1.3, test-key-ecc-p256 (public half).
const RFC_P256_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf\nw0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==\n-----END PUBLIC KEY-----\n';

describe('contentDigest (RFC 9530)', () => {
  it('gives the RFC 9530 example: {"hello": "world"} is sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:', () => {
    assert.equal(contentDigest('{"hello": "world"}'), 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  });

  it('hashes a string as its UTF-8 bytes, so text and bytes agree', () => {
    const body = '{"name":"Zürich — नमस्ते"}';
    assert.equal(contentDigest(body), contentDigest(Buffer.from(body, 'utf8')));
    assert.equal(contentDigest(''), 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });
});

describe('the signature base matches RFC 9421', () => {
  it('reproduces Appendix B.2.6 (Ed25519, test-key-ed25519) byte for byte, signature included', () => {
    const components = [
      { name: 'date', value: 'Tue, 20 Apr 2021 02:07:55 GMT' },
      { name: '@method', value: 'POST' },
      { name: '@path', value: '/foo' },
      { name: '@authority', value: 'example.com' },
      { name: 'content-type', value: 'application/json' },
      { name: 'content-length', value: '18' },
    ];
    const params = signatureParamsValue(components, [
      ['created', 1618884473],
      ['keyid', 'test-key-ed25519'],
    ]);
    assert.equal(`sig-b26=${params}`, 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"');
    const base = signatureBase(components, params);
    assert.equal(
      base,
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join('\n'),
    );
    const signature = sign(null, Buffer.from(base), createPrivateKey(RFC_ED25519_PRIVATE)).toString('base64');
    assert.equal(signature, 'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==');
    assert.equal(createPublicKey(RFC_ED25519_PRIVATE).export({ type: 'spki', format: 'pem' }), RFC_ED25519_PUBLIC);
  });

  it('builds the base of the RFC\'s signed response (B.2.4, "@status" and "content-digest") that its published signature verifies', () => {
    // ECDSA signatures are randomised, so the spec's value is checked by verifying it, not by reproducing it.
    const body = '{"message": "good dog"}';
    const components = [
      { name: '@status', value: '200' },
      { name: 'content-type', value: 'application/json' },
      { name: 'content-digest', value: 'sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:' },
      { name: 'content-length', value: String(Buffer.byteLength(body)) },
    ];
    const base = signatureBase(components, signatureParamsValue(components, [['created', 1618884473], ['keyid', 'test-key-ecc-p256']]));
    const signature = Buffer.from('wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==', 'base64');
    assert.equal(verify('sha256', Buffer.from(base), { key: createPublicKey(RFC_P256_PUBLIC), dsaEncoding: 'ieee-p1363' }, signature), true);
  });

  it('refuses a component value that would break the base into another line', () => {
    assert.throws(() => signatureBase([{ name: 'x', value: 'a\n"@status": 200' }], '()'), TypeError);
  });
});

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const KID = 'gsk_0123456789abcdef01234567';
const NOW = 1795462062;
const REQUEST_SIGNATURE = 'a'.repeat(64);
const BODY = '{"code":"200","status":"success","message":"Order status","return_data":{"order_id":"demo-1","order_status":"PAID"}}';
const JWKS = { keys: [publicJwk(privateKey, KID)] };

function signed(options: { status?: number; body?: string; requestSignature?: string | undefined; created?: number; key?: KeyObject; kid?: string } = {}) {
  const body = options.body ?? BODY;
  const digest = contentDigest(body);
  const headers = signResponse({
    status: options.status ?? 200,
    contentDigest: digest,
    requestSignature: 'requestSignature' in options ? options.requestSignature : REQUEST_SIGNATURE,
    keyId: options.kid ?? KID,
    privateKey: options.key ?? privateKey,
    created: options.created ?? NOW,
  });
  return { body, headers: { 'content-digest': digest, ...headers } as Record<string, string> };
}

function check(overrides: Partial<VerifyResponseInput> & { headers?: VerifyResponseInput['headers'] } = {}) {
  const reply = signed();
  return verifyResponse({ status: 200, headers: reply.headers, body: reply.body, requestSignature: REQUEST_SIGNATURE, jwks: JWKS, nowSeconds: NOW, ...overrides });
}

describe('signResponse', () => {
  it('signs "@status", "content-digest" and the request\'s X-SIGNATURE under the label tijori, with created, keyid and alg', () => {
    const { headers } = signed();
    assert.equal(headers['signature-input'], `tijori=("@status" "content-digest" "x-signature";req);created=${NOW};keyid="${KID}";alg="ed25519"`);
    assert.match(headers.signature!, /^tijori=:[A-Za-z0-9+/]{86}==:$/);
  });

  it('covers no request signature when the request had none (a refusal of an unsigned request)', () => {
    const { headers } = signed({ requestSignature: undefined });
    assert.equal(headers['signature-input'], `tijori=("@status" "content-digest");created=${NOW};keyid="${KID}";alg="ed25519"`);
    assert.equal(signed({ requestSignature: '' }).headers['signature-input'], headers['signature-input']);
  });

  it('is a plain Ed25519 signature over the RFC 9421 base, checkable with node:crypto alone', () => {
    const { headers } = signed();
    const base = [
      '"@status": 200',
      `"content-digest": ${contentDigest(BODY)}`,
      `"x-signature";req: ${REQUEST_SIGNATURE}`,
      `"@signature-params": ${headers['signature-input']!.slice('tijori='.length)}`,
    ].join('\n');
    assert.equal(verify(null, Buffer.from(base), publicKey, Buffer.from(headers.signature!.slice(8, -1), 'base64')), true);
  });

  it('signs exactly the base that signatureBase and signatureParamsValue build, bound or not', () => {
    for (const requestSignature of [REQUEST_SIGNATURE, undefined]) {
      const { headers } = signed({ requestSignature, status: 404 });
      const components = [
        { name: '@status', value: '404' },
        { name: 'content-digest', value: contentDigest(BODY) },
        ...(requestSignature ? [{ name: 'x-signature', req: true, value: requestSignature }] : []),
      ];
      const params = signatureParamsValue(components, [['created', NOW], ['keyid', KID], ['alg', 'ed25519']]);
      assert.equal(headers['signature-input'], `tijori=${params}`);
      const base = Buffer.from(signatureBase(components, params));
      assert.equal(verify(null, base, publicKey, Buffer.from(headers.signature!.slice(8, -1), 'base64')), true);
    }
  });

  it('refuses, as programmer errors, a key that is not an Ed25519 private key and a status that is not one', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const base = { contentDigest: contentDigest(''), requestSignature: undefined, keyId: KID, created: NOW };
    assert.throws(() => signResponse({ ...base, status: 200, privateKey: rsa }), /Ed25519 private KeyObject/);
    assert.throws(() => signResponse({ ...base, status: 200, privateKey: publicKey }), /Ed25519 private KeyObject/);
    assert.throws(() => signResponse({ ...base, status: 99, privateKey }), /status/);
    assert.throws(() => signResponse({ ...base, status: 200, privateKey, created: NOW + 0.5 }), /created/);
    assert.throws(() => signResponse({ ...base, status: 200, privateKey, requestSignature: 'a\nb' }), TypeError);
    assert.throws(() => signResponse({ ...base, status: 200, privateKey, contentDigest: 'sha-256=:x:' }), /contentDigest/);
  });
});

describe('publicJwk', () => {
  it('lists the public key as an RFC 8037 OKP key with kid, use and alg, and nothing private', () => {
    const jwk = publicJwk(privateKey, KID);
    assert.deepEqual(Object.keys(jwk), ['kty', 'crv', 'x', 'kid', 'use', 'alg']);
    assert.equal(jwk.x, (publicKey.export({ format: 'jwk' }) as { x: string }).x);
    assert.equal(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }), publicKey.export({ type: 'spki', format: 'pem' }));
  });
});

describe('verifyResponse', () => {
  it('accepts a signed reply, naming the key and the signing time', () => {
    assert.deepEqual(check(), { ok: true, keyId: KID, created: NOW });
  });

  it('takes the key from a JWK Set (object or JSON text), a public KeyObject, a PEM, or a lookup by key id', () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    for (const keys of [{ jwks: JSON.stringify(JWKS) }, { jwks: undefined, publicKey }, { jwks: undefined, publicKey: pem }, { jwks: undefined, publicKey: (kid: string) => (kid === KID ? pem : undefined) }]) {
      assert.equal(check(keys).ok, true);
    }
  });

  it('reads Fetch Headers and header names in any case, and ignores other signatures beside ours', () => {
    const reply = signed();
    const fetchHeaders = new Headers(reply.headers);
    assert.equal(check({ headers: fetchHeaders }).ok, true);
    const shouting = { 'Content-Digest': reply.headers['content-digest']!, 'SIGNATURE-INPUT': `proxy=("@status");created=1, ${reply.headers['signature-input']}`, Signature: [reply.headers.signature!, 'proxy=:AAAA:'] };
    assert.equal(check({ headers: shouting }).ok, true);
  });

  it('accepts the body as bytes', () => {
    assert.equal(check({ body: Buffer.from(BODY) }).ok, true);
    assert.equal(check({ body: new Uint8Array(Buffer.from(BODY)) }).ok, true);
  });

  it('refuses a changed body (content_digest_mismatch), telling the caller to pass the raw body', () => {
    const result = check({ body: BODY.replace('PAID', 'FAIL') });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, 'content_digest_mismatch');
    assert.match(!result.ok ? result.message : '', /exactly as received/);
    assert.equal(check({ body: JSON.stringify(JSON.parse(BODY), null, 2) }).ok, false);
  });

  it('refuses a changed body whose Content-Digest was recomputed to match (signature_mismatch)', () => {
    const reply = signed();
    const forged = BODY.replace('PAID', 'FAIL');
    const result = check({ body: forged, headers: { ...reply.headers, 'content-digest': contentDigest(forged) } });
    assert.deepEqual(result.ok ? undefined : result.code, 'signature_mismatch');
  });

  it('refuses a changed status', () => {
    const result = check({ status: 201 });
    assert.equal(!result.ok && result.code, 'signature_mismatch');
  });

  it('refuses the reply to another request: a different X-SIGNATURE fails', () => {
    const result = check({ requestSignature: 'b'.repeat(64) });
    assert.equal(!result.ok && result.code, 'signature_mismatch');
    assert.match(!result.ok ? result.message : '', /requestSignature is not the X-SIGNATURE/);
  });

  it('refuses a reply that does not cover the request signature the caller gave', () => {
    const reply = signed({ requestSignature: undefined });
    const result = check({ headers: reply.headers });
    assert.equal(!result.ok && result.code, 'components_not_covered');
    // Without a request signature to bind to, the same reply verifies.
    assert.equal(check({ headers: reply.headers, requestSignature: undefined }).ok, true);
  });

  it('asks for the request signature when the reply is bound to one', () => {
    const result = check({ requestSignature: undefined });
    assert.equal(!result.ok && result.code, 'components_not_covered');
    assert.match(!result.ok ? result.message : '', /pass requestSignature/);
  });

  it('refuses a validly signed reply that leaves the status or the body uncovered', () => {
    const components = [{ name: '@status', value: '200' }];
    const params = signatureParamsValue(components, [['created', NOW], ['keyid', KID], ['alg', 'ed25519']]);
    const signature = sign(null, Buffer.from(signatureBase(components, params)), privateKey).toString('base64');
    const headers = { 'content-digest': contentDigest(BODY), 'signature-input': `tijori=${params}`, signature: `tijori=:${signature}:` };
    const result = check({ headers, requestSignature: undefined });
    assert.equal(!result.ok && result.code, 'components_not_covered');
  });

  it('refuses a signature covering a component it cannot check', () => {
    const reply = signed();
    const headers = { ...reply.headers, 'signature-input': reply.headers['signature-input']!.replace('"content-digest"', '"content-digest" "date"') };
    const result = check({ headers });
    assert.equal(!result.ok && result.code, 'malformed_headers');
    assert.match(!result.ok ? result.message : '', /"date"/);
  });

  it('refuses a reply signed too long ago, or ahead of the clock, unless told to accept archived replies', () => {
    const old = check({ nowSeconds: NOW + 301 });
    assert.equal(!old.ok && old.code, 'signature_expired');
    const ahead = check({ nowSeconds: NOW - 301 });
    assert.equal(!ahead.ok && ahead.code, 'signature_expired');
    assert.match(!ahead.ok ? ahead.message : '', /clock/);
    assert.equal(check({ nowSeconds: NOW + 300 }).ok, true);
    assert.equal(check({ nowSeconds: NOW + 86400 * 365, maxAgeSeconds: Infinity }).ok, true);
    assert.equal(check({ nowSeconds: NOW + 30, maxAgeSeconds: 10 }).ok, false);
  });

  it('refuses a key id missing from the JWK Set, saying to fetch it again', () => {
    const result = check({ jwks: { keys: [publicJwk(other.privateKey, 'gsk_other')] } });
    assert.equal(!result.ok && result.code, 'unknown_key');
    assert.match(!result.ok ? result.message : '', /Fetch \/\.well-known\/jwks\.json again/);
  });

  it('refuses a signature by another key under our key id', () => {
    const reply = signed({ key: other.privateKey });
    const result = check({ headers: reply.headers });
    assert.equal(!result.ok && result.code, 'signature_mismatch');
  });

  it('refuses a JWK that is not an Ed25519 signing key', () => {
    for (const bad of [{ ...JWKS.keys[0], alg: 'RS256' }, { ...JWKS.keys[0], use: 'enc' }, { ...JWKS.keys[0], crv: 'X25519' }]) {
      const result = check({ jwks: { keys: [bad] } });
      assert.equal(!result.ok && result.code, 'invalid_key');
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const result = check({ jwks: undefined, publicKey: rsa });
    assert.equal(!result.ok && result.code, 'invalid_key');
  });

  it('refuses another algorithm', () => {
    const reply = signed();
    const result = check({ headers: { ...reply.headers, 'signature-input': reply.headers['signature-input']!.replace('"ed25519"', '"rsa-pss-sha512"') } });
    assert.equal(!result.ok && result.code, 'unsupported_algorithm');
  });

  it('names the missing headers, and says what may have removed them', () => {
    const reply = signed();
    const result = check({ headers: { 'content-digest': reply.headers['content-digest']! } });
    assert.equal(!result.ok && result.code, 'missing_headers');
    assert.match(!result.ok ? result.message : '', /Signature-Input, Signature header.*proxy/);
  });

  it('refuses malformed signature headers', () => {
    const reply = signed();
    for (const headers of [
      { ...reply.headers, 'signature-input': 'tijori=("@status" "content-digest"' },
      { ...reply.headers, 'signature-input': reply.headers['signature-input']!.replace('tijori=', 'other=') },
      { ...reply.headers, signature: 'tijori=:AAAA:' },
      { ...reply.headers, signature: 'tijori="not bytes"' },
      { ...reply.headers, 'signature-input': reply.headers['signature-input']!.replace(/;created=\d+/, '') },
      { ...reply.headers, 'signature-input': reply.headers['signature-input']!.replace(/;keyid="[^"]+"/, '') },
    ]) {
      const result = check({ headers });
      assert.equal(!result.ok && result.code, 'malformed_headers', JSON.stringify(headers));
    }
    const noSha256 = check({ headers: { ...reply.headers, 'content-digest': 'sha-512=:AA==:' } });
    assert.equal(!noSha256.ok && noSha256.code, 'content_digest_mismatch');
  });

  it('never throws, whatever it is given, and fails closed', () => {
    const garbage: unknown[] = [undefined, null, 42, 'x', {}, { status: 200 }, { status: 200, body: BODY, headers: 'x', jwks: JWKS }, { status: 200, body: BODY, headers: {}, jwks: 'not json' }, { status: '200', body: BODY, headers: {}, jwks: JWKS }, { status: 200, body: {}, headers: {}, jwks: JWKS }, { status: 200, body: BODY, headers: signed().headers, publicKey: 'not a pem' }, { status: 200, body: BODY, headers: signed().headers }];
    for (const input of garbage) {
      const result = verifyResponse(input as VerifyResponseInput);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && RESPONSE_VERIFY_FAILURE_CODES.includes(result.code), JSON.stringify(result));
    }
  });
});

describe('README.md, Signed responses section', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Signed responses'), readme.indexOf('## Test vectors'));
  const vector = (JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
    responses: Array<{ content_digest: string; 'signature-input': string; signature: string; signature_base: string }>;
  }).responses[0]!;

  it('documents every failure code in its table, in the order the checks run, and no other', () => {
    const documented = [...section.matchAll(/^\| \d+ \| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented, [...RESPONSE_VERIFY_FAILURE_CODES]);
  });

  it('shows headers and a signature base that are the first responses vector, exactly', () => {
    assert.ok(section.includes(`Content-Digest:  ${vector.content_digest}\n`));
    assert.ok(section.includes(`Signature-Input: ${vector['signature-input']}\n`));
    assert.ok(section.includes(`Signature:       ${vector.signature}\n`));
    assert.ok(section.includes(`\`\`\`\n${vector.signature_base}\n\`\`\``));
  });
});
