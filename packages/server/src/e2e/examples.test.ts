/**
 * The merchant examples in other languages (examples/<language>/) run here, in their own toolchains. Each signing
 * program must reproduce every request vector in packages/signing/test-vectors.json and create and read an order on
 * a listening gateway, on both back-ends; each webhook verifier must accept every webhook vector under either
 * signature convention and refuse it tampered, stale, in milliseconds, unsigned or under another secret.
 *
 * Compiled languages are built once per run, into a temporary directory. A missing toolchain fails these tests,
 * naming the Debian package (.ci/run installs them): they never skip, because an untested example is worse than none.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const BUILD = mkdtempSync(join(tmpdir(), 'tijori-examples-'));
after(() => rmSync(BUILD, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end. Never spawnSync: the gateway the programs call lives in this process. */
function run(argv: readonly string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: [stdin, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    // A program that exits without reading its input (EPIPE) fails on its exit status and output, not here.
    child.stdin?.on('error', () => {}).end(options.input);
  });
}

interface Tool {
  program: string;
  versionArgs: string[];
  /** The Debian package that provides it. */
  debian: string;
}

interface Language {
  name: string;
  dir: string;
  tools: Tool[];
  /** Compiles into `out`; only compiled languages have it. */
  build?(out: string): Promise<Run[]>;
  /** Said when the build fails. */
  buildHint?: string;
  signRequest(out: string): string[];
  /** The verifier's --check command, and the delivery format it reads on stdin. */
  verifyWebhook(out: string): { argv: string[]; format: 'jsonl' | 'tsv' };
}

const example = (path: string): string => join(EXAMPLES, path);
const BASH: Tool = { program: 'bash', versionArgs: ['--version'], debian: 'bash' };

const LANGUAGES: Language[] = [
  {
    name: 'Python',
    dir: 'python',
    tools: [{ program: 'python3', versionArgs: ['--version'], debian: 'python3' }],
    signRequest: () => ['python3', example('python/sign_request.py')],
    verifyWebhook: () => ({ argv: ['python3', example('python/receiver.py'), '--verify'], format: 'jsonl' }),
  },
  {
    name: 'PHP',
    dir: 'php',
    tools: [{ program: 'php', versionArgs: ['--version'], debian: 'php-cli' }],
    signRequest: () => ['php', example('php/sign-request.php')],
    verifyWebhook: () => ({ argv: ['php', example('php/receiver.php'), '--verify'], format: 'jsonl' }),
  },
  {
    name: 'Go',
    dir: 'go',
    tools: [{ program: 'go', versionArgs: ['version'], debian: 'golang-go' }],
    // -buildvcs=false: the examples are built inside this repository's checkout, whose git state is none of Go's business.
    build: async (out) => [await run(['go', 'build', '-buildvcs=false', '-o', `${out}/`, './...'], { cwd: example('go') })],
    signRequest: (out) => [join(out, 'sign-request')],
    verifyWebhook: (out) => ({ argv: [join(out, 'verify-webhook'), '--check'], format: 'tsv' }),
  },
  {
    name: 'Java',
    dir: 'java',
    tools: [
      { program: 'javac', versionArgs: ['-version'], debian: 'default-jdk-headless' },
      { program: 'java', versionArgs: ['-version'], debian: 'default-jdk-headless' },
    ],
    build: async (out) => [await run(['javac', '-d', out, example('java/SignRequest.java'), example('java/VerifyWebhook.java')])],
    signRequest: (out) => ['java', '-cp', out, 'SignRequest'],
    verifyWebhook: (out) => ({ argv: ['java', '-cp', out, 'VerifyWebhook', '--check'], format: 'tsv' }),
  },
  {
    name: 'C#',
    dir: 'csharp',
    tools: [
      { program: 'mcs', versionArgs: ['--version'], debian: 'mono-mcs' },
      { program: 'mono', versionArgs: ['--version'], debian: 'mono-runtime' },
    ],
    build: (out) =>
      Promise.all([
        run(['mcs', '-r:System.Net.Http', `-out:${join(out, 'SignRequest.exe')}`, example('csharp/SignRequest.cs')]),
        run(['mcs', `-out:${join(out, 'VerifyWebhook.exe')}`, example('csharp/VerifyWebhook.cs')]),
      ]),
    buildHint: 'System.Net.Http is a package of its own in Debian: apt-get install -y --no-install-recommends libmono-system-net-http4.0-cil.',
    signRequest: (out) => ['mono', join(out, 'SignRequest.exe')],
    verifyWebhook: (out) => ({ argv: ['mono', join(out, 'VerifyWebhook.exe'), '--check'], format: 'tsv' }),
  },
  {
    name: 'curl and openssl',
    dir: 'curl',
    tools: [BASH, { program: 'curl', versionArgs: ['--version'], debian: 'curl' }, { program: 'openssl', versionArgs: ['version'], debian: 'openssl' }],
    signRequest: () => ['bash', example('curl/sign-request.sh')],
    verifyWebhook: () => ({ argv: ['bash', example('curl/verify-webhook.sh'), '--check'], format: 'tsv' }),
  },
];

