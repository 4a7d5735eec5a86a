import assert from 'node:assert/strict';
import { signRequest } from '@tijori/signing';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES } from '../errors/catalogue.js';
import { BACKENDS } from '../test-support/backends.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { ADMIN_TOKEN, orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';

// FUZZ_SEED=n reproduces a run; FUZZ_CASES=n runs more (or fewer) per back-end.
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

/**
 * What must never reach a client, whatever it sends: stack frames, file
 * paths, SQL and driver messages, schema-validator internals, Fastify's own
 * error codes. Each is a leak an attacker would use to map the server.
 */
const LEAKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a stack frame', /\bat [\w$.<>]+ \(|\n\s+at /],
  ['a file path', /\/work\/|\/home\/|\/usr\/|\/tmp\/|node_modules|\.(?:[cm]?js|ts):/],
  // Case-sensitive: "No endpoint DELETE /x" names the caller's own method, not a statement.
  ['SQL', /\bSELECT |\bINSERT INTO |\bUPDATE [a-z_]+ SET |\bDELETE FROM |relation "|syntax error at|violates [a-z ]*constraint|duplicate key value|invalid input syntax/],
  ['a database driver', /postgres|pglite|PostgresError|sqlstate/i],
  ['validator internals', /\bajv\b|schema ?path|#\/properties|#\/definitions|instancePath|schemaPath/i],
  ['a framework error code', /FST_[A-Z_]+|ERR_[A-Z_]{3,}/],
  ['an internal exception name', /\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b|Cannot read propert|is not a function|undefined is not/],
];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

type Random = () => number;
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Random, p: number) => r() < p;

interface Operation {
  method: string;
  /** OpenAPI form: /admin/v1/merchants/{merchantId}. */
  path: string;
  query: Array<{ name: string; schema: Record<string, unknown> }>;
  body: Record<string, unknown> | undefined;
}

/** Every /api/ and /admin/ operation, read from the gateway's own OpenAPI document, so a route added later is fuzzed too. */
async function operations(gw: TestGateway): Promise<Operation[]> {
  const doc = (await gw.gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/') && !path.startsWith('/admin/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  }
  return ops;
}

// Values a field may be sent: wrong types, extremes, injections, odd text.
// The gateway never echoes a field's value, so SQL here must not come back.
const NASTY_VALUES: readonly unknown[] = [
  '', ' ', '\u0000', '\ud800', 'x'.repeat(5000), '💳'.repeat(50), "' OR 1=1 --", 'SELECT * FROM merchants; --', '"; DROP TABLE orders; --',
  '<script>alert(1)</script>', '../../../etc/passwd', '%00', '${7*7}', '{{7*7}}', 'null', 'NaN', 'Infinity', '-0', '1e999',
  0, -1, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE, true, false, null,
  [], [1, 2, 3], ['a'], {}, { a: 1 }, { __proto__: { admin: true } }, [[[[[[]]]]]],
  '2026-13-45T25:61:61Z', '0000-00-00T00:00:00Z', '9999-12-31T23:59:59.999999999Z', 'ord_' + '0'.repeat(24), 'evt_' + 'f'.repeat(24),
  'http://169.254.169.254/latest/meta-data/', 'https://user:pw@example.test/', 'javascript:alert(1)', 'http://[::1]:80/', 'http://localhost:99999/', 'ftp://x.test/',
  'https://example.test/#fragment', 'https://' + 'a'.repeat(2100) + '.test/', 'http://0x7f000001/', 'http://[::ffff:127.0.0.1]/',
];

// Raw JSON text that JSON.stringify cannot produce.
const RAW_NUMBERS = ['1e999', '-1e999', '123456789012345678901234567890', '0.000000000000000000000000000001', '-0', '1E+400', '9007199254740993'];

// Field names. The gateway names an unknown field in its reply (so the
// integrator sees the typo), so this list holds nothing the leak patterns match.
const UNKNOWN_FIELDS = ['zz_unknown', 'order_idd', '__proto__', 'constructor', 'prototype', 'toString', '', ' ', 'a.b', 'a/b', '💳', 'x'.repeat(300)];

