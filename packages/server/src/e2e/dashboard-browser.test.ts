import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { generate } from 'otplib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../config/load-config.js';
import { DEFAULT_DASHBOARD_DIST } from '../http/dashboard-static.js';
import { ManualClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import { freePort } from '../test-support/free-port.js';

/**
 * The merchant dashboard in a real browser against the real dashboard API:
 * what inject() cannot show is that Chromium runs the built page under its
 * CSP (nothing refused), keeps the SameSite=Strict session cookie, and that
 * the page sends the CSRF token and Origin the API insists on. One story:
 * sign up, enrol 2FA from the secret on the page, sign out, sign in with
 * password and code (on a laptop and on a phone), revoke the phone's
 * session from the laptop. Screenshots of each screen go to
 * packages/server/test-output/dashboard/ for a person to look at.
 *
 * The clock is a ManualClock starting now: a TOTP code is accepted once per
 * 30-second step, so the test moves the gateway's clock on a step between
 * sign-ins instead of sleeping, and computes each code at the gateway's time.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));
const PASSWORD = 'correct horse battery staple 42';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

interface Watched {
  page: Page;
  /** Console messages and securitypolicyviolation events that name the CSP. */
  violations: string[];
  errors: string[];
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server; `next()` resolves with the next request it receives (the webhook receiver answers 200). */
async function listen(handle: (path: string, body: string) => { status: number; type: string; body: string }) {
  const waiting: Array<(r: Received) => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const answer = handle(req.url ?? '/', body);
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
      waiting.shift()?.({ path: req.url ?? '/', headers: req.headers, body });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    next: () => new Promise<Received>((resolve) => waiting.push(resolve)),
  };
}

let receiver: Awaited<ReturnType<typeof listen>>;
/** Another origin (another port): a page that tries a classic CSRF, an auto-submitted form POST to the dashboard API. */
let foreign: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let opened: OpenedBackend;
let gateway: Gateway;
let base: string;
const clock = new ManualClock(Date.now());
const contexts: BrowserContext[] = [];
const watched: Watched[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install the Debian "chromium" package. The dashboard browser test needs it and never skips.`);
  }
  if (!existsSync(join(DEFAULT_DASHBOARD_DIST, 'index.html'))) {
    throw new Error(`The dashboard is not built (${DEFAULT_DASHBOARD_DIST}): run \`npm run build\` first.`);
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  // PGlite only: this tests the page and its use of the API; the API's storage has its own tests on both back-ends.
  opened = await BACKENDS[0]!.open();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-dashboard-e2e-')),
    TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
    TIJORI_PUBLIC_BASE_URL: base,
    // The cheapest argon2id the config allows: the browser test is about the page, not the hash's cost.
    TIJORI_DASHBOARD_ARGON2_MEMORY_KIB: '1024',
    TIJORI_DASHBOARD_ARGON2_ITERATIONS: '1',
  });
  gateway = await startGateway(config, { db: opened.db, clock, logger: createLogger('warn', { write: () => {} }) });
  receiver = await listen(() => ({ status: 200, type: 'text/plain', body: 'ok' }));
  foreign = await listen(() => ({
    status: 200,
    type: 'text/html; charset=utf-8',
    // enctype text/plain is the form trick for a JSON-looking body; the session cookie goes along (same site).
    body: `<!doctype html><form method="post" action="${base}/dashboard/api/keys" enctype="text/plain"><input name='{"mode":"sandbox","label":"csrf","x":"' value='"}'></form><script>document.forms[0].submit()</script>`,
  }));
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  receiver?.server.close();
  foreign?.server.close();
  await browser?.close();
  await gateway?.close();
  await opened?.cleanup();
});

/** A new browser profile (its own cookies) with one page, watched for CSP violations and script errors. */
async function newDevice(viewport: { width: number; height: number }): Promise<Watched> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  // Runs before the page's own script, through the DevTools protocol (not subject to the page's CSP).
  // A string: this package's TypeScript has no DOM types (the script runs in the page, not in Node).
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  const page = await context.newPage();
  const w: Watched = { page, violations: [], errors: [] };
  page.on('console', (m) => {
    if (/Content Security Policy|CSP violation|Refused to (load|execute|apply)/i.test(m.text())) w.violations.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  watched.push(w);
  return w;
}

async function shot(page: Page, name: string): Promise<void> {
  // Fonts and the QR image settle before the picture is taken.
  await page.evaluate('document.fonts.ready');
  // From the top: a full-page picture of a scrolled page draws the sticky header mid-page.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The current code for `secret` at the gateway's time. */
function codeNow(secret: string): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.nowMs() / 1000) });
}