/** Checks the toolchain and builds, once per language per run; the promise rejects with what to install. */
const prepared = new Map<Language, Promise<string>>();
function prepare(language: Language): Promise<string> {
  let ready = prepared.get(language);
  if (!ready) {
    ready = (async () => {
      for (const tool of language.tools) {
        const probe = await run([tool.program, ...tool.versionArgs]).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
        if (probe.code !== 0) {
          throw new Error(
            `${tool.program} is needed to run examples/${language.dir}/ and was not found (${probe.stderr.trim() || `exit status ${probe.code}`}). ` +
              `Install it: apt-get install -y --no-install-recommends ${tool.debian} (.ci/run does). This test does not skip.`,
          );
        }
      }
      const out = join(BUILD, language.dir);
      mkdirSync(out, { recursive: true });
      for (const build of (await language.build?.(out)) ?? []) {
        if (build.code !== 0) throw new Error(`examples/${language.dir}/ did not build:\n${build.stdout}${build.stderr}${language.buildHint ?? ''}`);
      }
      return out;
    })();
    ready.catch(() => {}); // reported by each test that awaits it
    prepared.set(language, ready);
  }
  return ready;
}
// Start every toolchain check and build at once, while the first tests run.
before(() => void LANGUAGES.forEach(prepare));

// ---- request signing: every v1 and v2 vector ----

interface Vectors {
  v1: { name: string; secret: string; timestamp: string; body: string; signed_body?: string; signature: string }[];
  v2: { name: string; secret: string; timestamp: string; method: string; path: string; body: string; signature: string }[];
  webhooks: { name: string; secrets: string[]; timestamp: string; body: string; headers: Record<string, string> }[];
}
const VECTORS = JSON.parse(readFileSync(join(ROOT, 'packages/signing/test-vectors.json'), 'utf8')) as Vectors;
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

// The --check line format of every signing example: v1 <secret> <timestamp> <body base64>, or
// v2 <secret> <timestamp> <method> <path> <body base64>. A vector in canonical form signs its signed_body.
const SIGN_CASES = [
  ...VECTORS.v1.map((v) => ({ name: `v1: ${v.name}`, line: ['v1', v.secret, v.timestamp, b64(v.signed_body ?? v.body)], signature: v.signature })),
  ...VECTORS.v2.map((v) => ({ name: `v2: ${v.name}`, line: ['v2', v.secret, v.timestamp, v.method, v.path, b64(v.body)], signature: v.signature })),
];

// ---- webhook verification: every vector, accepted, and refused when anything is off ----

interface Delivery {
  name: string;
  accept: boolean;
  /** What a refusal must say. */
  reason?: RegExp;
  body: string;
  headers: Record<string, string>;
  secret: string;
  /** UNIX seconds the verifier takes as now. */
  now: number;
}

