import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { assertRefused } from '../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { HSTS_HEADER_VALUE } from './https-only.js';
import { CHECKOUT_CSP, checkoutCspWithFormTarget, DOCS_CSP, JSON_CSP, SECURITY_HEADERS, securityHeadersFor } from './security-headers.js';

const pglite = BACKENDS.find((b) => b.name === 'pglite');
if (!pglite) throw new Error('the PGlite back-end is missing');

function assertAlwaysHeaders(res: LightMyRequestResponse): void {
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-frame-options'], 'DENY');
}

function assertJsonHeaders(res: LightMyRequestResponse): void {
  assertAlwaysHeaders(res);
  assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
}

describe('securityHeadersFor', () => {
  it('keeps /api/ and /admin/ replies out of every cache', () => {
    for (const url of ['/api/v3/pg/order/create', '/api/nowhere', '/admin/v1/merchants?x=1']) {
      assert.ok(securityHeadersFor(url).some(([name, value]) => name === 'cache-control' && value === 'no-store'), url);
    }
    for (const url of ['/healthz', '/openapi.json', '/docs', '/apix']) {
      assert.ok(!securityHeadersFor(url).some(([name]) => name === 'cache-control'), url);
    }
  });

  it('gives the docs pages their own policy and everything else the JSON one', () => {
    const csp = (url: string) => securityHeadersFor(url).find(([name]) => name === 'content-security-policy')?.[1];
    for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui.css', '/docs/json', '/docs?x=1']) assert.equal(csp(url), DOCS_CSP, url);
    for (const url of ['/docsx', '/healthz', '/api/v3/pg/order/create', '/']) assert.equal(csp(url), JSON_CSP, url);
  });

  it('lets the docs page run without unsafe-inline or any other origin', () => {
    assert.doesNotMatch(DOCS_CSP, /unsafe-inline|unsafe-eval|https:|\*/);
    assert.match(DOCS_CSP, /frame-ancestors 'none'/);
    assert.match(DOCS_CSP, /object-src 'none'/);
  });

  it('gives every /checkout/ URL the checkout set, and nothing else gets it', () => {
    for (const url of ['/checkout/ord_0123456789abcdef01234567/tok', '/checkout/assets/checkout.css', '/checkout/', '/checkout/x?y=1']) {
      assert.equal(securityHeadersFor(url), SECURITY_HEADERS.checkout, url);
    }
    assert.equal(securityHeadersFor('/checkout'), SECURITY_HEADERS.other);
    assert.equal(securityHeadersFor('/checkoutx/a'), SECURITY_HEADERS.other);
    assert.equal(securityHeadersFor('/api/checkout/'), SECURITY_HEADERS.api);
  });

  it('lets the checkout run no script and no inline style, post its forms only to us, and never be framed', () => {
    const csp = new Map(securityHeadersFor('/checkout/a/b')).get('content-security-policy') ?? '';
    assert.equal(csp, CHECKOUT_CSP);
    for (const policy of [csp, checkoutCspWithFormTarget('https://merchant.example') ?? '']) {
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|unsafe-hashes|\*|data:|script-src/, policy);
      assert.match(policy, /^default-src 'none'(;|$)/, 'what is not listed (scripts included) is refused');
      assert.match(policy, /(^|; )frame-ancestors 'none'(;|$)/);
      assert.match(policy, /(^|; )base-uri 'none'(;|$)/);
      assert.match(policy, /(^|; )style-src 'self'(;|$)/);
    }
    // form-action does not fall back to default-src, so it must be stated: our own origin, nothing more.
    assert.match(csp, /(^|; )form-action 'self'$/);
  });

  it('keeps checkout pages out of every cache, since they embed a CSRF field and show an order', () => {
    assert.equal(new Map(SECURITY_HEADERS.checkout).get('cache-control'), 'no-store');
  });

  it("sends a checkout Referer only to the checkout's own origin: same-origin, not no-referrer", () => {
    // Under no-referrer Chromium sends `Origin: null` with the page's own form POST, which the checkout's Origin check refuses.
    const checkout = new Map(SECURITY_HEADERS.checkout);
    assert.equal(checkout.get('referrer-policy'), 'same-origin');
    assert.equal(checkout.get('x-content-type-options'), 'nosniff');
    assert.equal(checkout.get('x-frame-options'), 'DENY');
    assert.deepEqual([...checkout.keys()].sort(), ['cache-control', 'content-security-policy', 'referrer-policy', 'x-content-type-options', 'x-frame-options']);
  });

  it('leaves the /api/ and /docs sets as they were: no-referrer everywhere, no-store on the API only', () => {
    assert.deepEqual(
      [...SECURITY_HEADERS.api],
      [
        ['x-content-type-options', 'nosniff'],
        ['referrer-policy', 'no-referrer'],
        ['x-frame-options', 'DENY'],
        ['content-security-policy', JSON_CSP],
        ['cache-control', 'no-store'],
      ],
    );
    assert.deepEqual(
      [...SECURITY_HEADERS.docs],
      [
        ['x-content-type-options', 'nosniff'],
        ['referrer-policy', 'no-referrer'],
        ['x-frame-options', 'DENY'],
        ['content-security-policy', DOCS_CSP],
      ],
    );
    assert.equal(securityHeadersFor('/api/v3/pg/order/create'), SECURITY_HEADERS.api);
    assert.equal(securityHeadersFor('/admin/v1/merchants'), SECURITY_HEADERS.api);
    assert.equal(securityHeadersFor('/docs/'), SECURITY_HEADERS.docs);
  });
});

