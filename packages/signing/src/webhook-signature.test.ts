/**
 * Webhook signatures. The vectors in test-vectors.json are checked against
 * independent implementations: node:crypto directly, the openssl command
 * line, the Standard Webhooks specification's published example, and the
 * unmodified `standardwebhooks` and `svix` packages that merchants verify with.
 */
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { OpensslWorkspace } from './openssl.fixture.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  isWebhookSecret,
  signWebhook,
  verifyWebhook,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_VERIFY_FAILURE_CODES,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  type WebhookVerifyFailureCode,
} from './webhook-signature.js';
import * as index from './index.js';

interface WebhookVector {
  name: string;
  secrets: string[];
  event_id: string;
  timestamp: string;
  body: string;
  headers: Record<string, string>;
}
const vectors = (JSON.parse(readFileSync(new URL('../test-vectors.json', import.meta.url), 'utf8')) as { webhooks: WebhookVector[] }).webhooks;
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

const SIX_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-timestamp', 'x-signature', 'x-webhook-signature'];
const STANDARD_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
const KWIKPAISA_HEADERS = ['x-timestamp', 'x-signature', 'x-webhook-signature'];

// Two fresh-looking secrets for the behaviour tests; the vectors have their own.
const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const NEW_SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const OTHER_SECRET = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
const NOW = 1778659835;
const EVENT_ID = 'evt_5b0e1c2d3f4a5b6c7d8e9f01';
const BODY = '{"created_at":"2026-05-13T08:10:35.000Z","data":{"amount":"105.00","currency":"INR","status":"PAID"},"event":"payment.success","event_id":"evt_5b0e1c2d3f4a5b6c7d8e9f01"}';

const hexHmac = (secret: string, message: string): string => createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');
const base64Hmac = (secret: string, message: string): string =>
  createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(Buffer.from(message, 'utf8')).digest('base64');

function only(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)));
}

function signed(secrets: string[] = [SECRET], timestamp: number | string = NOW, body = BODY): Record<string, string> {
  return signWebhook({ secrets, eventId: EVENT_ID, timestamp, body });
}

function verifyAt(input: Omit<VerifyWebhookInput, 'nowSeconds'>, nowSeconds = NOW): VerifyWebhookResult {
  return verifyWebhook({ nowSeconds, ...input });
}

function failed(result: VerifyWebhookResult, code: WebhookVerifyFailureCode): string {
  assert.equal(result.ok, false, JSON.stringify(result));
  assert.ok(!result.ok);
  assert.equal(result.code, code, result.message);
  return result.message;
}

/** Runs fn with Date.now() at the given UNIX second: the two libraries read the system clock and take no other. */
function atTime<T>(seconds: number, fn: () => T): T {
  mock.timers.enable({ apis: ['Date'], now: seconds * 1000 });
  try {
    return fn();
  } finally {
    mock.timers.reset();
  }
}

type Library = 'standardwebhooks' | 'svix';
/** true when the unmodified library verifies the delivery, else the error it threw. */
function libraryVerifies(library: Library, secret: string, body: string, headers: Record<string, string>, nowSeconds: number): true | string {
  return atTime(nowSeconds, () => {
    try {
      if (library === 'standardwebhooks') new StandardWebhook(secret).verify(body, headers);
      else new SvixWebhook(secret).verify(body, headers);
      return true;
    } catch (error) {
      return String(error);
    }
  });
}