/** A body for `schema`: each field omitted, plausible or nasty, sometimes extra fields. */
function bodyFor(r: Random, schema: Record<string, unknown> | undefined, depth = 0): unknown {
  if (!schema || depth > 3 || chance(r, 0.05)) return pick(r, NASTY_VALUES);
  const type = Array.isArray(schema.type) ? pick(r, schema.type as string[]) : schema.type;
  if (Array.isArray(schema.enum) && chance(r, 0.6)) return pick(r, schema.enum);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (chance(r, 0.2)) continue;
        out[name] = chance(r, 0.5) ? bodyFor(r, sub, depth + 1) : pick(r, NASTY_VALUES);
      }
      if (chance(r, 0.2)) out[pick(r, UNKNOWN_FIELDS)] = pick(r, NASTY_VALUES);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.floor(r() * 4) }, () => bodyFor(r, schema.items as Record<string, unknown> | undefined, depth + 1));
    case 'integer':
      return pick(r, [1, 50, 500, 60, 86400, -5, 0, 2 ** 40]);
    case 'number':
      return pick(r, [1, 105.5, 0.01]);
    case 'boolean':
      return chance(r, 0.5);
    case 'string':
      return pick(r, ['x', 'demo-1', '105.00', 'INR', 'sandbox', 'payment.success', 'https://example.test/hook', 'dev@example.com', '9816512345']);
    default:
      return pick(r, NASTY_VALUES);
  }
}