describe('security headers on the gateway, sandbox mode', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(pglite);
  });
  after(() => gw?.close());

  it('are on a successful JSON reply, with no-store on /api/ and no HSTS', async () => {
    const res = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() });
    assert.equal(res.statusCode, 200, res.body);
    assertJsonHeaders(res);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['strict-transport-security'], undefined, 'HSTS is for production only');
  });

  it('are on an error reply', async () => {
    const res = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody(), signWith: { secret: 'sk_test_wrong' } });
    assertRefused(res, 401, 'invalid_signature');
    assertJsonHeaders(res);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('are on a 404 and on the health check', async () => {
    for (const url of ['/nowhere', '/healthz']) {
      const res = await gw.gateway.app.inject({ method: 'GET', url });
      assertJsonHeaders(res);
      assert.equal(res.headers['cache-control'], undefined, url);
    }
  });

  it('are on admin replies, with no-store', async () => {
    const res = await gw.admin('GET', '/admin/v1/merchants');
    assert.equal(res.statusCode, 200, res.body);
    assertJsonHeaders(res);
    assert.equal(res.headers['cache-control'], 'no-store');
    const refused = await gw.admin('GET', '/admin/v1/merchants', undefined, 'x'.repeat(40));
    assert.equal(refused.statusCode, 401);
    assertJsonHeaders(refused);
    assert.equal(refused.headers['cache-control'], 'no-store');
  });

  it('give the swagger-ui page a policy it can work with, not the JSON one', async () => {
    const page = await gw.gateway.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assertAlwaysHeaders(page);
    assert.equal(page.headers['content-security-policy'], DOCS_CSP);
    // The page loads only same-origin scripts and styles and has none inline, which is what DOCS_CSP allows.
    assert.doesNotMatch(page.body, /<script>|<script [^>]*>[^<\s]|<style|style="|\son[a-z]+=/i);
    for (const src of page.body.matchAll(/(?:src|href)="([^"]+)"/g)) assert.doesNotMatch(src[1] ?? '', /^(https?:)?\/\//, 'no other origin');
    const asset = await gw.gateway.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['content-security-policy'], DOCS_CSP);
  });

  function assertCheckoutHeaders(res: LightMyRequestResponse): void {
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'same-origin');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['cache-control'], 'no-store');
    const csp = String(res.headers['content-security-policy']);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /form-action 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  }

  it('are the checkout set on a payment page, its merchant origin added to form-action only', async () => {
    const created = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() });
    assert.equal(created.statusCode, 200, created.body);
    const page = await gw.gateway.app.inject({ method: 'GET', url: new URL(created.json().return_data.payment_link).pathname });
    assert.equal(page.statusCode, 200, page.body);
    assertCheckoutHeaders(page);
    assert.equal(page.headers['content-security-policy'], checkoutCspWithFormTarget('https://merchant.example'));
  });

  it('are the checkout set on a checkout 404, with exactly the base policy', async () => {
    const res = await gw.gateway.app.inject({ method: 'GET', url: '/checkout/ord_000000000000000000000000/nope' });
    assert.equal(res.statusCode, 404);
    assertCheckoutHeaders(res);
    assert.equal(res.headers['content-security-policy'], CHECKOUT_CSP);
  });
});

describe('security headers on the gateway, production mode', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(pglite, { TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: '127.0.0.1' });
  });
  after(() => gw?.close());

  it('add HSTS to HTTPS replies, successful or not', async () => {
    const ok = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody(), headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assertJsonHeaders(ok);
    assert.equal(ok.headers['strict-transport-security'], HSTS_HEADER_VALUE);
    const refused = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody(), headers: { 'x-forwarded-proto': 'https', 'x-signature': 'abc' } });
    assertRefused(refused, 401, 'malformed_signature');
    assert.equal(refused.headers['strict-transport-security'], HSTS_HEADER_VALUE);
  });

  it('are on the https_required refusal too, which carries no HSTS (plain HTTP)', async () => {
    const res = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() });
    assertRefused(res, 403, 'https_required');
    assertJsonHeaders(res);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['strict-transport-security'], undefined);
  });
});
