/** The README is part of the specification: its examples must be true and its code table complete. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OpensslWorkspace } from './openssl.fixture.js';
import { parsePublicKey } from './public-key.js';
import { VERIFY_FAILURE_CODES, verifyRequest } from './verify-request.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  v1: Array<{ secret: string; timestamp: string; body: string; signature: string; form?: string; signed_body?: string }>;
  v2: Array<{ secret: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
  responses: Array<{ request_signature: string | null }>;
};

const signed = [
  ...vectors.v1.map((v) => ({ secret: v.secret, message: (v.form === 'canonical' ? v.signed_body! : v.body) + v.timestamp, signature: v.signature })),
  ...vectors.v2.map((v) => ({ secret: v.secret, message: v.method + v.path + v.body + v.timestamp, signature: v.signature })),
];
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('README.md', () => {
  it('documents every failure code in its table, and no code that does not exist', () => {
    const documented = [...readme.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...VERIFY_FAILURE_CODES].sort());
  });

  it('takes every signature and body hash it shows from test-vectors.json', () => {
    const known = new Set([...signed.map((s) => s.signature), ...vectors.responses.flatMap((v) => (v.request_signature ? [v.request_signature] : [])), ...[...vectors.v1, ...vectors.v2].map((v) => sha256(v.body)), ...vectors.v1.filter((v) => v.signed_body).map((v) => sha256(v.signed_body!))]);
    const shown = [...readme.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]);
    assert.ok(shown.length >= 5);
    for (const hex of shown) assert.ok(known.has(hex), `${hex} is not from test-vectors.json`);
  });

  it('shows, for each single-line worked example, the exact message and the secret that produce its signature', () => {
    let checked = 0;
    for (const s of signed) {
      if (!readme.includes(s.signature) || s.message.includes('\n')) continue;
      assert.ok(readme.includes(s.message), `README shows ${s.signature} without its message`);
      assert.ok(readme.includes(s.secret));
      checked++;
    }
    assert.ok(checked >= 3);
  });

  it('states the default tolerance', () => {
    assert.ok(readme.includes(`= ${DEFAULT_TOLERANCE_SECONDS} seconds`));
  });
});

describe('README.md, public-key signatures', () => {
  const section = readme.slice(readme.indexOf('## Public-key signatures'), readme.indexOf('## Timestamps'));
  /** The shell blocks marked `<!-- tested: NAME -->`: the exact commands the README gives merchants. */
  const tested = new Map([...section.matchAll(/<!-- tested: ([a-z0-9-]+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));
  const ed25519 = (JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
    v2_ed25519: Array<{ name: string; public_key_pem: string; fingerprint: string; method: string; path: string; body: string; timestamp: string; signature: string }>;
  }).v2_ed25519;

  it('has the section, with its tested command blocks', () => {
    assert.ok(section.length > 1000);
    assert.deepEqual([...tested.keys()].sort(), ['fingerprint', 'generate', 'message', 'sign-ed25519', 'sign-rsa']);
  });

  it('names only failure codes that exist, and the ones a public key changes', () => {
    const named = new Set([...section.matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)].map((m) => m[1]!).filter((c) => /^(missing|malformed|timestamp|unsupported|scheme|signature)_/.test(c)));
    for (const code of named) assert.ok(VERIFY_FAILURE_CODES.includes(code as never), code);
    for (const code of ['scheme_not_allowed', 'malformed_signature', 'signature_mismatch']) assert.ok(named.has(code), code);
  });

  it('shows an Ed25519 worked example taken from test-vectors.json', () => {
    const v = ed25519.find((x) => section.includes(x.signature));
    assert.ok(v, 'a v2_ed25519 signature appears in the section');
    assert.ok(section.includes(v.public_key_pem));
    assert.ok(section.includes(`message:     ${v.method}${v.path}${v.body}${v.timestamp}\n`));
    assert.ok(section.includes(v.fingerprint));
  });

  describe('its openssl commands, run exactly as written', () => {
    let ws: OpensslWorkspace;
    before(() => {
      ws = new OpensslWorkspace();
      ws.sh(tested.get('generate')!);
    });
    after(() => ws?.dispose());

    /** Runs the message block and a signing block, then verifies what they produced with this library. */
    function signAndVerify(signBlock: string, publicPemFile: string, rewrite: (script: string) => string = (x) => x) {
      const out = ws.sh(rewrite(`${tested.get('message')!}${tested.get(signBlock)!}printf '%s\\n' "$TS" "$METHOD" "$REQ_PATH" "$BODY" "$SIG"\n`));
      const [ts, method, path, body, signature] = out.split('\n') as [string, string, string, string, string];
      const parsed = parsePublicKey(ws.read(publicPemFile));
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      const result = verifyRequest({
        secrets: [],
        publicKeys: [parsed.key],
        signature,
        timestamp: ts,
        version: '2',
        rawBody: body,
        method,
        path,
        nowSeconds: Number(ts),
      });
      assert.equal(result.ok, true, JSON.stringify(result));
      return signature;
    }

    it('generates keys that parsePublicKey accepts', () => {
      const ed = parsePublicKey(ws.read('public.pem'));
      const rsa = parsePublicKey(ws.read('rsa-public.pem'));
      assert.equal(ed.ok && ed.algorithm, 'ed25519');
      assert.equal(rsa.ok && rsa.algorithm, 'rsa-pss-sha256');
    });

    it('computes the fingerprint parsePublicKey gives', () => {
      const parsed = parsePublicKey(ws.read('public.pem'));
      assert.equal(ws.sh(tested.get('fingerprint')!), parsed.ok && parsed.fingerprint);
    });

    it('signs with Ed25519 so that verifyRequest accepts it', () => {
      assert.match(signAndVerify('sign-ed25519', 'public.pem'), /^[A-Za-z0-9+/]{86}==$/);
    });

    it('signs with RSA-PSS so that verifyRequest accepts it', () => {
      assert.match(signAndVerify('sign-rsa', 'rsa-public.pem'), /^[A-Za-z0-9+/]{342}==$/);
    });

    it('works with `openssl base64 -A` in place of `base64 -w0`, as suggested for macOS', () => {
      const macos = (script: string) => script.replaceAll('base64 -w0', 'openssl base64 -A');
      signAndVerify('sign-ed25519', 'public.pem', macos);
      signAndVerify('sign-rsa', 'rsa-public.pem', macos);
    });
  });
});