/** The bytes sent: the body as JSON, then perhaps broken on the way. */
function bodyBytes(r: Random, value: unknown): Buffer {
  let text = JSON.stringify(value) ?? '';
  const roll = r();
  if (roll < 0.06) text = text.slice(0, Math.floor(r() * text.length)); // truncated
  else if (roll < 0.1) text = text.replace(/-?\d+(\.\d+)?/, pick(r, RAW_NUMBERS)); // a number JSON.stringify never writes
  else if (roll < 0.13) text = '['.repeat(5000) + text + ']'.repeat(5000); // deep nesting
  else if (roll < 0.15) text = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
  else if (roll < 0.19) text = pick(r, ['', '{', '}', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', 'undefined', 'NaN', '\ufeff{}', '{"a":"\\x41"}', '{"a":"\\ud800"}', '[,]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}']);
  else if (roll < 0.22) text = text + pick(r, [',', '}', ']', 'garbage', '\u0000', '\n\n']);
  const bytes = Buffer.from(text, 'utf8');
  if (chance(r, 0.05) && bytes.length > 0) {
    // Invalid UTF-8: a lone continuation byte, an overlong encoding, a truncated sequence, a byte never valid.
    const bad = pick(r, [[0x80], [0xc0, 0x80], [0xe2, 0x82], [0xff], [0xed, 0xa0, 0x80]]);
    const at = Math.floor(r() * bytes.length);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
  }
  return bytes;
}

// Path segments for ids: well-formed, unknown, and malformed. Unknown routes
// echo their path (No endpoint GET /…), so nothing here matches a leak pattern.
const GARBAGE_SEGMENTS = ['', 'x', '0', '-1', '%zz', '%', '%E0%A4%A', '%00', '%2e%2e', '..', '.', '%2F', 'a'.repeat(120), 'null', '%F0%9F%92%B3', 'mer_', 'MER_000000000000000000000000', '*', '~', ';x', 'a b'];

const UNKNOWN_PATHS = [
  '/', '/api', '/api/', '/api/v3', '/api/v3/pg/order', '/api/v3/pg/order/nope', '/api/v4/pg/order/create', '/API/V3/PG/ORDER/CREATE', '/api/v3/pg/order/create/',
  '/api/v3/pg/order/create/extra', '/api//v3/pg/order/create', '/api/v3/pg/order/create;x', '/api/v3/pg/order/create%00', '/api/v3/pg/order/%zz', '/api/%',
  '/admin', '/admin/', '/admin/v1', '/admin/v2/merchants', '/admin/v1/nope', '/admin/v1/merchants/../keys', '/admin/v1/%2e%2e/keys', '/%2e%2e/%2e%2e/etc/passwd',
  '/admin/v1/merchants/' + 'a'.repeat(2000), '/' + 'x/'.repeat(500),
];

const QUERY_VALUES = ['abc', '-1', '0', '1', '50', '500', '501', '1e3', '1.5', '', ' ', '%zz', '%00', 'true', 'false', '[]', '{}', '🙂', 'x'.repeat(3000), 'ord_' + '0'.repeat(24), '2026-11-23T12:00:00Z', '2026-02-30T00:00:00Z', 'pending', 'PENDING'];
const QUERY_NAMES = ['x', 'limit[]', '__proto__', 'constructor', 'a[b]', 'limit', 'status', 'before'];

const ODD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'];
const CONTENT_TYPES = ['text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json;;;', 'application/jsonx', 'json', '*/*', ';', 'application/json; ' + 'a=b; '.repeat(200)];
const ACCEPTS = ['text/html', 'application/xml', '', ';;;q=abc,,', 'application/json;q=0', '*/*', 'text/*'];
const AUTHORIZATIONS = [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${ADMIN_TOKEN}x`, `bearer ${ADMIN_TOKEN}`, 'Bearer ' + 'x'.repeat(10000), "Bearer ' OR 1=1 --"];

/** A merchant the fuzz's admin calls may suspend, re-key and revoke. */
interface Victim {
  merchantId: string;
  apiKey: string;
  keyId: string;
}

interface FuzzCase {
  /** How to reproduce: seed, index and a short description. */
  label: string;
  request: InjectOptions;
}

/** One request: a known operation broken somewhere, or an unknown route. */
function makeCase(r: Random, i: number, ops: readonly Operation[], gw: TestGateway, victim: Victim): FuzzCase {
  // Admin calls act on a merchant of their own: revoking or suspending the keys the fuzz signs with would end the run at the first gate.
  const ids: Record<string, readonly string[]> = {
    merchantId: [victim.merchantId, 'mer_' + '0'.repeat(24)],
    key: [victim.apiKey, victim.keyId, 'pk_test_' + 'a'.repeat(16), 'pk_live_' + '0'.repeat(24)],
    endpointId: ['we_' + '0'.repeat(24)],
    eventId: ['evt_' + '0'.repeat(24)],
    deliveryId: ['whd_' + '0'.repeat(32)],
  };
  const notes: string[] = [];
  let method: string;
  let path: string;
  let op: Operation | undefined;
  if (chance(r, 0.1)) {
    method = pick(r, ODD_METHODS);
    path = pick(r, UNKNOWN_PATHS);
    notes.push('unknown route');
  } else {
    op = pick(r, ops);
    method = chance(r, 0.1) ? pick(r, ODD_METHODS) : op.method;
    path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (chance(r, 0.7) ? pick(r, ids[name] ?? ['x']) : pick(r, GARBAGE_SEGMENTS)));
  }

  // Query string: the documented parameters with odd values, repeated or unknown ones.
  const query: string[] = [];
  for (const q of op?.query ?? []) {
    if (chance(r, 0.5)) query.push(`${q.name}=${encodeURIComponent(pick(r, QUERY_VALUES)).replace('%25zz', '%zz')}`);
    if (chance(r, 0.05)) query.push(`${q.name}=1`);
  }
  if (chance(r, 0.1)) query.push(`${pick(r, QUERY_NAMES)}=${pick(r, ['abc', '-1', '%zz', '', '1'])}`);
  const url = query.length > 0 ? `${path}?${query.join('&')}` : path;

  // Body: usually shaped by the operation's schema, sometimes oversized.
  let payload: Buffer | undefined;
  if (chance(r, 0.02)) {
    payload = Buffer.from(JSON.stringify({ order_note: 'x'.repeat(70_000) }));
    notes.push('oversized');
  } else if (op?.body || chance(r, 0.2)) {
    payload = bodyBytes(r, op?.path === '/api/v3/pg/order/create' && chance(r, 0.3) ? { ...orderBody(), ...(bodyFor(r, op.body) as object) } : bodyFor(r, op?.body));
  }

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (payload === undefined && chance(r, 0.5)) delete headers['content-type'];
  if (chance(r, 0.08)) headers['content-type'] = pick(r, CONTENT_TYPES);
  if (chance(r, 0.05)) headers.accept = pick(r, ACCEPTS);
  if (chance(r, 0.03)) headers['x-forwarded-for'] = pick(r, ['garbage', '::::', '1.2.3.4, ' + 'x'.repeat(1000), '999.999.999.999']);
  if (chance(r, 0.03)) headers['content-encoding'] = pick(r, ['gzip', 'br', 'identity, x']);

  if (path.startsWith('/admin/')) {
    const auth = chance(r, 0.85) ? `Bearer ${ADMIN_TOKEN}` : pick(r, AUTHORIZATIONS);
    if (auth !== undefined) headers.authorization = auth;
  } else if (path.startsWith('/api/')) {
    // Signed with the sandbox or live key most of the time, so the fuzz reaches parsing and validation.
    const key = chance(r, 0.8) ? gw.sandbox : gw.live;
    const timestamp = String(Math.floor(gw.clock.nowMs() / 1000));
    const scheme = chance(r, 0.3) ? 'v2' : 'v1';
    const signature = signRequest({ scheme, secret: key.secretKey, timestamp, body: payload ?? '', method, path: url });
    Object.assign(headers, { 'x-api-key': key.apiKey, 'x-timestamp': timestamp, 'x-signature': signature });
    if (scheme === 'v2') headers['x-signature-version'] = '2';
    if (chance(r, 0.15)) {
      const [name, value] = pick(r, [
        ['x-api-key', undefined], ['x-signature', undefined], ['x-timestamp', undefined], ['x-timestamp', `${timestamp}000`], ['x-timestamp', '-1'],
        ['x-timestamp', '1e9'], ['x-timestamp', timestamp + '.5'], ['x-signature', 'z'.repeat(64)], ['x-signature', 'a'.repeat(64)], ['x-signature-version', '3'],
        ['x-signature-version', '2'.repeat(50)], ['x-api-key', 'pk_test_unknown'], ['x-api-key', "pk_test_' OR 1=1 --"], ['x-api-key', 'x'.repeat(5000)],
      ] as Array<[string, string | undefined]>);
      if (value === undefined) delete headers[name];
      else headers[name] = value;
      notes.push(`header ${name}`);
    }
  }
  return {
    label: `seed ${SEED} case ${i}: ${method} ${url.slice(0, 120)}${notes.length ? ` (${notes.join(', ')})` : ''}`,
    request: { method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) },
  };
}

/** Why this reply breaks the rules, or undefined if it keeps them. */
function problem(method: string, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `status ${res.statusCode}`;
  if (res.statusCode < 400 || method === 'HEAD') return undefined;
  for (const [what, pattern] of LEAKS) if (pattern.test(res.body)) return `the reply contains ${what}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return 'the reply is not JSON';
  }
  if (!String(res.headers['content-type']).startsWith('application/json')) return `content-type ${String(res.headers['content-type'])}`;
  if (typeof body.error_code !== 'string' || !KNOWN_CODES.has(body.error_code)) return `error_code ${String(body.error_code)} is not in the catalogue`;
  if (body.status !== 'failed' || body.code !== String(res.statusCode)) return 'not the failure envelope';
  if (typeof body.request_id !== 'string' || !/^req_[0-9a-f]{32}$/.test(body.request_id)) return 'no request_id';
  if (res.headers['x-request-id'] !== body.request_id) return 'X-Request-Id differs from request_id';
  return undefined;
}

