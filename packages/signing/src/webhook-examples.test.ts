/**
 * The merchant guide's receivers (examples/{python,php,node}/receiver.*) run
 * here, in their own languages: each gets deliveries signed by signWebhook and
 * must accept the genuine ones and refuse the rest. python3 and php are
 * required: when one is missing these tests fail, they never skip, because an
 * untested example in the guide is worse than none.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from './canonical-json.js';
import { signWebhook } from './webhook-signature.js';

const ROOT = new URL('../../../', import.meta.url);
const example = (path: string): string => fileURLToPath(new URL(`examples/${path}`, ROOT));
const guide = readFileSync(new URL('docs/webhooks.md', ROOT), 'utf8');

// receiver.mjs imports '@tijori/signing', which resolves to the package's build (dist/). So that these tests check
// the source and do not depend on a build having run, a resolve hook points that one specifier at src/index.ts
// (tsx loads the TypeScript).
const SIGNING_SOURCE = new URL('./index.ts', import.meta.url).href;
const RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  return next(specifier === '@tijori/signing' ? ${JSON.stringify(SIGNING_SOURCE)} : specifier, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`)});`;
const NODE_ARGS = ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`];

interface Runtime {
  name: string;
  command: string;
  args: string[];
  install: string;
}
const PYTHON: Runtime = { name: 'python3', command: 'python3', args: [], install: 'apt-get install python3' };
const PHP: Runtime = { name: 'php', command: 'php', args: [], install: 'apt-get install php-cli' };
const NODE: Runtime = { name: 'node', command: process.execPath, args: NODE_ARGS, install: '' };

/** Fails, with what to install, when the interpreter is missing. Never skips. */
function requireRuntime(runtime: Runtime): void {
  const probe = spawnSync(runtime.command, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail(
      `${runtime.name} is needed to run the ${runtime.name} webhook receiver in examples/ and was not found ` +
        `(${probe.error?.message ?? `exit status ${probe.status}`}). Install it (${runtime.install}); this test does not skip.`,
    );
  }
}

const SECRET = 'whsec_' + Buffer.alloc(32, 0x5a).toString('base64');
const NEW_SECRET = 'whsec_' + Buffer.alloc(32, 0xa5).toString('base64');
const OTHER_SECRET = 'whsec_' + Buffer.alloc(32, 0x33).toString('base64');

function event(eventId: string, orderId: string | number, status = 'PAID', name = 'payment.success'): string {
  return canonicalJson({
    created_at: '2026-05-13T08:10:35.000Z',
    data: {
      amount: '105.00',
      currency: 'INR',
      gateway_order_id: 'ord_2a9c4e6f8b1d3a5c7e9f0b2d',
      mode: 'sandbox',
      order_id: orderId,
      payment: {
        bank_reference: 'UTR412345678901',
        completed_at: '2026-05-13T08:10:34.000Z',
        payment_id: 'pay_8d7c6b5a4f3e2d1c0b9a8f7e',
        payment_method: 'UPI',
        payment_status: status,
        started_at: '2026-05-13T08:09:58.000Z',
      },
      status,
    },
    event: name,
    event_id: eventId,
  });
}

const EVENT_ID = 'evt_5b0e1c2d3f4a5b6c7d8e9f01';
const BODY = event(EVENT_ID, 6116229263036);
const UNICODE_BODY = event('evt_0a1b2c3d4e5f60718293a4b5', 'café-42/₹ "quoted"');

type Convention = 'both' | 'standard-webhooks' | 'kwikpaisa';
interface Case {
  name: string;
  accept: boolean;
  /** What the refusal must mention (checked for our three receivers, not the standardwebhooks library). */
  reason?: RegExp;
  body: string;
  headers: Record<string, string>;
  secret: string;
  /** Which headers the case is about; the standardwebhooks library reads only webhook-*. */
  convention: Convention;
}

const KWIKPAISA_ONLY = ['x-timestamp', 'x-signature', 'x-webhook-signature'];
function kwikpaisaOnly(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => KWIKPAISA_ONLY.includes(name)));
}

