/** `@tijori/signing/messages` is what the SDK builds on where only WebCrypto exists: it must stay free of Node, and agree with the vectors. */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as messages from './messages.js';

const vectors = JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as {
  v1: Array<{ name: string; secret: string; timestamp: string; body: string; signature: string; form?: string; signed_body?: string }>;
  v2: Array<{ name: string; secret: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
  webhooks: Array<{ name: string; secrets: string[]; event_id: string; timestamp: string; body: string; headers: Record<string, string> }>;
  responses: Array<{ name: string; status: number; body: string; request_signature: string | null; created: number; public_jwk: { x: string; kid: string }; signature_base: string; 'signature-input': string; signature: string; content_digest: string }>;
};

/** Relative imports of a source file, and its code with comments and string literals removed. */
function read(file: URL): { imports: string[]; code: string } {
  const text = readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''");
  return { imports, code };
}

describe('@tijori/signing/messages', () => {
  it('imports no runtime module (node: or a package) and never uses Buffer, anywhere in its import graph', () => {
    const seen = new Set<string>();
    const queue = [new URL('./messages.ts', import.meta.url)];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file.href)) continue;
      seen.add(file.href);
      const { imports, code } = read(file);
      for (const specifier of imports) {
        assert.ok(specifier.startsWith('./'), `${file.pathname} imports ${specifier}`);
        queue.push(new URL(specifier.replace(/\.js$/, '.ts'), file));
      }
      assert.doesNotMatch(code, /\bBuffer\b|\brequire\(|\bprocess\./, file.pathname);
    }
    assert.ok(seen.size >= 6, [...seen].join(', '));
  });

  it('signedMessage gives the bytes every v1 and v2 vector signs', () => {
    const hmac = (secret: string, bytes: Uint8Array) => createHmac('sha256', secret).update(bytes).digest('hex');
    for (const v of vectors.v1) {
      const body = v.form === 'canonical' ? v.signed_body! : v.body;
      assert.equal(hmac(v.secret, messages.messageBytes(messages.signedMessage('v1', { timestamp: v.timestamp, body }))), v.signature, v.name);
    }
    for (const v of vectors.v2) {
      const message = messages.signedMessage('v2', { timestamp: v.timestamp, body: v.body, method: v.method, path: v.path });
      assert.equal(hmac(v.secret, messages.messageBytes(message)), v.signature, v.name);
    }
  });

  it('signedMessage refuses a v2 message without its method or path, and a fractional timestamp, naming the caller', () => {
    assert.throws(() => messages.signedMessage('v2', { timestamp: 1, path: '/x' }, 'Tijori'), /^TypeError: Tijori: scheme 'v2' needs method/);
    assert.throws(() => messages.signedMessage('v2', { timestamp: 1, method: 'POST' }), /^TypeError: signRequest: scheme 'v2' needs path/);
    assert.throws(() => messages.signedMessage('v1', { timestamp: 1.5 }), /whole UNIX seconds/);
  });

  it('prepareWebhookVerification plans the HMACs that verify every webhook vector', () => {
    for (const v of vectors.webhooks) {
      const plan = messages.prepareWebhookVerification({ body: v.body, headers: v.headers, secret: v.secrets, nowSeconds: Number(v.timestamp) });
      assert.ok(plan.ok, v.name);
      const macs = plan.keys.map((key) => createHmac('sha256', key).update(messages.messageBytes(plan.message)).digest());
      assert.ok(macs.some((mac) => plan.provided.some((p) => mac.equals(p))), v.name);
    }
  });

  it('prepareResponseVerification builds the signature base of every response vector, and refuses a body that does not match its digest', () => {
    for (const v of vectors.responses) {
      const headers = { 'content-digest': v.content_digest, 'signature-input': v['signature-input'], signature: v.signature };
      const input = { status: v.status, headers, body: v.body, requestSignature: v.request_signature ?? undefined, jwks: { keys: [v.public_jwk] }, nowSeconds: v.created };
      const plan = messages.prepareResponseVerification(input, createHash('sha256').update(v.body).digest());
      assert.ok(plan.ok, v.name);
      assert.equal(new TextDecoder().decode(plan.base), v.signature_base, v.name);
      assert.equal(plan.jwk?.x, v.public_jwk.x);
      const tampered = messages.prepareResponseVerification(input, createHash('sha256').update(`${v.body} `).digest());
      assert.equal(tampered.ok ? 'ok' : tampered.code, 'content_digest_mismatch');
    }
  });
});
