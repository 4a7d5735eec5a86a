import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describeSignedStrings, type SignedStringDescription } from './describe-signed-strings.js';
import type { VerifyRequestInput } from './verify-request.js';

const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  v1: Array<{ name: string; secret: string; timestamp: string; body: string; signature: string; form?: string; signed_body?: string }>;
  v2: Array<{ name: string; secret: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
};

const TS = '1778659835';
const PATH = '/api/v3/pg/order/create';
const PRETTY = '{\n  "order_amount": 105,\n  "return_url": "https://x.example/r"\n}';
const CANONICAL = '{"order_amount":105,"return_url":"https://x.example/r"}';
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const placeholder = (text: string): string => `<body sha256=${sha256(text)} length=${Buffer.byteLength(text, 'utf8')}>`;

type DescribeInput = Parameters<typeof describeSignedStrings>[0];
function input(overrides: Partial<DescribeInput> = {}): DescribeInput {
  return { timestamp: TS, rawBody: PRETTY, parsedBody: JSON.parse(PRETTY), method: 'POST', path: PATH, ...overrides };
}

/** Puts the body back in place of the placeholder: the result must be exactly what was signed. */
function withBody(description: SignedStringDescription, body: string): string {
  return description.signed.replace(/<body sha256=[0-9a-f]{64} length=\d+>/, body);
}

describe('describeSignedStrings', () => {
  it('describes v1 raw, v1 canonical and v2, in that order, with the body as a placeholder', () => {
    assert.deepEqual(describeSignedStrings(input()), [
      { scheme: 'v1', form: 'raw', signed: `${placeholder(PRETTY)}${TS}`, body_sha256: sha256(PRETTY), body_length: Buffer.byteLength(PRETTY) },
      { scheme: 'v1', form: 'canonical', signed: `${placeholder(CANONICAL)}${TS}`, body_sha256: sha256(CANONICAL), body_length: CANONICAL.length },
      { scheme: 'v2', form: 'raw', signed: `POST${PATH}${placeholder(PRETTY)}${TS}`, body_sha256: sha256(PRETTY), body_length: Buffer.byteLength(PRETTY) },
    ]);
  });

  it('writes the placeholder as <body sha256=HEX length=N>', () => {
    const [v1] = describeSignedStrings(input({ rawBody: CANONICAL }));
    assert.match(v1!.signed, /^<body sha256=[0-9a-f]{64} length=55>1778659835$/);
  });

  it('gives the body length in bytes, not characters', () => {
    const body = '{"note":"₹😀"}';
    const [v1] = describeSignedStrings(input({ rawBody: body, parsedBody: undefined }));
    assert.equal(v1!.body_length, Buffer.byteLength(body, 'utf8'));
    assert.notEqual(v1!.body_length, body.length);
    assert.equal(describeSignedStrings(input({ rawBody: Buffer.from(body), parsedBody: undefined }))[0]!.body_sha256, sha256(body));
  });

  it('describes exactly the strings the test-vector signatures cover', () => {
    for (const v of vectors.v1) {
      const descriptions = describeSignedStrings(input({ timestamp: v.timestamp, rawBody: v.body, parsedBody: v.body ? JSON.parse(v.body) : undefined, allowedSchemes: ['v1'] }));
      const form = v.form ?? 'raw';
      const d = descriptions.find((x) => x.form === form)!;
      const signed = withBody(d, form === 'canonical' ? v.signed_body! : v.body);
      assert.equal(createHmac('sha256', v.secret).update(signed).digest('hex'), v.signature, v.name);
    }
    for (const v of vectors.v2) {
      const [d] = describeSignedStrings(input({ timestamp: v.timestamp, rawBody: v.body, method: v.method, path: v.path, version: '2', allowedSchemes: ['v2'] }));
      assert.equal(createHmac('sha256', v.secret).update(withBody(d!, v.body)).digest('hex'), v.signature, v.name);
    }
  });

  it('upper-cases the v2 method and keeps the query string', () => {
    const path = '/api/v3/pg/order/status?order_id=1';
    const [v2] = describeSignedStrings(input({ method: 'get', path, rawBody: '', parsedBody: undefined, allowedSchemes: ['v2'] }));
    assert.equal(v2!.signed, `GET${path}${placeholder('')}${TS}`);
  });

  it('leaves out the canonical form when parsedBody is undefined or has no JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const parsedBody of [undefined, cyclic, { n: 1n }]) {
      const forms = describeSignedStrings(input({ parsedBody })).map((d) => `${d.scheme}/${d.form}`);
      assert.deepEqual(forms, ['v1/raw', 'v2/raw']);
    }
  });

  it('lists only the allowed schemes, whatever the version header says', () => {
    assert.deepEqual(describeSignedStrings(input({ allowedSchemes: ['v2'] })).map((d) => d.scheme), ['v2']);
    assert.deepEqual(describeSignedStrings(input({ allowedSchemes: ['v1'], version: '2' })).map((d) => d.scheme), ['v1', 'v1']);
    assert.deepEqual(describeSignedStrings(input({ allowedSchemes: [] })), []);
  });

  it('never includes a secret, even when handed a whole VerifyRequestInput', () => {
    const secret = 'sk_test_describe_must_not_leak';
    const full: VerifyRequestInput = { ...input(), secrets: [secret], signature: 'ab'.repeat(32), nowSeconds: Number(TS) };
    const text = JSON.stringify(describeSignedStrings(full));
    assert.ok(!text.includes(secret));
    assert.ok(!text.includes(PRETTY), 'nor the body itself');
  });

  it('never throws, describing inputs of the wrong type as empty', () => {
    const hostile = new Proxy({}, { get() { throw new Error('trap'); } });
    for (const bad of [undefined, null, 1, 'x', hostile]) {
      assert.doesNotThrow(() => describeSignedStrings(bad as unknown as DescribeInput));
    }
    const garbage = [undefined, null, 1, 10n, Symbol('s'), {}, [], hostile];
    for (const value of garbage) {
      for (const key of ['timestamp', 'rawBody', 'parsedBody', 'method', 'path', 'allowedSchemes', 'version'] as const) {
        assert.doesNotThrow(() => describeSignedStrings(input({ [key]: value } as Partial<DescribeInput>)));
      }
    }
    const [v1] = describeSignedStrings(input({ timestamp: undefined, rawBody: 42 as unknown as string, parsedBody: undefined }));
    assert.equal(v1!.signed, placeholder(''));
  });
});

describe('describeSignedStrings with public keys', () => {
  const { publicKey } = generateKeyPairSync('ed25519');

  it('lists only the v2 string, the one thing a public key signs', () => {
    assert.deepEqual(describeSignedStrings(input({ publicKeys: [publicKey] })), [
      { scheme: 'v2', form: 'raw', signed: `POST${PATH}${placeholder(PRETTY)}${TS}`, body_sha256: sha256(PRETTY), body_length: Buffer.byteLength(PRETTY) },
    ]);
  });

  it('lists nothing when the allowed schemes exclude v2', () => {
    assert.deepEqual(describeSignedStrings(input({ publicKeys: [publicKey], allowedSchemes: ['v1'] })), []);
  });

  it('lists every allowed scheme, as before, when publicKeys is empty or absent', () => {
    for (const publicKeys of [[], undefined]) {
      assert.deepEqual(describeSignedStrings(input({ publicKeys })).map((d) => `${d.scheme}/${d.form}`), ['v1/raw', 'v1/canonical', 'v2/raw']);
    }
  });
});