/** The cases, signed at the real time: the receivers read the system clock, as a merchant's would. */
function cases(): Case[] {
  const now = Math.floor(Date.now() / 1000);
  const sign = (secrets: string[], body = BODY, timestamp = now) => signWebhook({ secrets, eventId: EVENT_ID, timestamp, body });
  const genuine = sign([SECRET]);
  const overlap = sign([NEW_SECRET, SECRET]);
  const tampered = BODY.replace('105.00', '1.00');
  const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
  const titleCase = Object.fromEntries(Object.entries(genuine).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
  const millis = { ...genuine, 'webhook-timestamp': String(now * 1000), 'x-timestamp': String(now * 1000) };
  const NO_MATCH = /raw request body/;
  const list: Case[] = [
    { name: 'accepts a genuine delivery (all six headers: Standard Webhooks is checked)', accept: true, body: BODY, headers: genuine, secret: SECRET, convention: 'standard-webhooks' },
    { name: 'accepts a genuine delivery with only the KwikPaisa headers', accept: true, body: BODY, headers: kwikpaisaOnly(genuine), secret: SECRET, convention: 'kwikpaisa' },
    { name: 'accepts header names in any letter case', accept: true, body: BODY, headers: titleCase, secret: SECRET, convention: 'both' },
    { name: 'accepts a non-ASCII body, byte for byte', accept: true, body: UNICODE_BODY, headers: signWebhook({ secrets: [SECRET], eventId: 'evt_0a1b2c3d4e5f60718293a4b5', timestamp: now, body: UNICODE_BODY }), secret: SECRET, convention: 'both' },
    { name: 'during a roll overlap, accepts with the old secret (Standard Webhooks)', accept: true, body: BODY, headers: overlap, secret: SECRET, convention: 'standard-webhooks' },
    { name: 'during a roll overlap, accepts with the new secret (Standard Webhooks)', accept: true, body: BODY, headers: overlap, secret: NEW_SECRET, convention: 'standard-webhooks' },
    { name: 'during a roll overlap, accepts with the old secret (KwikPaisa)', accept: true, body: BODY, headers: kwikpaisaOnly(overlap), secret: SECRET, convention: 'kwikpaisa' },
    { name: 'during a roll overlap, accepts with the new secret (KwikPaisa)', accept: true, body: BODY, headers: kwikpaisaOnly(overlap), secret: NEW_SECRET, convention: 'kwikpaisa' },
    { name: 'refuses a tampered body (Standard Webhooks)', accept: false, reason: NO_MATCH, body: tampered, headers: genuine, secret: SECRET, convention: 'standard-webhooks' },
    { name: 'refuses a tampered body (KwikPaisa)', accept: false, reason: NO_MATCH, body: tampered, headers: kwikpaisaOnly(genuine), secret: SECRET, convention: 'kwikpaisa' },
    { name: 'refuses the same JSON re-serialised with other spacing', accept: false, reason: NO_MATCH, body: pretty, headers: genuine, secret: SECRET, convention: 'both' },
    { name: 'refuses a delivery signed with another secret (Standard Webhooks)', accept: false, reason: NO_MATCH, body: BODY, headers: sign([OTHER_SECRET]), secret: SECRET, convention: 'standard-webhooks' },
    { name: 'refuses a delivery signed with another secret (KwikPaisa)', accept: false, reason: NO_MATCH, body: BODY, headers: kwikpaisaOnly(sign([OTHER_SECRET])), secret: SECRET, convention: 'kwikpaisa' },
    { name: 'refuses a stale timestamp, 10 minutes old (Standard Webhooks)', accept: false, reason: /tolerance/, body: BODY, headers: sign([SECRET], BODY, now - 600), secret: SECRET, convention: 'standard-webhooks' },
    { name: 'refuses a stale timestamp, 10 minutes old (KwikPaisa)', accept: false, reason: /tolerance/, body: BODY, headers: kwikpaisaOnly(sign([SECRET], BODY, now - 600)), secret: SECRET, convention: 'kwikpaisa' },
    { name: 'refuses a timestamp 10 minutes in the future', accept: false, reason: /tolerance/, body: BODY, headers: sign([SECRET], BODY, now + 600), secret: SECRET, convention: 'both' },
    { name: 'refuses a timestamp in milliseconds', accept: false, reason: /milliseconds/, body: BODY, headers: millis, secret: SECRET, convention: 'both' },
    { name: 'refuses a delivery without signature headers', accept: false, reason: /missing/, body: BODY, headers: { 'content-type': 'application/json' }, secret: SECRET, convention: 'both' },
  ];
  return list;
}

interface Verdict {
  ok: boolean;
  event_id?: string;
  error?: string;
}

/** Runs `<receiver> --verify` once with every case on stdin, one JSON object a line, and returns one verdict a case. */
function runVerifier(runtime: Runtime, args: string[], all: Case[]): Verdict[] {
  requireRuntime(runtime);
  const input = all.map((c) => JSON.stringify({ body_base64: Buffer.from(c.body, 'utf8').toString('base64'), headers: c.headers, secret: c.secret })).join('\n') + '\n';
  const run = spawnSync(runtime.command, [...runtime.args, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.error, undefined, String(run.error));
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, all.length, `one verdict per delivery; stderr: ${run.stderr}`);
  const verdicts = lines.map((line) => JSON.parse(line) as Verdict);
  assert.equal(run.status, verdicts.every((v) => v.ok) ? 0 : 1, 'exit status 1 when any delivery was refused');
  return verdicts;
}

interface Receiver {
  title: string;
  runtime: Runtime;
  args: string[];
  /** The standardwebhooks library reads only the webhook-* headers and has its own messages. */
  standardWebhooksOnly?: boolean;
}
const RECEIVERS: Receiver[] = [
  { title: 'examples/python/receiver.py verify()', runtime: PYTHON, args: [example('python/receiver.py'), '--verify'] },
  { title: 'examples/php/receiver.php tijori_verify_webhook()', runtime: PHP, args: [example('php/receiver.php'), '--verify'] },
  { title: 'examples/node/receiver.mjs verify() with @tijori/signing', runtime: NODE, args: [example('node/receiver.mjs'), '--verify'] },
  { title: 'examples/node/receiver.mjs verifyWithStandardWebhooks()', runtime: NODE, args: [example('node/receiver.mjs'), '--verify-standardwebhooks'], standardWebhooksOnly: true },
];

for (const receiver of RECEIVERS) {
  describe(receiver.title, () => {
    const all = cases().filter((c) => !receiver.standardWebhooksOnly || c.convention !== 'kwikpaisa');
    let verdicts: Verdict[] | undefined;
    const verdictFor = (i: number): Verdict => (verdicts ??= runVerifier(receiver.runtime, receiver.args, all))[i]!;

    all.forEach((c, i) => {
      it(c.name, () => {
        const verdict = verdictFor(i);
        if (c.accept) {
          assert.deepEqual(verdict, { ok: true, event_id: JSON.parse(c.body).event_id }, verdict.error);
        } else {
          assert.equal(verdict.ok, false, 'refused');
          if (!receiver.standardWebhooksOnly && c.reason) assert.match(verdict.error ?? '', c.reason);
          for (const secret of [SECRET, NEW_SECRET, OTHER_SECRET]) assert.ok(!verdict.error?.includes(secret.slice(6)), 'no secret in the message');
        }
      });
    });
  });
}

/** A free TCP port on localhost, for php -S, which cannot be told to pick one itself. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a receiver in its serving mode and resolves with its base URL once it says it is listening. */
async function startServer(runtime: Runtime, args: string[], env: Record<string, string>, port: number | undefined): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  requireRuntime(runtime);
  const child = spawn(runtime.command, [...runtime.args, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill(); // a child left running would keep the test process alive
      reject(new Error(`${runtime.name} did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /(?:Listening on |Development Server \()http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://localhost:${port ?? match[1]}/`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime.name} exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

/** Resolves once the receiver's output matches, without sleeping: it is re-checked as output arrives. */
async function waitForOutput(child: ChildProcess, output: () => string, pattern: RegExp): Promise<void> {
  if (pattern.test(output())) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${output()}`)), 20_000);
    const check = () => {
      // Read on the next turn, after startServer's own listener has appended the chunk.
      setImmediate(() => {
        if (pattern.test(output())) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve();
        }
      });
    };
    child.stdout!.on('data', check);
  });
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const reply = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  return { status: reply.status, text: await reply.text() };
}

describe('the example receivers, serving HTTP', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const second = event('evt_1c2d3e4f5a6b7c8d9e0f1a2b', 42, 'FAILED', 'payment.failed');
  const deliveries = () => {
    const now = Math.floor(Date.now() / 1000);
    return {
      first: signWebhook({ secrets: [SECRET], eventId: EVENT_ID, timestamp: now, body: BODY }),
      second: signWebhook({ secrets: [SECRET], eventId: 'evt_1c2d3e4f5a6b7c8d9e0f1a2b', timestamp: now, body: second }),
    };
  };

  /** Genuine → 204, the same event again → 204 but no second piece of work, tampered → 400 with the reason. */
  async function exercise(url: string): Promise<void> {
    const d = deliveries();
    assert.equal((await post(url, BODY, d.first)).status, 204);
    assert.equal((await post(url, BODY, d.first)).status, 204, 'a repeated delivery is acknowledged too');
    const refused = await post(url, BODY.replace('105.00', '1.00'), d.first);
    assert.equal(refused.status, 400);
    assert.match(refused.text, /raw request body/);
    assert.equal((await post(url, second, d.second)).status, 204);
  }

  for (const [runtime, file] of [[PYTHON, 'python/receiver.py'], [NODE, 'node/receiver.mjs']] as const) {
    it(`${file}: answers 204 to a genuine delivery, does the work once per event_id, answers 400 to a forgery`, { timeout: 60_000 }, async () => {
      const server = await startServer(runtime, [example(file)], { TIJORI_WEBHOOK_SECRET: SECRET, PORT: '0' }, undefined);
      children.push(server.child);
      await exercise(server.url);
      // One worker takes events in order, so once the second event's work is done, a duplicate would have shown.
      await waitForOutput(server.child, server.output, /payment\.failed ord_2a9c4e6f8b1d3a5c7e9f0b2d FAILED/);
      const work = server.output().match(/payment\.success ord_2a9c4e6f8b1d3a5c7e9f0b2d PAID/g) ?? [];
      assert.equal(work.length, 1, `the repeated event was worked on once:\n${server.output()}`);
      server.child.kill();
    });
  }

  it('receiver.php under php -S: answers 204 to a genuine delivery, queues each event_id once, answers 400 to a forgery', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-php-receiver-'));
    dirs.push(dir);
    const port = await freePort();
    const server = await startServer(PHP, ['-S', `localhost:${port}`, example('php/receiver.php')], { TIJORI_WEBHOOK_SECRET: SECRET, TMPDIR: dir }, port);
    children.push(server.child);
    await exercise(server.url);
    const queued = readFileSync(join(dir, 'tijori-webhooks-queue.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { event_id: string }).event_id);
    assert.deepEqual(queued, [EVENT_ID, 'evt_1c2d3e4f5a6b7c8d9e0f1a2b']);
    server.child.kill();
  });
});

describe('docs/webhooks.md', () => {
  /** The lines between `[name]` and `[/name]` marker comments in an example file. */
  function region(file: string, name: string): string {
    const text = readFileSync(example(file), 'utf8');
    const match = new RegExp(`^(?:#|//) \\[${name}\\]\\n([\\s\\S]*?)^(?:#|//) \\[/${name}\\]$`, 'm').exec(text);
    assert.ok(match, `${file} marks its ${name} code with [${name}] ... [/${name}]`);
    return match[1]!;
  }

  for (const [file, name] of [
    ['python/receiver.py', 'verify'],
    ['php/receiver.php', 'verify'],
    ['node/receiver.mjs', 'verify'],
    ['node/receiver.mjs', 'verify-standardwebhooks'],
  ] as const) {
    it(`shows the ${name} code of examples/${file} verbatim, and links to the file`, () => {
      assert.ok(guide.includes(region(file, name)), `docs/webhooks.md must contain the ${name} region of ${file} exactly`);
      assert.ok(guide.includes(`](../examples/${file})`));
    });
  }

  it('names every event, signature header and delivery header', () => {
    for (const name of ['payment.processing', 'payment.success', 'payment.failed', 'payment.expired']) assert.ok(guide.includes(`\`${name}\``), name);
    for (const status of ['PROCESSING', 'PAID', 'FAILED', 'EXPIRED']) assert.ok(guide.includes(`\`${status}\``), status);
    for (const header of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-timestamp', 'x-signature', 'x-webhook-signature', 'content-type', 'user-agent', 'x-tijori-event', 'x-tijori-delivery', 'x-tijori-attempt']) {
      assert.ok(guide.includes(`\`${header}`), header);
    }
  });

  it('states the retry schedule, the timeout and when an endpoint is disabled', () => {
    for (const delay of ['5 s', '5 min', '30 min', '2 h', '5 h', '10 h', '24 h']) assert.ok(guide.includes(`| ${delay} |`), delay);
    for (const fact of ['10 attempts', '20 %', 'Retry-After', '10 s', '410 Gone', '5 days', 'not followed']) assert.ok(guide.includes(fact), fact);
  });

  it('shows a payload whose body is already canonical JSON, as the gateway sends it', () => {
    const block = /```json\n(\{"created_at"[^\n]*\})\n```/.exec(guide);
    assert.ok(block, 'a one-line JSON payload example');
    assert.equal(canonicalJson(JSON.parse(block[1]!)), block[1]);
  });
});
