/**
 * Each diagnosis, from the mistake as a real client makes it: the signature
 * comes from openssl behind echo, from Python's json.dumps, from PHP's
 * json_encode, or from signRequest fed what the mistaken client signed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson, signRequest } from '@tijori/signing';
import { explainRequestSignature, type RequestSignatureCase, type RequestSignatureVerdict } from './explain-request-signature.js';

const SECRET = 'sk_test_tijori_vector_0001';
const TS = '1778659835';
const PATH = '/api/v3/pg/order/create';
const ORDER = { order_id: 'demo-7', order_amount: '105.00', order_currency: 'INR', return_url: 'https://shop.example/thanks', customer: { name: 'Zoë Ångström', email: 'dev@example.com', phone: '9816512345' } };
const COMPACT = JSON.stringify(ORDER);

function explain(overrides: Partial<RequestSignatureCase> & { signature: string }): RequestSignatureVerdict {
  return explainRequestSignature({ timestamp: TS, method: 'POST', path: PATH, body: Buffer.from(COMPACT), secret: SECRET, nowSeconds: Number(TS), ...overrides });
}

/** What a client computes: HMAC-SHA256 in hex over exactly `message`. */
const hmac = (message: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(message).digest('hex');
const v1 = (body: string, timestamp = TS) => signRequest({ scheme: 'v1', secret: SECRET, timestamp, body });
const v2 = (body: string, over: { path?: string; method?: string; timestamp?: string } = {}) =>
  signRequest({ scheme: 'v2', secret: SECRET, timestamp: over.timestamp ?? TS, body, method: over.method ?? 'POST', path: over.path ?? PATH });

function diagnosed(verdict: RequestSignatureVerdict, code: string, message: RegExp): void {
  assert.equal(verdict.ok, false, JSON.stringify(verdict));
  if (verdict.ok) return;
  assert.equal(verdict.code, code, verdict.message);
  assert.match(verdict.message, message);
}

describe('explainRequestSignature', () => {
  it('accepts a signature over the bytes sent, under the declared scheme', () => {
    const verdict = explain({ signature: v2(COMPACT), scheme: 'v2' });
    assert.equal(verdict.ok, true);
    assert.equal(verdict.ok && verdict.scheme, 'v2');
    assert.equal(verdict.ok && verdict.form, 'raw');
  });

  it('accepts a v1 signature over the canonical JSON (the gateway does), and says so in a note', () => {
    const verdict = explain({ signature: v1(canonicalJson(ORDER)), scheme: 'v1' });
    assert.equal(verdict.ok, true);
    assert.equal(verdict.ok && verdict.form, 'canonical');
    assert.match(verdict.notes.join('\n'), /canonical JSON of the body, not the bytes sent: v1 accepts that form, v2 would not/);
  });

  it('with no declared scheme, finds a v2 signature and notes the header it needs', () => {
    const verdict = explain({ signature: v2(COMPACT) });
    assert.equal(verdict.ok && verdict.scheme, 'v2');
    assert.match(verdict.notes.join('\n'), /X-SIGNATURE-VERSION: 2/);
  });

  it('names the other scheme: a v2 signature sent without X-SIGNATURE-VERSION', () => {
    diagnosed(explain({ signature: v2(COMPACT), scheme: 'v1' }), 'other_scheme', /is a v2 .* signature, but the request declares v1 .*Send X-SIGNATURE-VERSION: 2/);
  });

  it('names the other scheme: a v1 signature sent with X-SIGNATURE-VERSION: 2', () => {
    diagnosed(explain({ signature: v1(COMPACT), scheme: 'v2' }), 'other_scheme', /is a v1 .* signature, but the request declares v2/);
  });

  it('finds the newline echo adds: echo "$BODY$TS" | openssl dgst', () => {
    const out = execFileSync('sh', ['-c', 'echo "$BODY$TS" | openssl dgst -sha256 -hmac "$SECRET"'], { env: { PATH: process.env.PATH, BODY: COMPACT, TS, SECRET } }).toString();
    const signature = /([0-9a-f]{64})\s*$/.exec(out)?.[1] ?? '';
    const verdict = explain({ signature, scheme: 'v1' });
    diagnosed(verdict, 'message_newline', /piped through echo.*printf '%s%s'/);
    assert.equal(!verdict.ok && Buffer.from(verdict.covers?.message ?? []).toString(), `${COMPACT}${TS}\n`);
  });

  it('finds a trailing newline in the body sent that the signer trimmed (an editor saved the file with one)', () => {
    diagnosed(explain({ signature: v1(COMPACT), scheme: 'v1', body: Buffer.from(`${COMPACT}\n`) }), 'body_trailing_newline', /without its trailing newline.*curl -d @file strips newlines/);
  });

  it('finds a newline the signer read from a file but curl -d did not send', () => {
    diagnosed(explain({ signature: v1(`${COMPACT}\n`), scheme: 'v1' }), 'body_missing_newline', /newline added at the end, which was not sent/);
  });

  it('finds CRLF line endings in the file the signer read', () => {
    const pretty = JSON.stringify(ORDER, null, 2);
    diagnosed(explain({ signature: v1(pretty.replaceAll('\n', '\r\n')), scheme: 'v1', body: Buffer.from(pretty) }), 'body_line_endings', /Windows line endings/);
  });

  it('says when a v2 signature covers the canonical body while the client sent its own serialisation', () => {
    diagnosed(explain({ signature: v2(canonicalJson(ORDER)), scheme: 'v2' }), 'body_canonicalised', /matches if the body is canonicalised.*re-serialised the JSON.*v2 signs the raw bytes only/);
  });

  it("finds Python's compact json.dumps signed while requests' json= sent the default spacing", () => {
    const python = `import hashlib, hmac, json, sys
o = json.loads(sys.argv[1])
signed = json.dumps(o, separators=(',', ':'), ensure_ascii=False)
sent = json.dumps(o)  # what requests.post(json=o) sends
print(hmac.new(sys.argv[2].encode(), (signed + sys.argv[3]).encode(), hashlib.sha256).hexdigest())
sys.stdout.write(sent)`;
    const [signature, sent] = execFileSync('python3', ['-c', python, COMPACT, SECRET, TS]).toString().split('\n') as [string, string];
    assert.match(sent, /"order_id": "demo-7", /);
    diagnosed(explain({ signature, scheme: 'v1', body: Buffer.from(sent) }), 'body_reserialised', /compact JSON .*serialised once to sign and again to send/);
  });

  it("finds Python's default json.dumps signed while a compact string was sent", () => {
    const signature = execFileSync('python3', ['-c', 'import hashlib, hmac, json, sys; print(hmac.new(sys.argv[2].encode(), (json.dumps(json.loads(sys.argv[1])) + sys.argv[3]).encode(), hashlib.sha256).hexdigest())', COMPACT, SECRET, TS]).toString().trim();
    diagnosed(explain({ signature, scheme: 'v1' }), 'body_reserialised', /Python's json\.dumps\(body\) default/);
  });

  it("finds PHP's json_encode (escaped slashes and \\u escapes) signed while the unescaped JSON was sent", () => {
    const php = '$o = json_decode($argv[1], true); echo hash_hmac("sha256", json_encode($o) . $argv[3], $argv[2]);';
    const signature = execFileSync('php', ['-r', php, COMPACT, SECRET, TS]).toString().trim();
    diagnosed(explain({ signature, scheme: 'v1' }), 'body_reserialised', /PHP's json_encode\(\$body\) default \(slashes as \\\/, non-ASCII as \\uXXXX\)/);
  });

  it('finds a pretty-printed body signed while the compact one was sent', () => {
    diagnosed(explain({ signature: v1(JSON.stringify(ORDER, null, 2)), scheme: 'v1' }), 'body_reserialised', /indented by 2 spaces/);
  });

  it('finds an empty body signed for a request that has one', () => {
    diagnosed(explain({ signature: v1(''), scheme: 'v1' }), 'body_empty', /covers an empty body/);
  });

  it('finds a timestamp signed in milliseconds while the header has seconds', () => {
    const verdict = explain({ signature: v1(COMPACT, `${TS}482`), scheme: 'v1' });
    diagnosed(verdict, 'timestamp_milliseconds', new RegExp(`milliseconds \\(${TS}482\\), but X-TIMESTAMP sends seconds \\(${TS}\\).*Date\\.now\\(\\)`));
  });

  it('says the gateway refuses a 13-digit timestamp even when the signature covers it', () => {
    diagnosed(explain({ signature: v1(COMPACT, `${TS}482`), scheme: 'v1', timestamp: `${TS}482` }), 'timestamp_milliseconds', /right for X-TIMESTAMP .* but that is milliseconds.*timestamp_in_milliseconds/);
  });

  it('finds seconds signed but milliseconds sent in X-TIMESTAMP', () => {
    diagnosed(explain({ signature: v1(COMPACT), scheme: 'v1', timestamp: `${TS}482` }), 'timestamp_milliseconds_header', new RegExp(`covers the timestamp in seconds \\(${TS}\\)`));
  });

  it('finds the clock read twice, a second apart', () => {
    diagnosed(explain({ signature: v1(COMPACT, String(Number(TS) - 1)), scheme: 'v1' }), 'timestamp_drift', /clock was read twice/);
  });

  it('finds a v2 path signed without its query string', () => {
    const path = '/api/v3/pg/order/status?order_id=demo-7';
    diagnosed(explain({ signature: v2('', { path: '/api/v3/pg/order/status', method: 'GET' }), scheme: 'v2', method: 'GET', path, body: Buffer.alloc(0) }), 'path_query', /without its query string/);
  });

  it('finds a trailing slash added between signing and sending', () => {
    diagnosed(explain({ signature: v2(COMPACT), scheme: 'v2', path: `${PATH}/` }), 'path_slash', /trailing slash was added/);
  });

  it('finds a path signed percent-decoded', () => {
    const path = '/api/v3/pg/order/create?note=retry%201';
    diagnosed(explain({ signature: v2(COMPACT, { path: '/api/v3/pg/order/create?note=retry 1' }), scheme: 'v2', path }), 'path_encoding', /percent-decoded/);
  });

  it('finds the full URL signed instead of the path', () => {
    const base = 'http://127.0.0.1:8080';
    diagnosed(explain({ signature: v2(COMPACT, { path: base + PATH }), scheme: 'v2', baseUrl: base }), 'path_full_url', /full URL .*only the path and query string/);
  });

  it('finds another method signed', () => {
    diagnosed(explain({ signature: v2(COMPACT, { method: 'GET' }), scheme: 'v2' }), 'method', /covers the method GET, but the request is a POST/);
  });

  it('finds a secret read from a file with its newline', () => {
    diagnosed(explain({ signature: hmac(COMPACT + TS, `${SECRET}\n`), scheme: 'v1' }), 'secret_newline', /secret key followed by a newline/);
  });

  it("finds another secret the integrator has (the sandbox file's)", () => {
    const other = 'sk_test_rolled_since_then_0002';
    diagnosed(explain({ signature: hmac(COMPACT + TS, other), scheme: 'v1', otherSecrets: [{ secret: other, from: '.tijori/sandbox-credentials.json' }] }), 'secret_other', /secret key from \.tijori\/sandbox-credentials\.json, not the one given/);
  });

  it('names a test/live mix-up: a live secret used with a sandbox API key', () => {
    const live = 'sk_live_the_live_secret_0003';
    const apiKey = 'pk_test_0123456789abcdef01234567';
    diagnosed(explain({ signature: hmac(COMPACT + TS, live), scheme: 'v1', secret: live, apiKey }), 'secret_mode', /right for this secret key, but the API key is a test key \(pk_test_\) and the secret key a live secret/);
    diagnosed(explain({ signature: hmac(COMPACT + TS, SECRET), scheme: 'v1', secret: live, apiKey }), 'secret_mode', /No change to the other inputs makes the signature match, and the API key is a test key/);
  });

  it('says the secret most likely differs when nothing explains the signature, and shows what a valid one covers', () => {
    const verdict = explain({ signature: hmac(COMPACT + TS, 'sk_test_someone_elses_secret'), scheme: 'v1' });
    diagnosed(verdict, 'no_match', /secret most likely differs/);
    assert.equal(!verdict.ok && Buffer.from(verdict.expected[0]?.message ?? []).toString(), COMPACT + TS);
  });

  it('reports two differences at once: the other scheme and a re-serialised body', () => {
    diagnosed(explain({ signature: v1(JSON.stringify(ORDER, null, 2)), scheme: 'v2' }), 'body_reserialised', /^Two things differ\. The signature is scheme v1 .* And: The signature matches the body written as JSON indented by 2 spaces/);
  });

  it('recognises the right digest in base64 or with a sha256= prefix, which the gateway refuses', () => {
    const hex = v1(COMPACT);
    diagnosed(explain({ signature: Buffer.from(hex, 'hex').toString('base64'), scheme: 'v1' }), 'signature_encoding', new RegExp(`in base64: the gateway wants it in hex.*send ${hex}`));
    diagnosed(explain({ signature: `sha256=${hex}`, scheme: 'v1' }), 'signature_encoding', /"sha256=" prefix/);
  });

  it("passes on the signing package's explanation of a malformed signature and timestamp", () => {
    diagnosed(explain({ signature: createHmac('sha1', SECRET).update(COMPACT + TS).digest('hex'), scheme: 'v1' }), 'malformed_signature', /looks like SHA-1/);
    diagnosed(explain({ signature: v1(COMPACT), scheme: 'v1', timestamp: '2026-05-13T08:10:35Z' }), 'malformed_timestamp', /whole seconds written as decimal digits only/);
  });

  it('notes a timestamp the gateway would refuse now, without failing the signature', () => {
    const verdict = explain({ signature: v1(COMPACT), scheme: 'v1', nowSeconds: Number(TS) + 3600 });
    assert.equal(verdict.ok, true);
    assert.match(verdict.notes.join('\n'), /would refuse this timestamp now: X-TIMESTAMP 1778659835 is 3600 seconds in the past/);
  });
});
