import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { loadConfig } from '../config/load-config.js';
import { createEndpoint } from '../core/webhook-endpoints.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import { freePort } from '../test-support/free-port.js';

/**
 * The hosted checkout in a real browser: what inject() cannot show is that
 * Chromium accepts the page's policy (the stylesheet loads, nothing is
 * refused), that the form POST passes the Origin and cookie checks as a
 * browser really sends them, and that the redirect to the merchant's
 * (cross-origin) return_url is allowed by form-action. The first test is
 * the whole sandbox payment end to end: pay in the browser, receive the
 * signed webhook, verify it, read the status.
 */
const CHROMIUM = '/usr/bin/chromium';

interface Credentials {
  merchant_id: string;
  api_key: string;
  secret_key: string;
}

/** A merchant's site on its own origin: records what reaches its return_url, and the webhooks POSTed to /webhooks. */
interface MerchantSite {
  origin: string;
  visits: Array<{ url: string; referer: string | undefined }>;
  webhooks: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function startMerchantSite(): Promise<MerchantSite> {
  const visits: MerchantSite['visits'] = [];
  const webhooks: MerchantSite['webhooks'] = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/webhooks') {
      // The raw bytes, as a receiver must verify them.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        webhooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
      return;
    }
    visits.push({ url: req.url ?? '', referer: req.headers.referer });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Merchant</title><h1>Thanks for your order</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    visits,
    webhooks,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let browser: Browser;
let merchant: MerchantSite;

before(async () => {
  // A missing browser is a broken test environment, not a reason to pass quietly.
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install the Debian "chromium" package. The checkout browser test needs it and never skips.`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  merchant = await startMerchantSite();
});

after(async () => {
  await browser?.close();
  await merchant?.close();
});

for (const backend of BACKENDS) {
  describe(`checkout in headless Chromium, gateway listening on ${backend.name}`, () => {
    let opened: OpenedBackend;
    let gateway: Gateway;
    let base: string;
    let creds: Credentials;
    let webhookSecret = '';
    const logs: string[] = [];

    before(async () => {
      opened = await backend.open();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const config = loadConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-checkout-e2e-')),
        TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
        TIJORI_PUBLIC_BASE_URL: base,
      });
      gateway = await startGateway(config, { db: opened.db, logger: createLogger('warn', { write: (line: string) => void logs.push(line) }) });
      creds = JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8')) as Credentials;
      // The merchant's webhook endpoint, on its own site (sandbox mode allows loopback http).
      const endpoint = await createEndpoint(gateway.db, gateway.keyring, systemClock, 'sandbox', { merchantId: creds.merchant_id, mode: 'test', url: `${merchant.origin}/webhooks` });
      assert.ok(endpoint.ok);
      webhookSecret = endpoint.secret.reveal();
    });

    after(async () => {
      await gateway?.close();
      await opened?.cleanup();
    });

    /** A signed merchant API call over the real socket, as a merchant's server makes it. */
    async function api(path: string, body: unknown): Promise<{ status: number; json: { return_data: Record<string, any> } }> {
      const payload = JSON.stringify(body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-api-key': creds.api_key,
          'x-timestamp': timestamp,
          'x-signature': signRequest({ secret: creds.secret_key, timestamp, body: payload }),
        },
        body: payload,
      });
      return { status: res.status, json: (await res.json()) as { return_data: Record<string, any> } };
    }

    async function createOrder(returnUrl: string | undefined): Promise<{ orderId: string; link: string }> {
      const orderId = `web-${randomBytes(5).toString('hex')}`;
      const created = await api('/api/v3/pg/order/create', {
        order_id: orderId,
        order_amount: '249.99',
        order_currency: 'INR',
        order_note: 'Browser test',
        service_type: 'DIGITAL',
        customer: { name: 'Asha', email: 'asha@example.com', phone: '9800000000' },
        ...(returnUrl ? { return_url: returnUrl } : {}),
      });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      return { orderId, link: created.json.return_data.payment_link as string };
    }

    /** A phone-sized context that collects every console message (CSP violations are reported there). */
    async function phone(): Promise<{ context: BrowserContext; messages: string[] }> {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      // A blocked redirect or a missing element should fail in seconds, not after Playwright's 30 s default.
      context.setDefaultTimeout(10_000);
      const messages: string[] = [];
      context.on('console', (msg: ConsoleMessage) => messages.push(`${msg.type()}: ${msg.text()}`));
      context.on('weberror', (err) => messages.push(`pageerror: ${err.error().message}`));
      return { context, messages };
    }

    function assertNoPolicyViolations(messages: string[]): void {
      const violations = messages.filter((m) => /Content Security Policy|Refused to/i.test(m));
      assert.deepEqual(violations, [], `the browser reported CSP violations:\n${violations.join('\n')}`);
    }

    it('pays by card and lands on the merchant\'s return_url (another origin) with order_id; the status API says PAID', async () => {
      const { orderId, link } = await createOrder(`${merchant.origin}/return?cart=42`);
      assert.ok(link.startsWith(`${base}/checkout/`), link);
      const { context, messages } = await phone();
      try {
        const page = await context.newPage();
        const opened = await page.goto(link);
        assert.equal(opened?.status(), 200);
        assert.equal(await page.locator('.merchant').textContent(), 'Sandbox merchant');
        assert.equal((await page.locator('.amount').textContent())?.trim(), 'INR 249.99');

        // The stylesheet loaded under style-src 'self', and the page fits a phone: no sideways scrolling, thumb-sized buttons.
        const pay = page.locator('button[value="success"]');
        // Page functions as strings: they run in the browser, and this package compiles without the DOM typings.
        assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('button[value="success"]')).backgroundColor`), 'rgb(29, 78, 216)');
        assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'no horizontal overflow at 390 px');
        assert.ok(((await pay.boundingBox())?.height ?? 0) >= 44, 'buttons are at least 44 px tall');

        const cookies = await context.cookies(link);
        const csrfCookie = cookies.find((c) => c.name === 'tijori_checkout');
        assert.ok(csrfCookie, 'the page set its CSRF cookie');
        assert.equal(csrfCookie.httpOnly, true);
        assert.equal(csrfCookie.sameSite, 'Strict');
        assert.equal(csrfCookie.path, '/checkout/');

        await page.locator('input[name="payment_method"][value="CARD"]').check();
        await Promise.all([page.waitForURL(`${merchant.origin}/return?**`), pay.click()]);

        const landed = new URL(page.url());
        assert.equal(landed.origin, merchant.origin);
        assert.equal(landed.searchParams.get('cart'), '42');
        assert.equal(landed.searchParams.get('order_id'), orderId);
        assert.equal(landed.searchParams.get('status'), 'PAID');
        assert.equal(await page.locator('h1').textContent(), 'Thanks for your order');
        const visit = merchant.visits.find((v) => v.url.includes(orderId));
        assert.ok(visit, 'the merchant site was reached');
        assert.equal(visit.referer, undefined, 'the payment link (a bearer token) is not sent to the merchant as a Referer');

        const status = await api('/api/v3/pg/order/status', { order_id: orderId });
        assert.equal(status.status, 200);
        assert.equal(status.json.return_data.order_status, 'PAID');
        assert.equal(status.json.return_data.payment.payment_method, 'CARD');
        assert.equal(status.json.return_data.payment.payment_status, 'PAID');
        assertNoPolicyViolations(messages);

        // The gateway's running dispatcher delivers payment.success to the merchant's endpoint.
        let delivery: MerchantSite['webhooks'][number] | undefined;
        for (let waited = 0; waited < 10_000 && !delivery; waited += 50) {
          delivery = merchant.webhooks.find((w) => JSON.parse(w.body).data.order_id === orderId);
          if (!delivery) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(delivery, 'the webhook arrived within 10 s');
        const event = JSON.parse(delivery.body);
        assert.equal(event.event, 'payment.success');
        // Verified three ways: the KwikPaisa recipe by hand, and the two libraries merchants use, unmodified.
        const kwikpaisa = createHmac('sha256', webhookSecret).update(delivery.body + String(delivery.headers['x-timestamp'])).digest('hex');
        assert.equal(delivery.headers['x-signature'], kwikpaisa);
        const standard = { 'webhook-id': String(delivery.headers['webhook-id']), 'webhook-timestamp': String(delivery.headers['webhook-timestamp']), 'webhook-signature': String(delivery.headers['webhook-signature']) };
        assert.doesNotThrow(() => new StandardWebhook(webhookSecret).verify(delivery.body, standard));
        assert.doesNotThrow(() => new SvixWebhook(webhookSecret).verify(delivery.body, standard));
        // The notification and the source of truth agree.
        assert.equal(event.data.status, status.json.return_data.order_status);
        assert.equal(event.data.payment.payment_id, status.json.return_data.payment.payment_id);
        assert.equal(event.data.amount, '249.99');
      } finally {
        await context.close();
      }
      assert.deepEqual(logs.filter((l) => l.includes('"level":50')), [], 'the gateway logged no errors');
    });

    it('without a return_url, failing the payment comes back to the page, which shows the result and no buttons', async () => {
      const { orderId, link } = await createOrder(undefined);
      const { context, messages } = await phone();
      try {
        const page = await context.newPage();
        await page.goto(link);
        await page.locator('input[name="payment_method"][value="UPI"]').check();
        await page.locator('button[value="failed"]').click();
        // The 303 brings the browser back to the same URL, now showing the final state.
        await page.locator('.state-failed').waitFor();
        assert.equal(page.url(), link);
        assert.match((await page.locator('.state').textContent()) ?? '', /Payment failed/);
        assert.equal(await page.locator('button').count(), 0);
        assertNoPolicyViolations(messages);
      } finally {
        await context.close();
      }
      const status = await api('/api/v3/pg/order/status', { order_id: orderId });
      assert.equal(status.json.return_data.order_status, 'FAILED');
      assert.equal(status.json.return_data.payment.payment_method, 'UPI');
    });
  });
}