for (const backend of BACKENDS) {
  describe(`error replies to malformed input on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      // Rate limits would turn most of the run into rate_limited; they have tests of their own.
      gw = await startTestGateway(backend, { TIJORI_RATE_LIMITS_ENABLED: 'false' });
    });
    after(async () => {
      await gw?.close();
    });

    it(`answers ${CASES} fuzzed requests to /api/ and /admin/ with a catalogued 4xx envelope and nothing internal`, async () => {
      const ops = await operations(gw);
      assert.ok(ops.some((o) => o.path.startsWith('/api/')) && ops.some((o) => o.path.startsWith('/admin/')), 'the OpenAPI document lists both APIs');
      const created = await gw.admin('POST', '/admin/v1/merchants', { name: 'Fuzz target' });
      assert.equal(created.statusCode, 201, created.body);
      const victim: Victim = { merchantId: created.json().merchant.id, apiKey: created.json().key.api_key, keyId: created.json().key.id };
      const r = seededRandom(SEED);
      const failures: string[] = [];
      const seen = new Map<string, number>();
      for (let i = 0; i < CASES; i++) {
        // A new second now and then, so that equal requests are not all refused as replays.
        if (i % 7 === 0) gw.clock.advanceSeconds(1);
        const c = makeCase(r, i, ops, gw, victim);
        const res = await gw.gateway.app.inject(c.request);
        const code = res.statusCode >= 400 && c.request.method !== 'HEAD' ? (JSON.parse(res.body) as { error_code?: string }).error_code : undefined;
        if (code) seen.set(code, (seen.get(code) ?? 0) + 1);
        const why = problem(String(c.request.method), res);
        if (why) failures.push(`${c.label}\n  ${why}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      }
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${CASES} replies broke the rules`);
      // The fuzz reached every layer: routing, the body parser, authentication, validation and the handlers.
      for (const code of ['route_not_found', 'bad_request', 'invalid_json', 'validation_failed', 'payload_too_large', 'unsupported_media_type', 'not_acceptable', 'missing_auth_header', 'invalid_signature', 'admin_unauthorized', 'merchant_not_found']) {
        assert.ok(seen.has(code), `the fuzz never produced ${code}: ${JSON.stringify(Object.fromEntries(seen))}`);
      }
    });

    it('answers a URL that does not decode with the envelope, not the framework body', async () => {
      for (const url of ['/api/v3/%zz', '/admin/v1/merchants/%E0%A4%A', '/checkout/%']) {
        const res = await gw.gateway.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        assert.equal(problem('GET', res), undefined, res.body);
        assert.equal(res.json().error_code, 'bad_request');
        assert.match(res.json().message, /percent-encoding/);
        // No hook ran, yet the reply carries the headers every JSON error does.
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['cache-control'], 'no-store');
      }
    });

    it('answers a path parameter longer than any id with the envelope', async () => {
      const res = await gw.admin('GET', `/admin/v1/merchants/mer_${'0'.repeat(200)}`);
      assert.equal(problem('GET', res), undefined, res.body);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500);
    });

    it('explains an out-of-range admin limit in the words of its description, not the regular expression that checks it', async () => {
      for (const limit of ['abc', '-1', '0', '501', '1.5', '1e3']) {
        const res = await gw.admin('GET', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-deliveries?limit=${limit}`);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json().error_code, 'validation_failed');
        assert.deepEqual(res.json().details.errors, [{ field: 'limit', message: 'is not valid: 1-500, default 50' }]);
      }
    });

    it('answers a database failure with internal_error and the request id, and logs the detail instead', async () => {
      const other = await startTestGateway(backend);
      try {
        await other.gateway.db.query('DROP TABLE webhook_deliveries CASCADE');
        const res = await other.admin('GET', `/admin/v1/merchants/${other.sandbox.merchantId}/webhook-deliveries`);
        assert.equal(res.statusCode, 500, res.body);
        assert.equal(res.json().error_code, 'internal_error');
        for (const [what, pattern] of LEAKS) assert.doesNotMatch(res.body, pattern, `the reply contains ${what}`);
        const logged = other.logs.find((line) => line.includes(res.json().request_id) && line.includes('unhandled error'));
        assert.ok(logged, 'the error is logged with the request id');
        assert.match(logged, /webhook_deliveries/);
      } finally {
        await other.close();
      }
    });
  });
}