const NO_MATCH = /raw request body/;
const kwikpaisaOnly = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-')));
/** Changes the body's first digit, as an attacker raising or lowering an amount would. */
const tamper = (body: string): string => body.replace(/\d/, (d) => String((Number(d) + 1) % 10));

function deliveries(): Delivery[] {
  const list: Delivery[] = [];
  for (const v of VECTORS.webhooks) {
    v.secrets.forEach((secret, i) => {
      const which = v.secrets.length > 1 ? ` (secret ${i + 1} of ${v.secrets.length})` : '';
      const base = { body: v.body, headers: v.headers, secret, now: Number(v.timestamp) };
      list.push(
        { ...base, name: `accepts "${v.name}"${which} with all six headers (Standard Webhooks is checked)`, accept: true },
        { ...base, name: `accepts "${v.name}"${which} with only the KwikPaisa headers`, accept: true, headers: kwikpaisaOnly(v.headers) },
        { ...base, name: `refuses "${v.name}"${which} with a tampered body`, accept: false, reason: NO_MATCH, body: tamper(v.body) },
        { ...base, name: `refuses "${v.name}"${which} with a tampered body, KwikPaisa headers`, accept: false, reason: NO_MATCH, body: tamper(v.body), headers: kwikpaisaOnly(v.headers) },
      );
    });
  }
  const [first, other] = [VECTORS.webhooks[0]!, VECTORS.webhooks.at(-1)!];
  const base = { body: first.body, headers: first.headers, secret: first.secrets[0]!, now: Number(first.timestamp) };
  const titleCase = Object.fromEntries(Object.entries(first.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
  const millis = { ...first.headers, 'webhook-timestamp': `${first.timestamp}000`, 'x-timestamp': `${first.timestamp}000` };
  list.push(
    { ...base, name: 'accepts header names in any letter case', accept: true, headers: titleCase },
    { ...base, name: 'refuses a delivery 301 s old', accept: false, reason: /tolerance/, now: base.now + 301 },
    { ...base, name: 'refuses a delivery 301 s ahead (KwikPaisa headers)', accept: false, reason: /tolerance/, now: base.now - 301, headers: kwikpaisaOnly(first.headers) },
    { ...base, name: 'refuses a timestamp in milliseconds', accept: false, reason: /milliseconds/, headers: millis },
    { ...base, name: 'refuses a delivery without signature headers', accept: false, reason: /missing/, headers: { 'content-type': 'application/json' } },
    { ...base, name: 'refuses a delivery verified with another secret', accept: false, reason: NO_MATCH, secret: other.secrets[0]! },
  );
  return list;
}

/** The deliveries in the verifier's stdin format: JSON lines (the Python and PHP receivers) or tab-separated lines. */
function encode(list: Delivery[], format: 'jsonl' | 'tsv'): string {
  const lines = list.map((d) =>
    format === 'jsonl'
      ? JSON.stringify({ body_base64: b64(d.body), headers: d.headers, secret: d.secret, now: d.now })
      : [String(d.now), d.secret, b64(d.body), ...Object.entries(d.headers).map(([name, value]) => `${name}: ${value}`)].join('\t'),
  );
  return lines.join('\n') + '\n';
}

/** One verdict a line: {"ok": ..., "error"?: ...} (JSON lines) or "ok" / "refused: <reason>". */
function parseVerdict(line: string, format: 'jsonl' | 'tsv'): { ok: boolean; error?: string } {
  if (format === 'jsonl') return JSON.parse(line) as { ok: boolean; error?: string };
  return line === 'ok' ? { ok: true } : { ok: false, error: line.replace(/^refused: /, '') };
}

for (const language of LANGUAGES) {
  describe(`examples/${language.dir}/ (${language.name}), against packages/signing/test-vectors.json`, () => {
    it('signs every v1 and v2 request vector to its signature', async () => {
      const out = await prepare(language);
      const input = SIGN_CASES.map((c) => c.line.join('\t')).join('\n') + '\n';
      const result = await run([...language.signRequest(out), '--check'], { input });
      assert.equal(result.code, 0, result.stderr);
      const signatures = result.stdout.split('\n').filter((line) => line !== '');
      assert.deepEqual(
        SIGN_CASES.map((c, i) => `${c.name}: ${signatures[i]}`),
        SIGN_CASES.map((c) => `${c.name}: ${c.signature}`),
      );
    });

    it('verifies webhooks: accepts every vector and refuses each kind of forgery, saying why', async () => {
      const out = await prepare(language);
      const { argv, format } = language.verifyWebhook(out);
      const list = deliveries();
      const result = await run(argv, { input: encode(list, format) });
      const verdicts = result.stdout.split('\n').filter((line) => line !== '').map((line) => parseVerdict(line, format));
      assert.equal(verdicts.length, list.length, `one verdict per delivery; stderr: ${result.stderr}`);
      assert.equal(result.code, 1, 'exit status 1 when any delivery was refused');
      list.forEach((d, i) => {
        const verdict = verdicts[i]!;
        assert.equal(verdict.ok, d.accept, `${d.name}: ${verdict.error ?? 'accepted'}`);
        if (d.reason) assert.match(verdict.error ?? '', d.reason, d.name);
      });
    });
  });
}

// ---- against a listening gateway: create an order (v1), read its status (v2) ----

interface Reply {
  return_data: { order_id: string; gateway_order_id: string; order_status: string };
}

for (const backend of BACKENDS) {
  describe(`the signing examples against a listening gateway on ${backend.name}`, () => {
    let opened: OpenedBackend;
    let gateway: Gateway;
    let env: Record<string, string>;

    before(async () => {
      opened = await backend.open();
      const config = loadConfig({ PORT: '0', TIJORI_DATA_DIR: mkdtempSync(join(BUILD, 'gateway-')), TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
      gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent') });
      const creds = JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8')) as { api_key: string; secret_key: string };
      const port = (gateway.app.server.address() as AddressInfo).port;
      env = { TIJORI_BASE_URL: `http://127.0.0.1:${port}`, TIJORI_API_KEY: creds.api_key, TIJORI_SECRET_KEY: creds.secret_key };
    });
    after(async () => {
      await gateway?.close();
      await opened?.cleanup();
    });

    for (const language of LANGUAGES) {
      it(`examples/${language.dir}/ (${language.name}) creates an order and reads its status`, async () => {
        const out = await prepare(language);
        const orderId = `${language.dir}-${randomBytes(4).toString('hex')}`;
        const result = await run([...language.signRequest(out), orderId], { env });
        assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
        const reply = (name: string): { status: number; body: Reply } => {
          const match = new RegExp(`^${name}: (\\d{3}) (.*)$`, 'm').exec(result.stdout);
          assert.ok(match, `a "${name}: <status> <reply>" line in:\n${result.stdout}`);
          return { status: Number(match[1]), body: JSON.parse(match[2]!) as Reply };
        };
        const created = reply('create');
        const status = reply('status');
        assert.equal(created.status, 200);
        assert.equal(created.body.return_data.order_id, orderId);
        assert.equal(created.body.return_data.order_status, 'UN_PAID');
        assert.equal(status.status, 200);
        assert.equal(status.body.return_data.order_id, orderId);
        assert.equal(status.body.return_data.gateway_order_id, created.body.return_data.gateway_order_id);
        assert.ok(!result.stdout.includes(env.TIJORI_SECRET_KEY!) && !result.stderr.includes(env.TIJORI_SECRET_KEY!), 'the secret key is never printed');
      });
    }
  });
}

describe('examples/README.md', () => {
  it('links every example, so none is left out of its table', () => {
    const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
    const files = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter(
      (file) => statSync(join(EXAMPLES, file)).isFile() && !['README.md', 'go/go.mod'].includes(file),
    );
    assert.ok(files.length >= 13, files.join(', '));
    for (const file of files) assert.ok(readme.includes(`](${file})`), `examples/README.md links ${file}`);
  });
});
