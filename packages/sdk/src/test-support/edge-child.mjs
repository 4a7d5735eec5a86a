// Runs in a child process under deny-node-builtins.mjs: the built SDK, with WebCrypto only, against
// test-vectors.json. Prints one JSON object of results. (This harness itself may use Node; the SDK may not.)
import { readFileSync } from 'node:fs';
import { Tijori, webhooks } from '@tijori/sdk';
import { hmacSigner, privateKeySigner } from '../../dist/esm/request-signer.js';
import { ResponseVerifier } from '../../dist/esm/response-verifier.js';

const vectors = JSON.parse(readFileSync(process.env.VECTORS_FILE, 'utf8'));
const bytes = (s) => new TextEncoder().encode(s);
const results = { requests: [], client: [], webhooks: [], responses: [] };

for (const v of vectors.v1) {
  const signed = await hmacSigner(v.secret, 'v1').sign({ timestamp: v.timestamp, method: 'POST', path: '/', body: bytes(v.form === 'canonical' ? v.signed_body : v.body) });
  results.requests.push({ name: v.name, ok: signed === v.signature });
}
for (const v of vectors.v2) {
  const signed = await hmacSigner(v.secret, 'v2').sign({ timestamp: v.timestamp, method: v.method, path: v.path, body: bytes(v.body) });
  results.requests.push({ name: v.name, ok: signed === v.signature });
}
for (const v of vectors.v2_ed25519) {
  const signed = await privateKeySigner(v.private_key_pem).sign({ timestamp: v.timestamp, method: v.method, path: v.path, body: bytes(v.body) });
  results.requests.push({ name: v.name, ok: signed === v.signature });
}

// The whole client: what it sends for a vector's order create is the vector's body and signature.
for (const v of vectors.v2.filter((x) => x.method === 'POST' && x.path === '/api/v3/pg/order/create')) {
  const sent = [];
  const fetch = async (url, init) => {
    sent.push({ url, headers: new Headers(init.headers), body: new TextDecoder().decode(init.body) });
    return Response.json({ code: '200', status: 'success', message: 'Order created', return_data: { order_id: 1 } });
  };
  const tijori = new Tijori({ apiKey: 'pk_test_edge', secretKey: v.secret, baseUrl: 'https://gw.example', fetch, now: () => Number(v.timestamp) * 1000 });
  await tijori.orders.create(JSON.parse(v.body));
  results.client.push({ name: v.name, ok: sent[0].body === v.body && sent[0].headers.get('x-signature') === v.signature && sent[0].headers.get('x-timestamp') === v.timestamp });
}

for (const v of vectors.webhooks) {
  const now = { nowSeconds: Number(v.timestamp) };
  const event = await webhooks.verify(v.body, v.headers, v.secrets, now);
  const refused = await webhooks.verify(v.body.replace('}', ' }'), v.headers, v.secrets, now).then(() => 'accepted', (err) => err.code);
  results.webhooks.push({ name: v.name, ok: event.event_id === JSON.parse(v.body).event_id && refused === 'invalid_signature' });
}

for (const v of vectors.responses) {
  const verifier = new ResponseVerifier({ jwksUrl: 'https://gw.example/.well-known/jwks.json', fetch: async () => Response.json({ keys: [v.public_jwk] }), now: () => v.created * 1000, timeoutMs: 1000 });
  const headers = new Headers({ 'content-digest': v.content_digest, 'signature-input': v['signature-input'], signature: v.signature });
  const verified = await verifier.verify({ status: v.status, headers, body: bytes(v.body) }, v.request_signature ?? '').then(() => true, (err) => err.code);
  const tampered = await verifier.verify({ status: v.status, headers, body: bytes(`${v.body} `) }, v.request_signature ?? '').then(() => 'accepted', (err) => err.code);
  results.responses.push({ name: v.name, ok: verified === true && tampered === 'content_digest_mismatch' });
}

process.stdout.write(JSON.stringify(results));
