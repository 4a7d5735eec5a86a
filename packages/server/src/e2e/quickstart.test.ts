import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { freePort } from '../test-support/free-port.js';

const run = promisify(execFile);
const ROOT = new URL('../../../../', import.meta.url);
const CLI = new URL('packages/server/dist/cli.js', ROOT).pathname;
const GUIDE = new URL('docs/quickstart.md', ROOT);
const CHROMIUM = '/usr/bin/chromium';

/** The guide's ```sh blocks, in order: the commands a reader types. */
function guideCommands(): string[] {
  const text = readFileSync(GUIDE, 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] as string).trim());
}

/** A background process whose output is kept, so a test can wait for a line. */
class Background {
  output = '';
  readonly child: ChildProcess;
  constructor(command: string, cwd: string, env: Record<string, string> = {}) {
    this.child = spawn('bash', ['-c', command], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }
  async waitFor(pattern: RegExp, what: string): Promise<RegExpMatchArray> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`${what}: not seen. Output so far:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  stop(): void {
    this.child.kill('SIGINT');
  }
}

/**
 * docs/quickstart.md, followed as a reader would: every shell command is
 * taken from the page and run as written, with three substitutions a test
 * needs (the built CLI for `npx tijori`, free ports for 8080 and 3000, and
 * the secret step 2 printed), and step 5 done in a real browser.
 */
describe('the five-minute guide (docs/quickstart.md), step by step', () => {
  let browser: Browser;
  const running: Background[] = [];
  let cwd = '';
  let gatewayPort = 0;
  let receiverPort = 0;
  const commands = guideCommands();

  const substitute = (command: string, secret = '') =>
    command
      .replaceAll('npx tijori', `node ${CLI}`)
      .replaceAll('localhost:3000', `localhost:${receiverPort}`)
      .replaceAll('PORT=3000', `PORT=${receiverPort}`)
      .replaceAll('whsec_from_step_2', secret);

  async function shell(command: string): Promise<string> {
    const { stdout } = await run('bash', ['-c', substitute(command)], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
    return stdout;
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install the Debian "chromium" package. This test needs it and never skips.`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    // A fresh directory standing in for the clone: .tijori/ is created here; examples/ is the repository's own.
    cwd = mkdtempSync(join(tmpdir(), 'tijori-quickstart-'));
    symlinkSync(new URL('examples', ROOT).pathname, join(cwd, 'examples'));
    gatewayPort = await freePort();
    receiverPort = await freePort();
  });

  after(async () => {
    for (const p of running) p.stop();
    await browser?.close();
  });

  it('has the six steps the test follows', () => {
    assert.equal(commands.length, 5, commands.join('\n---\n'));
    assert.equal(commands[0], 'npm ci && npm start');
    // What `npm start` runs after building (the suite has built already): the same server, on a free port here.
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: { start: string } };
    assert.equal(pkg.scripts.start, 'npm run build && node packages/server/dist/cli.js serve');
  });

  let secret = '';
  let paymentLink = '';
  let listen: Background;
  let receiver: Background;

  it('1. starts the gateway, which writes the sandbox credentials', async () => {
    const gateway = new Background(`node ${CLI} serve`, cwd, { PORT: String(gatewayPort) });
    running.push(gateway);
    await gateway.waitFor(/Tijori is listening on http:\/\/127\.0\.0\.1:\d+/, 'the start banner');
    assert.ok(existsSync(join(cwd, '.tijori', 'sandbox-credentials.json')));
  });

  it('2. tijori listen is ready and prints its signing secret', async () => {
    listen = new Background(substitute(commands[1] as string), cwd);
    running.push(listen);
    const match = await listen.waitFor(/Webhook signing secret for this session: (whsec_[A-Za-z0-9+/=]+)/, 'the session secret');
    secret = match[1] as string;
  });

  it('3. the example receiver starts with that secret', async () => {
    receiver = new Background(substitute(commands[2] as string, secret), cwd);
    running.push(receiver);
    await receiver.waitFor(/Listening on http:\/\/localhost:\d+\//, 'the receiver');
  });

  it('4. tijori request creates the order and returns its payment link', async () => {
    const reply = JSON.parse(await shell(commands[3] as string)) as { return_data: { payment_link: string; order_status: string } };
    assert.equal(reply.return_data.order_status, 'UN_PAID');
    paymentLink = reply.return_data.payment_link;
    assert.match(paymentLink, new RegExp(`^http://127\\.0\\.0\\.1:${gatewayPort}/checkout/`));
  });

  it('5. paying on the checkout page sends payment.success through listen to the receiver, verified', async () => {
    const page = await browser.newPage();
    await page.goto(paymentLink);
    await page.locator('input[name="payment_method"][value="UPI"]').check();
    const pay = page.locator('button[value="success"]');
    assert.equal((await pay.textContent())?.trim(), 'Pay INR 499.00');
    // The browser is sent on to the return_url (example.com does not resolve here: the request is what counts).
    const [toReturnUrl] = await Promise.all([page.waitForRequest((r) => r.url().startsWith('https://example.com/thanks?')), pay.click()]);
    assert.match(toReturnUrl.url(), /[?&]status=PAID(&|$)/);
    await page.close();
    await listen.waitFor(/payment\.success\s+evt_[0-9a-f]{24}\s+→ \[204\]/, 'listen forwarding payment.success');
    await receiver.waitFor(/payment\.success ord_[0-9a-f]{24} PAID/, 'the receiver accepting payment.success');
  });

  it('6. the status API says PAID', async () => {
    const reply = JSON.parse(await shell(commands[4] as string)) as { return_data: { order_status: string; payment: { payment_method: string } } };
    assert.equal(reply.return_data.order_status, 'PAID');
    assert.equal(reply.return_data.payment.payment_method, 'UPI');
  });
});
