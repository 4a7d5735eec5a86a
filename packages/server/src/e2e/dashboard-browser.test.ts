import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
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
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
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

async function codeStep(page: Page, secret: string): Promise<void> {
  await page.getByLabel('Code').fill(await codeNow(secret));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
}

describe('the merchant dashboard in headless Chromium, against the real dashboard API', () => {
  const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
  let secret = '';
  let laptop: Watched;
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

  it('marks the screens that are not built yet as coming soon, disabled', async () => {
    const { page } = laptop;
    for (const label of ['API keys', 'Webhooks', 'Orders', 'Audit log', 'Signature debugger']) {
      const entry = page.locator('nav .soon', { hasText: label });
      assert.equal(await entry.getAttribute('aria-disabled'), 'true', label);
      assert.match((await entry.textContent()) ?? '', /Soon/);
    }
    assert.equal(await page.getByRole('link', { name: 'API keys' }).count(), 0);
    await page.goto(`${base}/dashboard/keys`);
    await page.getByText('This screen is coming soon').waitFor();
    await shot(page, '04-coming-soon-1280');
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
    await page.getByLabel('Password').fill(PASSWORD);
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

    // The phone's page is still open on Security: its next API call finds the session gone and the page returns to sign-in.
    await phone.page.getByRole('link', { name: 'Overview' }).click();
    await phone.page.getByRole('link', { name: 'Security' }).click();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await phone.page.waitForURL(`${base}/dashboard/sign-in`);
    await phone.page.reload();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('reported no CSP violation and no script error on any page', () => {
    for (const w of watched) {
      assert.deepEqual(w.violations, []);
      assert.deepEqual(w.errors, []);
    }
  });
});
