import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createMerchant } from '../../core/merchants.js';
import { BACKENDS } from '../../test-support/backends.js';
import { BASE_URL, orderBody, startTestGateway, type TestGateway, type TestKey } from '../../test-support/test-gateway.js';
import { CHECKOUT_CSP, checkoutCspWithFormTarget } from '../security-headers.js';
import { CSRF_COOKIE, readCsrfCookies } from './checkout-csrf.js';
import { escapeHtml } from './checkout-page.js';

const CREATE = '/api/v3/pg/order/create';
const STATUS = '/api/v3/pg/order/status';
const FORM = 'application/x-www-form-urlencoded';

describe('checkout helpers', () => {
  it('escapes every character that could leave a text node or a quoted attribute', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('reads only well-formed values of its own cookie', () => {
    const good = 'a'.repeat(43);
    assert.deepEqual(readCsrfCookies(`other=1; ${CSRF_COOKIE}=${good}; x=2`), [good]);
    assert.deepEqual(readCsrfCookies(`${CSRF_COOKIE}=short; ${CSRF_COOKIE}x=${good}`), []);
    assert.deepEqual(readCsrfCookies(undefined), []);
  });

  it('never writes an origin into the policy that could end the directive', () => {
    assert.match(checkoutCspWithFormTarget('https://shop.example:8443') ?? '', /form-action 'self' https:\/\/shop\.example:8443$/);
    for (const origin of ["http://a;script-src 'unsafe-inline'", 'http://a,b', 'http://a*b', 'null']) assert.equal(checkoutCspWithFormTarget(origin), undefined, origin);
  });
});

for (const backend of BACKENDS) {
  describe(`hosted checkout on ${backend.name}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startTestGateway(backend);
    });
    after(async () => {
      await gw?.close();
    });

    interface Created {
      orderRef: string;
      gatewayId: string;
      /** The payment link's path (the test base URL is https://gateway.test; inject needs the path). */
      path: string;
    }

    async function createOrder(overrides: Record<string, unknown> = {}, key: TestKey = gw.sandbox): Promise<Created> {
      gw.clock.advanceSeconds(1);
      const body = orderBody(overrides);
      const res = await gw.send({ path: CREATE, body, key });
      assert.equal(res.statusCode, 200, res.body);
      const data = res.json().return_data;
      const link = new URL(data.payment_link);
      assert.equal(link.origin, BASE_URL);
      return { orderRef: String(body.order_id), gatewayId: data.gateway_order_id, path: link.pathname };
    }

    function get(path: string, cookie?: string): Promise<LightMyRequestResponse> {
      return gw.gateway.app.inject({ method: 'GET', url: path, headers: cookie ? { cookie } : {} });
    }

    /** The page's cookie (name=value) and hidden CSRF field, as a browser would keep and submit them. */
    async function openForm(path: string): Promise<{ cookie: string; csrf: string; page: LightMyRequestResponse }> {
      const page = await get(path);
      assert.equal(page.statusCode, 200, page.body);
      const setCookie = String(page.headers['set-cookie'] ?? '');
      const csrf = /<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.body)?.[1];
      assert.ok(setCookie && csrf, 'the form page sets a cookie and embeds the field');
      return { cookie: setCookie.split(';')[0] ?? '', csrf, page };
    }

    function post(path: string, fields: Record<string, string> | string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
      const payload = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
      return gw.gateway.app.inject({ method: 'POST', url: path, payload, headers: { 'content-type': FORM, ...headers } });
    }

    async function statusOf(orderRef: string, key: TestKey = gw.sandbox) {
      gw.clock.advanceSeconds(1);
      const res = await gw.send({ path: STATUS, body: { order_id: orderRef }, key });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().return_data;
    }

    function assertHtml(res: LightMyRequestResponse, status: number): void {
      assert.equal(res.statusCode, status, res.body);
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.match(res.body, /^<!doctype html>/);
    }

    const buttons = (html: string) => [...html.matchAll(/<button[^>]*name="outcome" value="([a-z]+)"/g)].map((m) => m[1]);

    it('shows the merchant name, the amount and currency, three methods and three outcome buttons', async () => {
      const order = await createOrder({ order_amount: '1234.50' });
      const { page } = await openForm(order.path);
      assertHtml(page, 200);
      assert.match(page.body, /<p class="merchant">Sandbox merchant<\/p>/);
      assert.match(page.body, /<span class="currency">INR<\/span> 1234\.50/);
      assert.match(page.body, new RegExp(`<dd>${order.orderRef}</dd>`));
      for (const method of ['UPI', 'CARD', 'NET_BANKING']) assert.match(page.body, new RegExp(`type="radio" name="payment_method" value="${method}"`));
      assert.deepEqual(buttons(page.body), ['success', 'failed', 'processing']);
      assert.match(page.body, new RegExp(`<form method="post" action="${order.path}">`));
    });

    it('formats amounts with the currency\'s own minor digits', async () => {
      const order = await createOrder({ order_amount: '500', order_currency: 'JPY' });
      const page = await get(order.path);
      assert.match(page.body, /<span class="currency">JPY<\/span> 500</);
    });

    it('sets an HttpOnly, SameSite=Strict, /checkout/-scoped cookie, Secure because the public URL is https, and reuses it', async () => {
      const order = await createOrder();
      const page = await get(order.path);
      const setCookie = String(page.headers['set-cookie']);
      assert.match(setCookie, new RegExp(`^${CSRF_COOKIE}=[A-Za-z0-9_-]{43}; Path=/checkout/; HttpOnly; SameSite=Strict; Secure$`));
      const again = await get(order.path, setCookie.split(';')[0]);
      assert.equal(again.headers['set-cookie'], undefined, 'an existing cookie is kept, so two tabs both work');
    });

    it('sends a strict policy with no inline script or style, no caching, and no referrer to other sites', async () => {
      const order = await createOrder();
      const page = await get(order.path);
      const csp = String(page.headers['content-security-policy']);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /base-uri 'none'/);
      assert.match(csp, /style-src 'self'/);
      // The redirect after the POST must be allowed to reach the merchant's origin.
      assert.match(csp, /form-action 'self' https:\/\/merchant\.example(;|$)/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['referrer-policy'], 'same-origin');
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      // What the policy forbids, the page does not need: no script, no inline style, no event handler, nothing from elsewhere.
      assert.doesNotMatch(page.body, /<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
      for (const ref of page.body.matchAll(/(?:src|href)="([^"]+)"/g)) assert.doesNotMatch(ref[1] ?? '', /^(https?:)?\/\//);

      const css = await get('/checkout/assets/checkout.css');
      assert.equal(css.statusCode, 200);
      assert.match(String(css.headers['content-type']), /^text\/css/);
      assert.equal(css.headers['content-security-policy'], CHECKOUT_CSP);
      assert.match(css.body, /\.pay\s*\{/);
    });

    it('answers one generic 404 page for a bad token, a forged token and an unknown order, without reading further', async () => {
      const order = await createOrder();
      const token = order.path.split('/')[3] ?? '';
      const unknownId = 'ord_000000000000000000000000';
      const replies = await Promise.all([
        get(`/checkout/${order.gatewayId}/${token.slice(0, -1)}x`),
        get(`/checkout/${order.gatewayId}/${'A'.repeat(43)}`),
        // Longer than any token we make (Fastify's router answers 414 itself past 100 characters).
        get(`/checkout/${order.gatewayId}/${'A'.repeat(90)}`),
        get(`/checkout/${unknownId}/${gw.gateway.keyring.paymentLinkToken(unknownId)}`),
        get(`/checkout/${order.gatewayId}`),
      ]);
      const bodies = new Set<string>();
      for (const res of replies) {
        assertHtml(res, 404);
        assert.equal(res.headers['set-cookie'], undefined);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.doesNotMatch(res.body, /Sandbox merchant|105\.00|ord_/);
        bodies.add(res.body);
      }
      assert.equal(bodies.size, 1, 'every dead link looks the same');
      assertHtml(await post(`/checkout/${order.gatewayId}/${'A'.repeat(43)}`, { outcome: 'success', payment_method: 'UPI', csrf: 'x' }), 404);
    });

    it('answers 404 once the order has expired (the link expires with it), to GET and POST alike', async () => {
      const order = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      gw.clock.advanceSeconds(1801);
      assertHtml(await get(order.path), 404);
      assertHtml(await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie }), 404);
      assert.equal((await statusOf(order.orderRef)).order_status, 'EXPIRED');
    });

    it('refuses a POST (403) without the cookie, without the field, or with a field made for another cookie or order', async () => {
      const order = await createOrder();
      const other = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      const { cookie: otherCookie, csrf: otherCsrf } = await openForm(other.path);
      const fields = { outcome: 'success', payment_method: 'UPI' };
      const refusals = [
        await post(order.path, { ...fields, csrf }),
        await post(order.path, fields, { cookie }),
        await post(order.path, { ...fields, csrf: otherCsrf }, { cookie }),
        await post(order.path, { ...fields, csrf }, { cookie: otherCookie }),
        await post(order.path, { ...fields, csrf: otherCsrf }, { cookie: otherCookie }),
        await post(order.path, `${new URLSearchParams(fields)}&csrf=${csrf}&csrf=${csrf}`, { cookie }),
      ];
      for (const res of refusals) {
        assertHtml(res, 403);
        assert.match(res.body, /could not confirm/);
      }
      assert.equal((await statusOf(order.orderRef)).order_status, 'UN_PAID', 'nothing changed');
      assert.ok(gw.logs.some((l) => l.includes('failed the CSRF check')));
    });

    it('refuses a POST (403) whose Origin is another site, or null, even with a valid cookie and field', async () => {
      const order = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      for (const origin of ['https://evil.example', 'null', 'http://gateway.test', 'https://gateway.test:444']) {
        assertHtml(await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie, origin }), 403);
      }
      assert.equal((await statusOf(order.orderRef)).order_status, 'UN_PAID');
    });

    it('pays: 303 to the return_url keeping its query and adding order_id and status; the status API then reports PAID with the attempt', async () => {
      const order = await createOrder({ return_url: 'https://merchant.example/thanks?cart=7&lang=hi#top' });
      const { cookie, csrf } = await openForm(order.path);
      const res = await post(order.path, { outcome: 'success', payment_method: 'CARD', csrf }, { cookie, origin: BASE_URL });
      assert.equal(res.statusCode, 303, res.body);
      const location = new URL(String(res.headers.location));
      assert.equal(`${location.origin}${location.pathname}`, 'https://merchant.example/thanks');
      assert.equal(location.searchParams.get('cart'), '7');
      assert.equal(location.searchParams.get('lang'), 'hi');
      assert.equal(location.searchParams.get('order_id'), order.orderRef);
      assert.equal(location.searchParams.get('status'), 'PAID');
      assert.equal(location.hash, '#top');

      const data = await statusOf(order.orderRef);
      assert.equal(data.order_status, 'PAID');
      assert.equal(data.payment.payment_method, 'CARD');
      assert.equal(data.payment.payment_status, 'PAID');
      assert.match(data.payment.payment_id, /^pay_/);
      assert.match(data.payment.bank_reference, /^SBX/);

      // Coming back to the link shows the result, a way back to the merchant, and no buttons.
      const page = await get(order.path, cookie);
      assertHtml(page, 200);
      assert.match(page.body, /Payment successful/);
      assert.deepEqual(buttons(page.body), []);
      assert.doesNotMatch(page.body, /<form/);
      assert.match(page.body, /href="https:\/\/merchant\.example\/thanks\?cart=7&amp;lang=hi&amp;order_id=[^"]+&amp;status=PAID#top"/);
    });

    it('without a return_url, redirects back to the page, which shows the result', async () => {
      const order = await createOrder({ return_url: undefined });
      const { cookie, csrf } = await openForm(order.path);
      const res = await post(order.path, { outcome: 'failed', payment_method: 'NET_BANKING', csrf }, { cookie });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, order.path);
      const page = await get(order.path, cookie);
      assert.match(page.body, /Payment failed/);
      assert.deepEqual(buttons(page.body), []);
      assert.doesNotMatch(page.body, /Return to/);
      assert.equal(page.headers['content-security-policy'], CHECKOUT_CSP, 'no other origin is admitted when there is nowhere to return to');
    });

    it('leaves an order processing, then completes that same attempt from the page (no second "processing" button)', async () => {
      const order = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      const parked = await post(order.path, { outcome: 'processing', payment_method: 'UPI', csrf }, { cookie });
      assert.equal(parked.statusCode, 303);
      assert.equal(new URL(String(parked.headers.location)).searchParams.get('status'), 'PROCESSING');
      const first = await statusOf(order.orderRef);
      assert.equal(first.order_status, 'PROCESSING');

      const page = await get(order.path, cookie);
      assert.deepEqual(buttons(page.body), ['success', 'failed']);
      assert.match(page.body, /<input type="hidden" name="payment_method" value="UPI">/);
      const paid = await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie });
      assert.equal(paid.statusCode, 303);
      const done = await statusOf(order.orderRef);
      assert.equal(done.order_status, 'PAID');
      assert.equal(done.payment.payment_id, first.payment.payment_id);
    });

    it('refuses an illegal transition with a clear 409 page, logs it, and changes nothing', async () => {
      const order = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      assert.equal((await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie })).statusCode, 303);
      const res = await post(order.path, { outcome: 'failed', payment_method: 'UPI', csrf }, { cookie });
      assertHtml(res, 409);
      assert.match(res.body, /This order is PAID; it can no longer become FAILED\./);
      assert.match(res.body, new RegExp(`href="${order.path}"`));
      assert.ok(gw.logs.some((l) => l.includes('"level":40') && l.includes('refused an illegal order transition') && l.includes(order.gatewayId)));
      assert.equal((await statusOf(order.orderRef)).order_status, 'PAID');
    });

    it('answers bad input with a 4xx HTML page, never a 500', async () => {
      const order = await createOrder();
      const { cookie, csrf } = await openForm(order.path);
      const bad: Array<[string, Record<string, string> | string, number]> = [
        ['no outcome', { payment_method: 'UPI', csrf }, 400],
        ['unknown outcome', { outcome: 'refunded', payment_method: 'UPI', csrf }, 400],
        ['no method', { outcome: 'success', csrf }, 400],
        ['unknown method', { outcome: 'success', payment_method: 'CASH', csrf }, 400],
        ['repeated outcome', `outcome=success&outcome=failed&payment_method=UPI&csrf=${csrf}`, 400],
        ['broken encoding', `outcome=%ZZ%&payment_method=%E0%A4&csrf=${csrf}`, 400],
      ];
      for (const [name, fields, status] of bad) {
        const res = await post(order.path, fields, { cookie });
        assert.equal(res.statusCode, status, name);
        assertHtml(res, status);
      }
      const json = await gw.gateway.app.inject({ method: 'POST', url: order.path, payload: JSON.stringify({ outcome: 'success' }), headers: { cookie, 'content-type': 'application/json' } });
      assertHtml(json, 415);
      const huge = await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf, pad: 'x'.repeat(5000) }, { cookie });
      assertHtml(huge, 413);
      assert.equal((await statusOf(order.orderRef)).order_status, 'UN_PAID');
    });

    it('shows a live order as not payable here, with no form or cookie, and refuses its POST with 403', async () => {
      const order = await createOrder({ return_url: 'https://merchant.example/live' }, gw.live);
      const page = await get(order.path);
      assertHtml(page, 200);
      assert.match(page.body, /Live orders are not paid on the sandbox checkout/);
      assert.match(page.body, /Live merchant/);
      assert.deepEqual(buttons(page.body), []);
      assert.doesNotMatch(page.body, /<form|<button/);
      assert.equal(page.headers['set-cookie'], undefined);
      // Even a correctly signed double-submit (which the page never hands out) is refused for a live order.
      const cookieValue = 'b'.repeat(43);
      const csrf = gw.gateway.keyring.checkoutCsrfToken(cookieValue, order.gatewayId);
      const res = await post(order.path, { outcome: 'success', payment_method: 'CARD', csrf }, { cookie: `${CSRF_COOKIE}=${cookieValue}` });
      assertHtml(res, 403);
      assert.match(res.body, /Live orders are not paid on the sandbox checkout/);
      assert.equal((await statusOf(order.orderRef, gw.live)).order_status, 'UN_PAID');
    });

    it('escapes a hostile merchant name, note and order id everywhere they appear', async () => {
      const hostile = `<script>alert(1)</script><img src=x onerror="alert(2)">'&`;
      const creds = await createMerchant(gw.gateway.db, gw.gateway.keyring, gw.clock, { name: `Evil ${hostile}`, mode: 'test' });
      const key: TestKey = { merchantId: creds.merchantId, keyId: creds.keyId, apiKey: creds.apiKey, secretKey: creds.secretKey.reveal() };
      const order = await createOrder({ order_id: 'a#b/c:d', order_note: `note ${hostile}`, return_url: 'https://merchant.example/r?q="><script>x</script>' }, key);
      const page = await get(order.path);
      assertHtml(page, 200);
      assert.doesNotMatch(page.body, /<script|<img|onerror="/i);
      assert.ok(page.body.includes(`Evil ${escapeHtml(hostile)}`));
      assert.ok(page.body.includes(`note ${escapeHtml(hostile)}`));
      assert.ok(page.body.includes('<dd>a#b/c:d</dd>'));
      assert.ok(page.body.includes(`<title>Pay Evil ${escapeHtml(hostile)}</title>`));
      const { cookie, csrf } = await openForm(order.path);
      await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie });
      const done = await get(order.path, cookie);
      assert.doesNotMatch(done.body, /<script|<img/i, 'the return link is escaped too');
      assert.match(done.body, /Return to Evil &lt;script&gt;/);
    });

    it('keeps the link token out of the logs', async () => {
      const order = await createOrder();
      const token = order.path.split('/')[3] ?? '';
      const { cookie, csrf } = await openForm(order.path);
      await post(order.path, { outcome: 'success', payment_method: 'UPI', csrf }, { cookie });
      const lines = gw.logs.filter((l) => l.includes(order.gatewayId));
      assert.ok(lines.some((l) => l.includes('[redacted]')), 'the requests were logged');
      assert.ok(!gw.logs.some((l) => l.includes(token) || l.includes(csrf)), 'but never the token or the CSRF field');
    });

    it('answers unknown /checkout/ paths with the HTML 404 and stays out of the OpenAPI document', async () => {
      assertHtml(await get('/checkout/nothing/here/at/all'), 404);
      const doc = (await gw.gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.deepEqual(Object.keys(doc.paths).filter((p) => p.startsWith('/checkout')), []);
    });
  });
}