describe('test-vectors.json webhooks', () => {
  it('covers one secret, a roll overlap, a non-ASCII body and the Standard Webhooks specification example', () => {
    assert.ok(vectors.some((v) => v.secrets.length === 1));
    assert.ok(vectors.some((v) => v.secrets.length === 2));
    assert.ok(vectors.some((v) => /[^\x00-\x7f]/.test(v.body)));
    assert.ok(vectors.some((v) => v.event_id === 'msg_p5jXN8AQM9LWM0D4loKWxJek'));
    for (const v of vectors) {
      assert.deepEqual(Object.keys(v).sort(), ['body', 'event_id', 'headers', 'name', 'secrets', 'timestamp']);
      assert.deepEqual(Object.keys(v.headers).sort(), [...SIX_HEADERS].sort());
      for (const s of v.secrets) assert.ok(isWebhookSecret(s), s);
    }
  });

  it("has the signature published in the Standard Webhooks specification for the specification's example", () => {
    const v = vectors.find((x) => x.event_id === 'msg_p5jXN8AQM9LWM0D4loKWxJek');
    assert.ok(v);
    assert.deepEqual(v.secrets, ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
    assert.equal(v.timestamp, '1614265330');
    assert.equal(v.body, '{"test": 2432232314}');
    assert.equal(v.headers['webhook-signature'], 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  for (const v of vectors) {
    describe(v.name, () => {
      it('is reproduced exactly by signWebhook: the six headers and nothing else', () => {
        assert.deepEqual(signWebhook({ secrets: v.secrets, eventId: v.event_id, timestamp: v.timestamp, body: v.body }), v.headers);
        assert.deepEqual(signWebhook({ secrets: v.secrets, eventId: v.event_id, timestamp: Number(v.timestamp), body: v.body }), v.headers);
      });

      it('has, per secret in order, hex(HMAC(secret string, body + timestamp)) and v1,base64(HMAC(decoded secret, id.timestamp.body)), recomputed with node:crypto directly', () => {
        const hex = v.secrets.map((s) => hexHmac(s, v.body + v.timestamp)).join(' ');
        assert.equal(v.headers['x-signature'], hex);
        assert.equal(v.headers['x-webhook-signature'], hex);
        assert.equal(v.headers['webhook-signature'], v.secrets.map((s) => `v1,${base64Hmac(s, `${v.event_id}.${v.timestamp}.${v.body}`)}`).join(' '));
        assert.equal(v.headers['webhook-id'], v.event_id);
        assert.equal(v.headers['webhook-timestamp'], v.timestamp);
        assert.equal(v.headers['x-timestamp'], v.timestamp);
      });

      it('is accepted by verifyWebhook in each convention, with each secret alone', () => {
        for (const secret of v.secrets) {
          const standard = verifyAt({ body: v.body, headers: v.headers, secret }, Number(v.timestamp));
          assert.deepEqual(standard, { ok: true, convention: 'standard-webhooks', eventId: v.event_id, timestamp: Number(v.timestamp) });
          const kwikpaisa = verifyAt({ body: Buffer.from(v.body, 'utf8'), headers: only(v.headers, KWIKPAISA_HEADERS), secret }, Number(v.timestamp));
          assert.deepEqual(kwikpaisa, { ok: true, convention: 'kwikpaisa', eventId: undefined, timestamp: Number(v.timestamp) });
        }
      });

      for (const library of ['standardwebhooks', 'svix'] as const) {
        it(`is accepted by the unmodified ${library} package, with each secret alone`, () => {
          for (const secret of v.secrets) {
            assert.equal(libraryVerifies(library, secret, v.body, v.headers, Number(v.timestamp)), true);
            assert.equal(libraryVerifies(library, secret, v.body, only(v.headers, STANDARD_HEADERS), Number(v.timestamp)), true);
          }
        });
      }
    });
  }

  it('svix also accepts the webhook-* headers renamed svix-*, the names it sends itself', () => {
    const v = vectors[0]!;
    const renamed = Object.fromEntries(STANDARD_HEADERS.map((name) => [name.replace('webhook-', 'svix-'), v.headers[name]!]));
    assert.equal(libraryVerifies('svix', v.secrets[0]!, v.body, renamed, Number(v.timestamp)), true);
  });

  it('agrees with openssl: `dgst -hmac` over body + timestamp, and `-mac HMAC -macopt hexkey:` over id.timestamp.body', () => {
    const ws = new OpensslWorkspace();
    try {
      for (const v of vectors) {
        ws.write('kwikpaisa.msg', Buffer.from(v.body + v.timestamp, 'utf8'));
        ws.write('standard.msg', Buffer.from(`${v.event_id}.${v.timestamp}.${v.body}`, 'utf8'));
        const hex: string[] = [];
        const standard: string[] = [];
        for (const secret of v.secrets) {
          const env = { SECRET: secret };
          hex.push(ws.sh(`openssl dgst -sha256 -hmac "$SECRET" -r kwikpaisa.msg | cut -d' ' -f1`, env));
          // The key is the secret after "whsec_", base64-decoded, given to openssl as hex.
          standard.push(
            'v1,' +
              ws.sh(
                `KEYHEX=$(printf '%s' "\${SECRET#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \\n')\n` +
                  'openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEYHEX" -binary standard.msg | base64 -w0',
                env,
              ),
          );
        }
        assert.equal(hex.join(' '), v.headers['x-signature'], v.name);
        assert.equal(standard.join(' '), v.headers['webhook-signature'], v.name);
      }
    } finally {
      ws.dispose();
    }
  });
});

describe('signWebhook', () => {
  it('returns exactly the six lowercase headers, timestamps as decimal strings', () => {
    const headers = signed();
    assert.deepEqual(Object.keys(headers), SIX_HEADERS);
    assert.equal(headers['webhook-id'], EVENT_ID);
    assert.equal(headers['webhook-timestamp'], String(NOW));
    assert.equal(headers['x-timestamp'], String(NOW));
    assert.equal(headers['x-signature'], headers['x-webhook-signature']);
  });

  it('with one secret, x-signature is exactly the KwikPaisa value: hex(HMAC-SHA256(secret string, body + timestamp))', () => {
    assert.equal(signed()['x-signature'], hexHmac(SECRET, BODY + NOW));
  });

  it('puts one signature per secret, newest first, separated by single spaces', () => {
    const both = signed([NEW_SECRET, SECRET]);
    const newOnly = signed([NEW_SECRET]);
    const oldOnly = signed([SECRET]);
    assert.equal(both['x-signature'], `${newOnly['x-signature']} ${oldOnly['x-signature']}`);
    assert.equal(both['webhook-signature'], `${newOnly['webhook-signature']} ${oldOnly['webhook-signature']}`);
  });

  it('accepts the timestamp as a number or a string of whole seconds', () => {
    assert.deepEqual(signed([SECRET], NOW), signed([SECRET], String(NOW)));
  });

  it('throws on an empty secrets list', () => {
    assert.throws(() => signed([]), /secrets must be a non-empty array/);
  });

  it('throws on a malformed secret, naming its position and never its value', () => {
    for (const bad of ['sk_test_abc', SECRET.slice('whsec_'.length), 'whsec_' + Buffer.alloc(16).toString('base64'), `${SECRET}\n`, 'whsec_' + Buffer.alloc(32, 0xfb).toString('base64url')]) {
      assert.throws(
        () => signed([NEW_SECRET, bad]),
        (error: Error) => error instanceof TypeError && error.message.includes('secrets[1]') && !error.message.includes(bad) && !error.message.includes(NEW_SECRET),
      );
    }
  });

  it('refuses a timestamp in milliseconds, with a fraction, negative, or with leading zeros', () => {
    assert.throws(() => signed([SECRET], NOW * 1000), /milliseconds/);
    assert.throws(() => signed([SECRET], String(NOW * 1000)), /milliseconds/);
    for (const bad of [NOW + 0.5, -1, '0' + NOW, ' 1778659835', '1778659835.0', NaN]) {
      assert.throws(() => signed([SECRET], bad), /whole UNIX seconds/, String(bad));
    }
  });

  it('refuses an event id that is empty or could break a header line', () => {
    for (const eventId of ['', 'evt_1\r\nx-evil: 1', 'evt 1', 'évt_1']) {
      assert.throws(() => signWebhook({ secrets: [SECRET], eventId, timestamp: NOW, body: BODY }), /eventId/);
    }
  });
});

describe('isWebhookSecret', () => {
  it('accepts "whsec_" + base64 of 32 bytes (ours) and of 24 bytes (the Standard Webhooks example)', () => {
    assert.equal(isWebhookSecret(SECRET), true);
    assert.equal(isWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), true);
    assert.equal(WEBHOOK_SECRET_PREFIX, 'whsec_');
  });

  it('refuses a missing prefix, fewer than 24 bytes, base64url, missing padding, whitespace and non-strings', () => {
    const b64 = Buffer.alloc(32, 0xfb).toString('base64');
    assert.equal(isWebhookSecret('whsec_' + b64), true);
    for (const bad of [
      b64,
      'WHSEC_' + b64,
      'whsec_' + Buffer.alloc(23, 1).toString('base64'),
      'whsec_' + Buffer.alloc(32, 0xfb).toString('base64url'),
      'whsec_' + b64.replace(/=+$/, ''),
      'whsec_' + b64 + '\n',
      ' whsec_' + b64,
      'whsec_',
      '',
      undefined,
      null,
      42,
      Buffer.from(b64),
    ]) {
      assert.equal(isWebhookSecret(bad), false, String(bad));
    }
  });

  it('refuses base64 with non-zero padding bits, so that a secret has exactly one spelling', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // 32 bytes end in a 3-character group whose last character carries 2 unused bits.
    const last = SECRET.at(-2)!;
    const sloppy = SECRET.slice(0, -2) + ALPHABET[ALPHABET.indexOf(last) | 1]! + '=';
    assert.notEqual(sloppy, SECRET);
    assert.ok(Buffer.from(sloppy.slice(6), 'base64').equals(Buffer.from(SECRET.slice(6), 'base64')), 'the same key bytes');
    assert.equal(isWebhookSecret(sloppy), false);
  });
});

describe('verifyWebhook', () => {
  it('accepts a genuine delivery and prefers the Standard Webhooks headers, returning webhook-id as eventId', () => {
    assert.deepEqual(verifyAt({ body: BODY, headers: signed(), secret: SECRET }), { ok: true, convention: 'standard-webhooks', eventId: EVENT_ID, timestamp: NOW });
  });

  it('falls back to KwikPaisa when a webhook-* header is absent; eventId is then undefined (read event_id from the body)', () => {
    for (const drop of STANDARD_HEADERS) {
      const headers = signed();
      delete headers[drop];
      assert.deepEqual(verifyAt({ body: BODY, headers, secret: SECRET }), { ok: true, convention: 'kwikpaisa', eventId: undefined, timestamp: NOW });
    }
  });

  it('reads x-signature when x-webhook-signature is absent, and the reverse', () => {
    const { 'x-webhook-signature': xws, ...withoutXws } = only(signed(), KWIKPAISA_HEADERS);
    assert.equal(verifyAt({ body: BODY, headers: withoutXws, secret: SECRET }).ok, true);
    assert.equal(verifyAt({ body: BODY, headers: { 'x-timestamp': String(NOW), 'x-webhook-signature': xws! }, secret: SECRET }).ok, true);
  });

  it('looks headers up case-insensitively, in a plain object and in a Fetch Headers object', () => {
    const upper = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
    assert.ok('Webhook-Signature' in upper);
    assert.equal(verifyAt({ body: BODY, headers: upper, secret: SECRET }).ok, true);
    assert.equal(verifyAt({ body: BODY, headers: new Headers(upper), secret: SECRET }).ok, true);
    assert.equal(verifyAt({ body: BODY, headers: new Headers(only(upper, ['X-Timestamp', 'X-Signature'])), secret: SECRET }).ok, true);
  });

  it('accepts the body as a string, a Buffer or a Uint8Array, non-ASCII included', () => {
    const body = BODY.replace('105.00', '₹105.00 café');
    const headers = signed([SECRET], NOW, body);
    for (const given of [body, Buffer.from(body), new Uint8Array(Buffer.from(body))]) {
      assert.equal(verifyAt({ body: given, headers, secret: SECRET }).ok, true);
      assert.equal(verifyAt({ body: given, headers: only(headers, KWIKPAISA_HEADERS), secret: SECRET }).ok, true);
    }
  });

  it('refuses a tampered body in both conventions, and says to verify the raw request body bytes', () => {
    const tampered = BODY.replace('105.00', '1.00');
    for (const headers of [signed(), only(signed(), KWIKPAISA_HEADERS)]) {
      const message = failed(verifyAt({ body: tampered, headers, secret: SECRET }), 'invalid_signature');
      assert.match(message, /raw request body bytes/);
      assert.match(message, /re-serialised/);
    }
  });

  it('refuses the same JSON re-serialised with other spacing', () => {
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    failed(verifyAt({ body: pretty, headers: signed(), secret: SECRET }), 'invalid_signature');
    failed(verifyAt({ body: pretty, headers: only(signed(), KWIKPAISA_HEADERS), secret: SECRET }), 'invalid_signature');
  });

  it('refuses a delivery signed with another secret, and says which key each convention uses', () => {
    assert.match(failed(verifyAt({ body: BODY, headers: signed([OTHER_SECRET]), secret: SECRET }), 'invalid_signature'), /base64-decoded/);
    assert.match(failed(verifyAt({ body: BODY, headers: only(signed([OTHER_SECRET]), KWIKPAISA_HEADERS), secret: SECRET }), 'invalid_signature'), /whole secret string/);
  });

  it('refuses a changed timestamp or webhook-id: both are signed', () => {
    const later = { ...signed(), 'webhook-timestamp': String(NOW + 1), 'x-timestamp': String(NOW + 1) };
    failed(verifyAt({ body: BODY, headers: later, secret: SECRET }), 'invalid_signature');
    failed(verifyAt({ body: BODY, headers: only(later, KWIKPAISA_HEADERS), secret: SECRET }), 'invalid_signature');
    failed(verifyAt({ body: BODY, headers: { ...signed(), 'webhook-id': 'evt_other' }, secret: SECRET }), 'invalid_signature');
  });

  it('uses the Standard Webhooks signature when those headers are present, even if the KwikPaisa one would verify', () => {
    const headers = { ...signed(), 'webhook-signature': signed([OTHER_SECRET])['webhook-signature']! };
    failed(verifyAt({ body: BODY, headers, secret: SECRET }), 'invalid_signature');
  });

  describe('during a secret roll overlap (two signatures, newest first)', () => {
    const headers = signed([NEW_SECRET, SECRET]);

    it('accepts a receiver holding only the old secret, only the new one, or both in either order', () => {
      for (const secret of [SECRET, NEW_SECRET, [SECRET, NEW_SECRET], [NEW_SECRET, SECRET], [OTHER_SECRET, SECRET]]) {
        assert.equal(verifyAt({ body: BODY, headers, secret }).ok, true, String(secret));
        assert.equal(verifyAt({ body: BODY, headers: only(headers, KWIKPAISA_HEADERS), secret }).ok, true, String(secret));
      }
    });

    it('still refuses a secret that is neither', () => {
      failed(verifyAt({ body: BODY, headers, secret: OTHER_SECRET }), 'invalid_signature');
      failed(verifyAt({ body: BODY, headers: only(headers, KWIKPAISA_HEADERS), secret: OTHER_SECRET }), 'invalid_signature');
    });

    for (const library of ['standardwebhooks', 'svix'] as const) {
      it(`is verified by ${library} with either secret`, () => {
        assert.equal(libraryVerifies(library, SECRET, BODY, headers, NOW), true);
        assert.equal(libraryVerifies(library, NEW_SECRET, BODY, headers, NOW), true);
        assert.notEqual(libraryVerifies(library, OTHER_SECRET, BODY, headers, NOW), true);
      });
    }
  });

  describe('timestamps', () => {
    it(`accepts a delivery exactly ${DEFAULT_WEBHOOK_TOLERANCE_SECONDS} seconds old or ahead, and refuses one second more`, () => {
      assert.equal(DEFAULT_WEBHOOK_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS);
      for (const headers of [signed(), only(signed(), KWIKPAISA_HEADERS)]) {
        assert.equal(verifyAt({ body: BODY, headers, secret: SECRET }, NOW + 300).ok, true);
        assert.equal(verifyAt({ body: BODY, headers, secret: SECRET }, NOW - 300).ok, true);
        assert.match(failed(verifyAt({ body: BODY, headers, secret: SECRET }, NOW + 301), 'timestamp_outside_tolerance'), /301 seconds old.*NTP/);
        assert.match(failed(verifyAt({ body: BODY, headers, secret: SECRET }, NOW - 301), 'timestamp_outside_tolerance'), /301 seconds in the future/);
      }
    });

    it('honours toleranceSeconds, and fails closed on a nonsensical one', () => {
      assert.equal(verifyAt({ body: BODY, headers: signed(), secret: SECRET, toleranceSeconds: 3600 }, NOW + 3600).ok, true);
      failed(verifyAt({ body: BODY, headers: signed(), secret: SECRET, toleranceSeconds: 10 }, NOW + 11), 'timestamp_outside_tolerance');
      for (const toleranceSeconds of [-1, NaN, '300' as unknown as number]) {
        failed(verifyAt({ body: BODY, headers: signed(), secret: SECRET, toleranceSeconds }), 'timestamp_outside_tolerance');
      }
    });

    it('uses the system clock when nowSeconds is left out', () => {
      const now = Math.floor(Date.now() / 1000);
      assert.equal(verifyWebhook({ body: BODY, headers: signed([SECRET], now), secret: SECRET }).ok, true);
      failed(verifyWebhook({ body: BODY, headers: signed([SECRET], now - 301), secret: SECRET }), 'timestamp_outside_tolerance');
    });

    it('explains a timestamp in milliseconds, naming the header and the value in seconds', () => {
      const ms = String(NOW * 1000);
      const standard = failed(verifyAt({ body: BODY, headers: { ...signed(), 'webhook-timestamp': ms }, secret: SECRET }), 'invalid_timestamp');
      assert.match(standard, /^webhook-timestamp 1778659835000 has 13 digits.*milliseconds.*\(here 1778659835\)/);
      const kwikpaisa = failed(verifyAt({ body: BODY, headers: { 'x-timestamp': ms, 'x-signature': signed()['x-signature']! }, secret: SECRET }), 'invalid_timestamp');
      assert.match(kwikpaisa, /^x-timestamp 1778659835000 has 13 digits/);
    });

    it('explains nowSeconds given in milliseconds', () => {
      assert.match(failed(verifyAt({ body: BODY, headers: signed(), secret: SECRET }, Date.now()), 'timestamp_outside_tolerance'), /nowSeconds .* looks like milliseconds/);
    });

    it('refuses a timestamp that is not whole seconds, without echoing it', () => {
      for (const bad of ['1778659834.5', '-1778659834', '2026-05-13T08:10:34Z', '<script>', ' 1778659834', '1778659834, 1778659834']) {
        const message = failed(verifyAt({ body: BODY, headers: { ...signed(), 'webhook-timestamp': bad }, secret: SECRET }), 'invalid_timestamp');
        assert.ok(!message.includes(bad), message);
        assert.match(message, /whole seconds/);
      }
    });
  });

  describe('headers', () => {
    it('reports missing headers, naming the ones it found (never their values)', () => {
      const message = failed(verifyAt({ body: BODY, headers: { 'webhook-id': EVENT_ID, 'x-timestamp': String(NOW) }, secret: SECRET }), 'missing_headers');
      assert.match(message, /Found: webhook-id, x-timestamp\./);
      assert.ok(!message.includes(EVENT_ID));
      assert.match(failed(verifyAt({ body: BODY, headers: {}, secret: SECRET }), 'missing_headers'), /Found: none of them/);
      assert.match(failed(verifyAt({ body: BODY, headers: { ...signed(), 'webhook-id': '', 'x-signature': '', 'x-webhook-signature': '' }, secret: SECRET }), 'missing_headers'), /Found: webhook-timestamp, webhook-signature, x-timestamp\./);
    });

    it('refuses a headers argument that is not headers', () => {
      for (const headers of [undefined, null, 'webhook-id: x', 42]) {
        failed(verifyAt({ body: BODY, headers: headers as never, secret: SECRET }), 'missing_headers');
      }
    });

    it('takes repeated headers as Node and proxies give them: arrays, or values joined by ", "', () => {
      const h = signed([NEW_SECRET]);
      const old = signed([SECRET]);
      const asArrays = { ...h, 'webhook-signature': [h['webhook-signature']!, old['webhook-signature']!], 'webhook-id': [EVENT_ID, EVENT_ID] };
      assert.equal(verifyAt({ body: BODY, headers: asArrays, secret: SECRET }).ok, true);
      const joined = new Headers(h);
      joined.append('webhook-signature', old['webhook-signature']!);
      joined.append('x-signature', old['x-signature']!);
      assert.equal(verifyAt({ body: BODY, headers: joined, secret: SECRET }).ok, true);
      joined.delete('webhook-signature');
      joined.delete('x-webhook-signature');
      assert.equal(verifyAt({ body: BODY, headers: joined, secret: SECRET }).ok, true);
    });
  });

  describe('signature formats', () => {
    it('accepts upper-case hex in x-signature', () => {
      const headers = only(signed(), KWIKPAISA_HEADERS);
      assert.equal(verifyAt({ body: BODY, headers: { 'x-timestamp': String(NOW), 'x-signature': headers['x-signature']!.toUpperCase() }, secret: SECRET }).ok, true);
    });

    it('ignores signature versions other than v1 (v1a is Standard Webhooks asymmetric signing)', () => {
      const genuine = signed()['webhook-signature']!;
      const headers = { ...signed(), 'webhook-signature': `v1a,${genuine.slice(3)} ${genuine}` };
      assert.equal(verifyAt({ body: BODY, headers, secret: SECRET }).ok, true);
      const onlyV1a = { ...signed(), 'webhook-signature': `v1a,${genuine.slice(3)}` };
      assert.match(failed(verifyAt({ body: BODY, headers: onlyV1a, secret: SECRET }), 'invalid_signature'), /no v1 signature/);
    });

    it('says what form is expected when no listed signature is well-formed', () => {
      const hex = signed()['x-signature']!;
      for (const bad of [hex, `v1,${hex}`, 'v1,', 'v1,AAAA', signed()['webhook-signature']!.slice(3)]) {
        assert.match(failed(verifyAt({ body: BODY, headers: { ...signed(), 'webhook-signature': bad }, secret: SECRET }), 'invalid_signature'), /"v1," \+ base64/);
      }
      for (const bad of [`sha256=${hex}`, hex.slice(0, 63), Buffer.from(hex, 'hex').toString('base64')]) {
        assert.match(failed(verifyAt({ body: BODY, headers: { 'x-timestamp': String(NOW), 'x-signature': bad }, secret: SECRET }), 'invalid_signature'), /64 hex characters/);
      }
    });
  });

  describe('secrets', () => {
    it('reports an invalid or missing secret as invalid_secret, explaining the shape and never echoing the value', () => {
      const cases: Array<[unknown, RegExp]> = [
        [undefined, /No webhook secret was given/],
        [[], /No webhook secret was given/],
        ['sk_test_8c1d2e3f4a5b6c7d8e9f0a1b', /This is an API key/],
        [SECRET.slice('whsec_'.length), /prefix is missing/],
        [`${SECRET}\n`, /surrounding whitespace/],
        ['whsec_tooshort', /not a webhook signing secret/],
        [42, /not a string/],
        [[SECRET, 'whsec_nope'], /^Secret 2 of 2 is not/],
      ];
      for (const [secret, expected] of cases) {
        const message = failed(verifyAt({ body: BODY, headers: signed(), secret: secret as string }), 'invalid_secret');
        assert.match(message, expected);
        for (const s of [SECRET, SECRET.slice(6), 'sk_test_8c1d2e3f4a5b6c7d8e9f0a1b', 'tooshort']) assert.ok(!message.includes(s), message);
      }
    });
  });

  it('refuses a parsed object as the body, explaining how to get the raw body', () => {
    const message = failed(verifyAt({ body: JSON.parse(BODY) as never, headers: signed(), secret: SECRET }), 'invalid_signature');
    assert.match(message, /raw request body/);
    assert.match(message, /express\.raw/);
  });

  it('never throws, and never puts a secret into a message, whatever it is given', () => {
    const hostile = [
      undefined,
      null,
      42,
      'x',
      {},
      { body: BODY },
      { body: BODY, headers: signed(), secret: SECRET, nowSeconds: 'now' },
      { body: BODY, headers: { get: () => 42 }, secret: SECRET },
      { body: BODY, headers: { get() { throw new Error(SECRET); } }, secret: SECRET },
      { body: BODY, headers: new Proxy({}, { ownKeys() { throw new Error('boom'); } }), secret: SECRET },
      { body: BODY, headers: { 'webhook-signature': [42, null], 'webhook-id': {}, 'webhook-timestamp': String(NOW) }, secret: SECRET },
      { body: 42, headers: signed(), secret: [SECRET, NEW_SECRET] },
      { body: BODY, headers: signed(), secret: new Proxy([], { get() { throw new Error(SECRET); } }) },
    ];
    const codes = new Set<string>();
    for (const input of hostile) {
      const result = verifyWebhook(input as VerifyWebhookInput);
      assert.equal(result.ok, false);
      if (result.ok) continue;
      codes.add(result.code);
      assert.ok(WEBHOOK_VERIFY_FAILURE_CODES.includes(result.code));
      for (const s of [SECRET, NEW_SECRET, SECRET.slice(6)]) assert.ok(!result.message.includes(s), result.message);
    }
    assert.ok(codes.size >= 3, [...codes].join());
  });
});

describe('the unmodified libraries refuse what verifyWebhook refuses', () => {
  const headers = signed();
  const cases: Array<[string, { secret?: string; body?: string; headers?: Record<string, string>; now?: number }, WebhookVerifyFailureCode, RegExp]> = [
    ['a tampered body', { body: BODY.replace('105.00', '1.00') }, 'invalid_signature', /No matching signature/],
    ['the wrong secret', { secret: OTHER_SECRET }, 'invalid_signature', /No matching signature/],
    ['a stale timestamp (301 s old)', { now: NOW + 301 }, 'timestamp_outside_tolerance', /too old/],
    ['a timestamp in milliseconds', { headers: { ...headers, 'webhook-timestamp': String(NOW * 1000) } }, 'invalid_timestamp', /too new/],
  ];
  for (const [name, change, code, thrown] of cases) {
    it(`${name}: ${code}, and standardwebhooks and svix throw ${thrown.source}`, () => {
      const secret = change.secret ?? SECRET;
      const body = change.body ?? BODY;
      const h = change.headers ?? headers;
      const now = change.now ?? NOW;
      failed(verifyAt({ body, headers: h, secret }, now), code);
      for (const library of ['standardwebhooks', 'svix'] as const) assert.match(String(libraryVerifies(library, secret, body, h, now)), thrown, library);
    });
  }
});

describe('the package index', () => {
  it('exports the webhook API', () => {
    assert.equal(index.signWebhook, signWebhook);
    assert.equal(index.verifyWebhook, verifyWebhook);
    assert.equal(index.isWebhookSecret, isWebhookSecret);
    assert.equal(index.WEBHOOK_SECRET_PREFIX, 'whsec_');
    assert.equal(index.WEBHOOK_VERIFY_FAILURE_CODES, WEBHOOK_VERIFY_FAILURE_CODES);
    assert.equal(index.DEFAULT_WEBHOOK_TOLERANCE_SECONDS, 300);
  });
});

describe('README.md, Webhooks section', () => {
  const start = readme.indexOf('## Webhooks');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const tested = new Map([...section.matchAll(/<!-- tested: ([a-z0-9-]+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));

  it('documents every webhook failure code in its table, in the order the checks run, and no other', () => {
    assert.ok(start > 0);
    const documented = [...section.matchAll(/^\| \d+ \| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented, [...WEBHOOK_VERIFY_FAILURE_CODES]);
  });

  it('shows a worked example taken from test-vectors.json', () => {
    const v = vectors[0]!;
    for (const value of [v.secrets[0]!, v.event_id, v.timestamp, v.headers['webhook-signature']!]) assert.ok(section.includes(value), value);
  });

  it('gives openssl commands that, run as written, reproduce both signatures of that example', () => {
    const v = vectors[0]!;
    const script = tested.get('webhook-openssl');
    assert.ok(script, 'a block marked <!-- tested: webhook-openssl -->');
    const ws = new OpensslWorkspace();
    try {
      const lines = ws.sh(`${script}printf '%s\\n' "$HEX_SIG" "$STD_SIG"\n`).split('\n');
      assert.equal(lines[0], v.headers['webhook-signature'], 'what the block echoes first');
      const [hex, standard] = lines.slice(-2);
      assert.equal(hex, v.headers['x-signature']);
      assert.equal(standard, v.headers['webhook-signature']);
    } finally {
      ws.dispose();
    }
  });
});