/** The password step, ending on the code step (the account has 2FA). */
async function passwordStep(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
}

/** The API keys screen, once its list has loaded (sign-up made a first key, so it is never empty); its rows. */
async function openKeys(page: Page) {
  await page.getByRole('link', { name: 'API keys', exact: true }).click();
  const rows = page.getByTestId('keys').locator(':scope > li');
  await rows.first().waitFor();
  return rows;
}

async function codeStep(page: Page, secret: string): Promise<void> {
  await page.getByLabel('Code').fill(await codeNow(secret));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
}

describe('the merchant dashboard in headless Chromium, against the real dashboard API', () => {
  const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
  let secret = '';
  let laptop: Watched;
  /** The 'Website checkout' sandbox key and its secret after the roll, for the signature debugger. */
  let checkoutKey = '';
  let checkoutSecret = '';
  let phone: Watched;

  it('signs up: a new merchant and its owner, landing on the overview', async () => {
    laptop = await newDevice(LAPTOP);
    const { page } = laptop;
    await page.goto(`${base}/dashboard/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // The address follows the screen (replaceState after render).
    await page.waitForURL(`${base}/dashboard/sign-in`);
    await shot(page, '01-sign-in-1280');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Business name').fill('Chai & Co');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, '02-sign-up-1280');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await page.getByTestId('merchant-name').textContent(), 'Chai & Co');
    await shot(page, '03-overview-1280');
  });

  it('has every screen in the navigation, none left "Soon"; an unknown address says there is no such page', async () => {
    const { page } = laptop;
    assert.equal(await page.locator('nav .soon').count(), 0);
    for (const label of ['Overview', 'API keys', 'Webhooks', 'Orders', 'Audit log', 'Security', 'Signature debugger']) {
      assert.equal(await page.getByRole('link', { name: label, exact: true }).count(), 1, label);
    }
    await page.goto(`${base}/dashboard/no-such-page`);
    await page.getByText('There is no dashboard page at this address.').waitFor();
    await shot(page, '04-not-found-1280');
  });

  it('enrols 2FA after confirming the password again: QR code and secret on the page, confirmed with a code, recovery codes shown once', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { name: 'Security' }).waitFor();
    await page.getByTestId('sessions').waitFor();
    await shot(page, '05-security-1280');
    // Sign-up's proof of the password is good for five minutes; past that, changing 2FA asks for it again.
    clock.advanceSeconds(6 * 60);
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await page.getByText('confirm your password to continue').waitFor();
    // Exact: the Security screen also has the password change card (a region named "Password") and its "Current password" and "New password".
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await shot(page, '06-reauth-1280');
    await page.getByRole('button', { name: 'Confirm' }).click();
    const secretBox = page.getByTestId('totp-secret');
    await secretBox.waitFor();
    secret = ((await secretBox.textContent()) ?? '').trim();
    assert.match(secret, /^[A-Z2-7]{16,}$/, 'a base32 secret is shown as text');
    const qr = page.getByRole('img', { name: /QR code/ });
    assert.ok((await qr.evaluate((img: { complete: boolean; naturalWidth: number }) => (img.complete ? img.naturalWidth : 0))) > 0, 'the QR code image loaded (data: image under img-src)');
    await shot(page, '07-2fa-enrol-1280');
    await page.getByLabel('Code from the app').fill(await codeNow(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    assert.ok(await page.getByRole('button', { name: 'Copy codes' }).isVisible());
    await shot(page, '08-2fa-recovery-codes-1280');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.locator('#twofa-title .badge', { hasText: 'On' }).waitFor();
    assert.equal(await page.getByTestId('recovery-codes').count(), 0, 'the codes are not shown again');
  });

  it('signs out, back to the sign-in page, and the old session no longer works', async () => {
    const { page } = laptop;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/dashboard/api/me')).status);
    assert.equal(me, 401);
  });

  it('signs in on a phone (390 px) with password and TOTP code', async () => {
    clock.advanceSeconds(30); // the enrolment's code step is spent
    phone = await newDevice(PHONE);
    const { page } = phone;
    await page.goto(`${base}/dashboard/sign-in`);
    await shot(page, '09-sign-in-390');
    await passwordStep(page, email);
    await shot(page, '10-sign-in-code-390');
    await codeStep(page, secret);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await shot(page, '11-overview-390');
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByTestId('sessions').waitFor();
    await shot(page, '12-security-390');
  });

  it('refuses a code already used, then signs in on the laptop with a fresh one', async () => {
    const { page } = laptop;
    await passwordStep(page, email);
    // Same 30-second step as the phone's sign-in: the code was used, so it is refused.
    await codeStep(page, secret);
    await page.getByRole('alert').waitFor();
    await shot(page, '13-sign-in-code-refused-1280');
    clock.advanceSeconds(30);
    await codeStep(page, secret);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it("revokes the phone's session from the laptop; the phone is signed out", async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Security' }).click();
    const rows = page.getByTestId('sessions').locator('li');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    await shot(page, '14-sessions-1280');
    const other = rows.filter({ hasNot: page.getByText('This browser') });
    assert.equal(await other.count(), 1);
    await other.getByRole('button', { name: 'Revoke' }).click();
    // Not waitForFunction with a string: the page's CSP (rightly) refuses the eval that would need.
    await rows.nth(1).waitFor({ state: 'detached' });
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.getByText('This browser').count(), 1, "the remaining session is the laptop's own");

    // The phone's page is still open on Security: its next API call (the overview's recent orders) finds the session gone and the page returns to sign-in.
    await phone.page.getByRole('link', { name: 'Overview', exact: true }).click();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await phone.page.waitForURL(`${base}/dashboard/sign-in`);
    await phone.page.reload();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('creates a sandbox key and shows its secret once, with a copy button; rolls it with an overlap', async () => {
    const { page } = laptop;
    const rows = await openKeys(page);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    const before = await rows.count();
    await page.getByLabel('Label (optional)').fill('Website checkout');
    await page.getByRole('button', { name: 'Create sandbox key' }).click();
    const secretBox = page.getByTestId('new-secret-value');
    await secretBox.waitFor();
    const first = ((await secretBox.textContent()) ?? '').trim();
    assert.match(first, /^sk_test_[A-Za-z0-9_-]{43}$/);
    assert.ok(await page.getByRole('button', { name: 'Copy secret' }).isVisible());
    await rows.nth(before).waitFor();
    assert.equal(await rows.count(), before + 1);
    const row = rows.filter({ hasText: 'Website checkout' });
    assert.match((await row.textContent()) ?? '', /sandbox/);
    assert.match((await row.textContent()) ?? '', /never/, 'a new key was never used');
    await shot(page, '15-keys-new-secret-1280');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await secretBox.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(first), 'the secret is not on the page once dismissed');
    await page.reload();
    await row.waitFor();
    assert.ok(!(await page.content()).includes(first), 'nor after a reload: the API never sends it again');

    await row.getByRole('button', { name: 'Roll' }).click();
    await row.getByLabel('Keep the old secret working for').selectOption({ label: '24 hours' });
    await shot(page, '16-keys-roll-1280');
    await row.getByRole('button', { name: 'Roll secret' }).click();
    await page.getByText('still verifies until').waitFor();
    const rolled = ((await secretBox.textContent()) ?? '').trim();
    assert.match(rolled, /^sk_test_/);
    assert.notEqual(rolled, first);
    await row.getByText('previous secret valid until').waitFor();
    checkoutSecret = rolled;
    checkoutKey = ((await row.locator('.row-title .mono').textContent()) ?? '').trim();
    assert.match(checkoutKey, /^pk_test_/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await shot(page, '17-keys-1280');
  });

  it('sets allowed IPs on a key', async () => {
    const { page } = laptop;
    const row = page.getByTestId('keys').locator(':scope > li', { hasText: 'Website checkout' });
    await row.getByRole('button', { name: 'Allowed IPs' }).click();
    await row.getByLabel('Allowed IP addresses or CIDR ranges').fill('203.0.113.7\n198.51.100.0/24');
    await row.getByRole('button', { name: 'Save allowed IPs' }).click();
    await row.getByText('203.0.113.7, 198.51.100.0/24').waitFor();
  });

  it('asks for the password again before creating a live key, then shows the live secret; the mode switch scopes the list', async () => {
    const { page } = laptop;
    await page.getByRole('button', { name: 'Live', exact: true }).click();
    await page.getByRole('heading', { name: 'Live keys' }).waitFor();
    await page.getByText('No live keys yet.').waitFor();
    clock.advanceSeconds(6 * 60); // past the sign-in's five minutes of elevation
    await page.getByRole('button', { name: 'Create live key' }).click();
    await page.getByText('confirm your password to continue').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, '18-keys-live-reauth-1280');
    await page.getByRole('button', { name: 'Confirm' }).click();
    const secretBox = page.getByTestId('new-secret-value');
    await secretBox.waitFor();
    assert.match(((await secretBox.textContent()) ?? '').trim(), /^sk_live_/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    const rows = page.getByTestId('keys').locator(':scope > li');
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /pk_live_/);
    await page.getByRole('button', { name: 'Sandbox', exact: true }).click();
    await page.getByRole('heading', { name: 'Sandbox keys' }).waitFor();
    await rows.filter({ hasText: 'Website checkout' }).waitFor();
    assert.equal(await rows.filter({ hasText: 'pk_live_' }).count(), 0, 'sandbox shows no live key');
  });

  it('adds a webhook endpoint (re-authenticating), sends a test event and shows the delivery with its status code; resends it', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await page.getByText('No sandbox endpoints yet.').waitFor();
    clock.advanceSeconds(6 * 60);
    await page.getByLabel('Endpoint URL').fill(`${receiver.url}/hooks/tijori`);
    await page.getByLabel('Description (optional)').fill('Local receiver');
    await shot(page, '19-webhooks-add-1280');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('confirm your password to continue').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm' }).click();
    const secretBox = page.getByTestId('new-webhook-secret-value');
    await secretBox.waitFor();
    assert.match(((await secretBox.textContent()) ?? '').trim(), /^whsec_/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    const row = page.getByTestId('endpoints').locator(':scope > li', { hasText: '/hooks/tijori' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Enabled/);

    const delivered = receiver.next();
    await row.getByRole('button', { name: 'Send test event' }).click();
    await row.getByText('Test event sent').waitFor();
    const received = await delivered;
    assert.equal(received.path, '/hooks/tijori');
    assert.match(received.body, /payment\.success/);
    // The worker records the attempt after the receiver answers: refresh until the row says so (no fixed wait).
    const code = row.getByTestId('delivery-status-code');
    await code.first().waitFor();
    while (((await code.first().textContent()) ?? '').trim() !== '200') {
      const refreshed = page.waitForResponse((r) => r.url().includes('/dashboard/api/webhooks/deliveries'));
      await row.getByRole('button', { name: 'Refresh' }).click();
      await refreshed;
    }
    await row.getByRole('button', { name: 'Attempts' }).first().click();
    await row.locator('.attempts li').first().waitFor();
    assert.match((await row.locator('.attempts li').first().textContent()) ?? '', /#1 .* 200/);
    await shot(page, '20-webhooks-delivery-1280');

    const again = receiver.next();
    await row.getByRole('button', { name: 'Resend' }).first().click();
    assert.match((await again).body, /payment\.success/);

    await row.getByRole('button', { name: 'Roll secret' }).click();
    await secretBox.waitFor();
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByText('Enabled', { exact: true }).waitFor();
  });

  it('finds the test order by its order id and shows its payment attempts; the overview lists it', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    const table = page.getByTestId('orders');
    await table.waitFor();
    const orderId = ((await table.locator('tbody tr').first().locator('td').first().getByRole('button').textContent()) ?? '').trim();
    assert.match(orderId, /^webhook_test_/);
    await page.getByLabel('Order id').fill(orderId);
    await page.getByLabel('Status').selectOption('PAID');
    const searched = page.waitForResponse((r) => r.url().includes('/dashboard/api/orders?') && r.url().includes('status=PAID'));
    await page.getByRole('button', { name: 'Search' }).click();
    await searched;
    assert.equal(await table.locator('tbody tr').count(), 1);
    await table.getByRole('button', { name: orderId }).click();
    const detail = page.getByTestId('order-detail');
    await detail.getByTestId('payment-attempts').waitFor();
    assert.match((await detail.textContent()) ?? '', /PAID/);
    assert.match((await detail.getByTestId('payment-attempts').textContent()) ?? '', /UPI/);
    await shot(page, '21-orders-1280');
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No sandbox orders match.').waitFor();

    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('recent-orders').getByText(orderId).waitFor();
    await page.getByRole('heading', { name: 'Recent security alerts' }).waitFor();
    await shot(page, '22-overview-with-orders-1280');
  });

  it('shows the audit log, filtered, with an export link', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const table = page.getByTestId('audit');
    await table.waitFor();
    assert.match((await table.textContent()) ?? '', /POST \/dashboard\/api\/keys/);
    await page.getByLabel('Outcome').selectOption('failure');
    const filtered = page.waitForResponse((r) => r.url().includes('/dashboard/api/audit?') && r.url().includes('outcome=failure'));
    await page.getByRole('button', { name: 'Apply' }).click();
    await filtered;
    await table.waitFor();
    assert.doesNotMatch((await table.textContent()) ?? '', /\b200\b/);
    const exportHref = (await page.getByRole('link', { name: 'Export' }).getAttribute('href')) ?? '';
    assert.match(exportHref, /^\/dashboard\/api\/audit\/export\?.*outcome=failure/);
    const exported = await page.evaluate(async (url: string) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    }, exportHref);
    assert.equal(exported.status, 200);
    assert.match(exported.type ?? '', /ndjson/);
    await shot(page, '23-audit-1280');
  });

  it('revokes a key after re-authenticating with a TOTP code; its use raises an alert the overview shows and acknowledges', async () => {
    const { page } = laptop;
    const rows = await openKeys(page);
    // The key sign-up made (the one without a label).
    const first = rows.filter({ hasNotText: 'Website checkout' }).first();
    const apiKey = ((await first.locator('.row-title .mono').textContent()) ?? '').trim();
    clock.advanceSeconds(6 * 60);
    await first.getByRole('button', { name: 'Revoke' }).click();
    await first.getByRole('button', { name: 'Revoke key' }).click();
    await first.getByText('confirm your password to continue').waitFor();
    await first.getByRole('button', { name: 'Use an authenticator code instead' }).click();
    await first.getByLabel('Code from the app').fill(await codeNow(secret));
    await first.getByRole('button', { name: 'Confirm' }).click();
    await first.getByText('revoked', { exact: true }).waitFor();
    assert.equal(await first.getByRole('button', { name: 'Roll' }).count(), 0, 'a revoked key has no actions');

    // A server still using the revoked key: refused, and the anomaly detector raises revoked_key_used.
    const refused = await fetch(`${base}/api/v3/pg/order/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': apiKey, 'x-timestamp': String(Math.floor(clock.nowMs() / 1000)), 'x-signature': '0'.repeat(64) },
      body: '{}',
    });
    assert.equal(refused.status, 401);
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const alerts = page.getByTestId('alerts');
    await alerts.getByText(apiKey).waitFor();
    assert.match((await alerts.textContent()) ?? '', /revoked_key_used/);
    await shot(page, '24-overview-alert-1280');
    await alerts.getByRole('button', { name: 'Acknowledge' }).first().click();
    await page.getByText('No open alerts.').waitFor();
  });

  it('explains a signature that does not verify, and confirms one that does (signature debugger)', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Signature debugger', exact: true }).click();
    await page.getByRole('heading', { name: 'Signature debugger' }).waitFor();
    const timestamp = String(Math.floor(clock.nowMs() / 1000));
    const sent = '{"order_id":"1001","order_amount":"105.00"}';
    // The client signed a pretty-printed body but sent the compact one: the classic mismatch.
    const wrong = signRequest({ scheme: 'v1', secret: checkoutSecret, timestamp, body: Buffer.from('{"order_id": "1001", "order_amount": "105.00"}') });
    await page.getByLabel('API key (X-API-KEY)').fill(checkoutKey);
    await page.getByLabel('Scheme (X-SIGNATURE-VERSION)').selectOption('v1');
    await page.getByLabel('Timestamp (X-TIMESTAMP)').fill(timestamp);
    await page.getByLabel('Signature (X-SIGNATURE)').fill(wrong);
    await page.getByLabel('Body, exactly as sent').fill(sent);
    await page.getByRole('button', { name: 'Explain' }).click();
    const verdict = page.getByTestId('signature-verdict');
    await verdict.getByText('The signature does not verify').waitFor();
    assert.match((await verdict.textContent()) ?? '', /What the gateway signs/);
    assert.match((await verdict.textContent()) ?? '', /Expected signatures/, 'a sandbox key shows the expected signature');
    assert.ok(!(await page.content()).includes(checkoutSecret), 'the secret is never on the page');
    await shot(page, '25-debugger-1280');
    await page.getByLabel('Signature (X-SIGNATURE)').fill(signRequest({ scheme: 'v1', secret: checkoutSecret, timestamp, body: Buffer.from(sent) }));
    await page.getByRole('button', { name: 'Explain' }).click();
    await verdict.getByText('The signature verifies').waitFor();
  });

  it('shows the new screens on a phone (390 px)', async () => {
    clock.advanceSeconds(30);
    const small = await newDevice(PHONE);
    const { page } = small;
    await page.goto(`${base}/dashboard/sign-in`);
    await passwordStep(page, email);
    await codeStep(page, secret);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByTestId('keys').waitFor();
    await shot(page, '26-keys-390');
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByTestId('endpoints').waitFor();
    await page.getByRole('button', { name: 'Deliveries' }).first().click();
    await page.getByTestId('delivery-status-code').first().waitFor();
    await shot(page, '27-webhooks-390');
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByTestId('orders').waitFor();
    await shot(page, '28-orders-390');
    await page.getByRole('link', { name: 'Signature debugger', exact: true }).click();
    await page.getByRole('heading', { name: 'Signature debugger' }).waitFor();
    await shot(page, '29-debugger-390');
  });

  it('refuses a cross-origin POST to the dashboard API that carries the session cookie (CSRF)', async () => {
    const { page } = laptop;
    const rows = await openKeys(page);
    const before = await rows.count();
    // Another origin (another port on the same host: the same site, so the SameSite=Strict cookie IS sent; the Origin check must refuse it).
    const attack = await laptop.page.context().newPage();
    const answered = attack.waitForResponse((r) => r.url() === `${base}/dashboard/api/keys` && r.request().method() === 'POST');
    await attack.goto(`${foreign.url}/csrf.html`);
    const response = await answered;
    assert.equal(response.status(), 403);
    assert.match(await response.text(), /origin/i);
    await attack.waitForURL(`${base}/dashboard/api/keys`);
    assert.match(String(await attack.evaluate('document.body.innerText')), /origin/i);
    await attack.close();
    await page.reload();
    await rows.first().waitFor();
    assert.equal(await rows.count(), before, 'no key was created');
  });

  const viewerEmail = `viewer-${randomBytes(4).toString('hex')}@example.com`;
  const VIEWER_PASSWORD = 'masala dosa on a rainy tuesday 9';
  let initialPassword = '';
  let viewer: Watched;

  it('the owner adds a user (initial password shown once, with a copy button) and changes their role', async () => {
    const { page } = laptop;
    await page.getByRole('link', { name: 'Security', exact: true }).click();
    const users = page.getByTestId('users');
    await users.locator(':scope > li').first().waitFor();
    assert.equal(await users.locator(':scope > li').count(), 1, 'only the owner so far');
    await page.getByLabel('Email', { exact: true }).fill(viewerEmail);
    await page.getByLabel('Role', { exact: true }).selectOption('developer');
    await page.getByRole('button', { name: 'Add user' }).click();
    const box = page.getByTestId('initial-password');
    await box.waitFor();
    initialPassword = ((await box.textContent()) ?? '').trim();
    assert.match(initialPassword, /^[A-Za-z0-9_-]{24}$/);
    assert.ok(await page.getByRole('button', { name: 'Copy password' }).isVisible());
    const row = users.locator(':scope > li', { hasText: viewerEmail });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /developer/);
    await shot(page, '30-team-new-user-1280');
    await page.getByRole('button', { name: 'Done' }).click();
    await box.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(initialPassword), 'the initial password is gone once dismissed');

    await row.getByLabel(`Role for ${viewerEmail}`).selectOption('viewer');
    await row.getByRole('button', { name: 'Change role' }).click();
    await row.locator('.row-meta', { hasText: /^viewer/ }).waitFor();
    // The merchant keeps an owner: the only owner cannot step down.
    const ownerRow = users.locator(':scope > li', { hasText: email });
    await ownerRow.getByLabel(`Role for ${email}`).selectOption('developer');
    await ownerRow.getByRole('button', { name: 'Change role' }).click();
    await ownerRow.getByRole('alert').waitFor();
    await shot(page, '31-team-last-owner-1280');
    await ownerRow.getByLabel(`Role for ${email}`).selectOption('owner');
    await ownerRow.getByRole('alert').waitFor({ state: 'detached' });
    await page.setViewportSize(PHONE);
    await shot(page, '31-team-390');
    await page.setViewportSize(LAPTOP);
  });

  it('the viewer signs in on a phone with the initial password, changes it, and sees no owner controls', async () => {
    viewer = await newDevice(PHONE);
    const { page } = viewer;
    await page.goto(`${base}/dashboard/sign-in`);
    await page.getByLabel('Email').fill(viewerEmail);
    await page.getByLabel('Password').fill(initialPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: 'Security', exact: true }).click();
    await page.getByRole('heading', { name: 'Password' }).waitFor();
    await page.getByTestId('sessions').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Team' }).count(), 0, 'no team section for a viewer');
    assert.equal(await page.getByRole('switch').count(), 0, 'no require-2FA switch for a viewer');
    assert.equal(await page.getByRole('button', { name: 'Add user' }).count(), 0);
    await page.getByLabel('Current password').fill(initialPassword);
    await page.getByLabel('New password').fill(VIEWER_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await shot(page, '32-security-viewer-390');
  });

  it('the viewer sees no change buttons on API keys and Webhooks, and a direct API write is refused with the role error', async () => {
    const { page } = viewer;
    const rows = await openKeys(page);
    for (const name of ['Create sandbox key', 'Roll', 'Revoke', 'Allowed IPs']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    }
    assert.ok((await rows.count()) >= 2);
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByTestId('endpoints').waitFor();
    await page.getByRole('button', { name: 'Deliveries' }).first().click();
    await page.getByTestId('delivery-status-code').first().waitFor();
    for (const name of ['Add endpoint', 'Send test event', 'Roll secret', 'Disable', 'Enable', 'Resend']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    }
    await shot(page, '33-webhooks-viewer-390');

    // The page hides the buttons; the server is what refuses. The session's own CSRF token, from the page's origin.
    const write = await page.evaluate(async (): Promise<{ status: number; body: { error_code?: string } }> => {
      const { csrf_token } = (await (await fetch('/dashboard/api/csrf')).json()) as { csrf_token: string };
      const res = await fetch('/dashboard/api/keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
        body: JSON.stringify({ mode: 'sandbox', label: 'viewer attempt' }),
      });
      return { status: res.status, body: (await res.json()) as { error_code?: string } };
    });
    assert.equal(write.status, 403);
    assert.equal(write.body.error_code, 'role_not_allowed');
  });

  it('the owner requires 2FA for everyone (re-authenticating); the viewer\'s next page load is sent to enrolment', async () => {
    const { page } = laptop;
    clock.advanceSeconds(6 * 60);
    const toggle = page.getByRole('switch', { name: 'Require two-factor authentication for everyone' });
    assert.equal(await toggle.isChecked(), false);
    await toggle.click();
    await page.getByText('confirm your password to continue').waitFor();
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#require-title .badge', { hasText: 'Required' }).waitFor();
    assert.equal(await page.getByRole('switch', { name: 'Require two-factor authentication for everyone' }).isChecked(), true);
    // Required for the merchant: the owner's own 2FA cannot be turned off now.
    assert.equal(await page.getByRole('button', { name: 'Turn off two-factor authentication' }).count(), 0);
    await shot(page, '34-security-owner-required-1280');

    const v = viewer.page;
    await v.reload();
    await v.getByText('requires two-factor authentication. Set it up to continue.').waitFor();
    await v.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
    assert.equal(await v.getByRole('heading', { name: 'Password' }).count(), 0, 'only enrolment is open');
    await shot(v, '35-viewer-enrol-required-390');
  });

  it('reported no CSP violation and no script error on any page', () => {
    for (const w of watched) {
      assert.deepEqual(w.violations, []);
      assert.deepEqual(w.errors, []);
    }
  });
});
