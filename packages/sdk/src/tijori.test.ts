import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { TijoriAuthenticationError } from './errors.js';
import { failure, scriptedFetch } from './test-support/scripted-fetch.js';
import { Tijori, type TijoriOptions } from './tijori.js';

const SECRET = 'sk_test_never_print_me_0123456789';
const base: TijoriOptions = { apiKey: 'pk_test_abc', secretKey: SECRET, baseUrl: 'https://gw.example' };

describe('new Tijori(options)', () => {
  it('refuses options it cannot work with, saying what to change', () => {
    const cases: Array<[Partial<TijoriOptions>, RegExp]> = [
      [{ apiKey: 'sk_test_abc' }, /apiKey is a secret key/],
      [{ apiKey: 'abc' }, /pk_test_/],
      [{ secretKey: undefined }, /exactly one of secretKey/],
      [{ privateKey: 'x' }, /exactly one of secretKey/],
      [{ secretKey: `${SECRET}\n` }, /whitespace/],
      [{ baseUrl: 'gw.example' }, /absolute address/],
      [{ baseUrl: 'ftp://gw.example' }, /http\(s\)/],
      [{ baseUrl: 'https://user:pw@gw.example' }, /credentials/],
      [{ signatureVersion: 'v3' as 'v2' }, /'v1' or 'v2'/],
      [{ secretKey: undefined, privateKey: 'pem', signatureVersion: 'v1' }, /v2' only/],
      [{ timeoutMs: 0 }, /timeoutMs/],
      [{ maxRetries: -1 }, /maxRetries/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => new Tijori({ ...base, ...change }), (err: Error) => err instanceof TypeError && message.test(err.message) && !err.message.includes(SECRET), JSON.stringify(change));
    }
  });

  it('never shows the secret: not in inspect, JSON, String, nor in the requests beyond the signature', async () => {
    const fetch = scriptedFetch([failure(401, 'invalid_signature')]);
    const tijori = new Tijori({ ...base, fetch });
    for (const view of [inspect(tijori, { showHidden: true, depth: 10 }), JSON.stringify(tijori), String(tijori), inspect(tijori.orders, { showHidden: true, depth: 10 })]) {
      assert.ok(!view.includes(SECRET) && !view.includes('never_print'), view);
    }
    assert.equal(JSON.stringify(tijori), '{"apiKey":"pk_test_abc","baseUrl":"https://gw.example","signatureVersion":"v2"}');
    const err = await tijori.orders.status('a').catch((e: unknown) => e);
    assert.ok(err instanceof TijoriAuthenticationError);
    assert.ok(!inspect(err, { depth: 10 }).includes(SECRET));
    assert.ok(!JSON.stringify(fetch.sent).includes(SECRET));
  });
});
