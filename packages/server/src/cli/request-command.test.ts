import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type CliGateway, type CliRun, startCliGateway } from '../test-support/cli-gateway.js';
import { freePort } from '../test-support/free-port.js';
import { orderBody } from '../test-support/test-gateway.js';

// The built CLI, as developers run it (npm test builds first).
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const ANSI = /\u001b\[/;

/** Runs the built CLI with only `env` (and PATH), in `cwd`, with `input` on standard input. */
async function run(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...options.env }, cwd: options.cwd ?? tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(options.input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('tijori request, against a listening gateway', () => {
  let cli: CliGateway;
  let env: Record<string, string>;
  let secret: string;
  let apiKey: string;
  let work: string;
  const runs: CliRun[] = [];
  const tijori = async (args: string[], options: Parameters<typeof run>[1] = {}) => {
    const result = await run(['request', ...args], { env, cwd: work, ...options });
    runs.push(result);
    return result;
  };

  before(async () => {
    cli = await startCliGateway();
    const created = await cli.json(['merchant', 'create', '--name', 'Dev Shop']);
    apiKey = created.key.api_key;
    secret = created.key.secret_key;
    env = { TIJORI_URL: cli.base, TIJORI_API_KEY: apiKey, TIJORI_SECRET_KEY: secret };
    work = mkdtempSync(join(tmpdir(), 'tijori-request-'));
  });
  after(async () => {
    await cli?.close();
  });

  it('creates an order from --data @file and reads its status, printing the reply bytes as received when piped', async () => {
    const order = orderBody();
    writeFileSync(join(work, 'order.json'), JSON.stringify(order));
    const created = await tijori(['POST', '/api/v3/pg/order/create', '--data', '@order.json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, '');
    const reply = JSON.parse(created.stdout);
    assert.equal(reply.return_data.order_id, order.order_id);
    assert.equal(created.stdout, JSON.stringify(reply), 'compact, as the gateway sent it');

    const status = await tijori(['POST', '/api/v3/pg/order/status', '--data', JSON.stringify({ order_id: order.order_id })]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).return_data.order_status, 'UN_PAID');
    assert.equal(JSON.parse(status.stdout).return_data.gateway_order_id, reply.return_data.gateway_order_id);
    for (const r of [created, status]) assert.doesNotMatch(r.stdout + r.stderr, ANSI);
  });

  it('reads the body from standard input with --data @-, and signs v1 on request', async () => {
    const order = orderBody();
    const result = await tijori(['POST', '/api/v3/pg/order/create', '--data', '@-', '--scheme', 'v1'], { input: JSON.stringify(order) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).return_data.order_id, order.order_id);
  });

  it('--json prints the status, the headers and the parsed body; --include puts the status line and headers first', async () => {
    const order = orderBody();
    const json = await tijori(['POST', '/api/v3/pg/order/create', '--data', JSON.stringify(order), '--json']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.status, 200);
    assert.match(parsed.headers['x-request-id'], /^req_/);
    assert.equal(parsed.body.return_data.order_id, order.order_id);

    const included = await tijori(['POST', '/api/v3/pg/order/status', '--data', JSON.stringify({ order_id: order.order_id }), '--include']);
    assert.equal(included.code, 0, included.stderr);
    assert.match(included.stdout, /^HTTP 200 OK\n([\w-]+: .*\n)+\n\{"code":"200"/);
    assert.match(included.stdout, /^content-type: application\/json; charset=utf-8$/m);
  });

  it('--print-curl prints a command that curl runs successfully once, and sends nothing itself', async () => {
    const order = orderBody({ order_note: "it's the customer's note" });
    const printed = await tijori(['POST', '/api/v3/pg/order/create', '--data', JSON.stringify(order), '--print-curl']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/api\/v3\/pg\/order\/create \\\n {2}-H 'Accept: application\/json' \\\n/);
    assert.match(printed.stdout, /-H 'X-SIGNATURE: [0-9a-f]{64}' \\\n {2}-H 'X-SIGNATURE-VERSION: 2' \\\n {2}--data-binary '/);
    assert.equal(printed.stdout.includes(secret), false);

    const before = await tijori(['POST', '/api/v3/pg/order/status', '--data', JSON.stringify({ order_id: order.order_id })]);
    assert.equal(before.code, 1, 'the CLI did not create the order itself');

    const curl = await promisify(execFile)('sh', ['-c', printed.stdout]);
    const reply = JSON.parse(curl.stdout);
    assert.equal(reply.message, 'Order created');
    assert.equal(reply.return_data.order_id, order.order_id);

    const again = await promisify(execFile)('sh', ['-c', printed.stdout]);
    assert.equal(JSON.parse(again.stdout).error_code, 'replayed_request', 'the signature is single-use');
  });

  it('exits 1 when the gateway refuses: the reply body on stdout, error_code: message (request_id) on stderr', async () => {
    const result = await tijori(['POST', '/api/v3/pg/order/status', '--data', '{"order_id":"never-created"}']);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).error_code, 'order_not_found');
    assert.match(result.stderr, /^order_not_found: No order with this order_id exists for this API key\. \(req_[0-9a-f]{32}\)$/m);

    const invalid = await tijori(['POST', '/api/v3/pg/order/create', '--data', JSON.stringify(orderBody({ order_amount: 'lots' }))]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^validation_failed: .*\n {2}order_amount: /m);
  });

  it('explains an invalid signature from a wrong secret by naming where the credentials came from', async () => {
    const result = await tijori(['POST', '/api/v3/pg/order/status', '--data', '{"order_id":"x"}'], { env: { ...env, TIJORI_SECRET_KEY: 'sk_test_not_the_right_secret_0000' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^invalid_signature: /m);
    assert.match(result.stderr, new RegExp(`the secret key is most likely not ${apiKey}'s \\(credentials: API key from TIJORI_API_KEY, secret key from TIJORI_SECRET_KEY, URL from TIJORI_URL\\)`));
  });

  it('exits 3 when nothing listens at the URL', async () => {
    const result = await tijori(['POST', '/api/v3/pg/order/status', '--data', '{}'], { env: { ...env, TIJORI_URL: `http://127.0.0.1:${await freePort()}` } });
    assert.equal(result.code, 3);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^tijori: nothing is listening at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
  });

  for (const [what, args, options, message] of [
    ['no credentials anywhere', ['POST', '/api/v3/pg/order/status'], { env: {} }, /no secret key: set TIJORI_SECRET_KEY/],
    ['an unknown scheme', ['POST', '/api/v3/pg/order/status', '--scheme', 'v3'], {}, /--scheme: v1 .* or v2 .*, not "v3"/],
    ['a URL instead of a path', ['POST', 'http://127.0.0.1/api/v3/pg/order/status'], {}, /<path>: the path and query, starting with "\/"/],
    ['a file name without @', ['POST', '/api/v3/pg/order/create', '--data', 'order.json'], {}, /write --data @order\.json to send the file's contents/],
    ['an unknown option', ['POST', '/x', '--nope'], {}, /unknown option '--nope'/],
  ] as const) {
    it(`exits 2 without sending anything on ${what}`, async () => {
      const result = await tijori([...args], options);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    });
  }

  it('takes every credential from ./.tijori/sandbox-credentials.json in the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tijori-sandbox-cwd-'));
    mkdirSync(join(cwd, '.tijori'));
    writeFileSync(join(cwd, '.tijori', 'sandbox-credentials.json'), JSON.stringify({ merchant_id: 'mer_x', api_key: apiKey, secret_key: secret, base_url: cli.base }));
    const result = await tijori(['POST', '/api/v3/pg/order/create', '--data', JSON.stringify(orderBody())], { env: {}, cwd });
    assert.equal(result.code, 0, result.stderr);
  });

  it('on a terminal, pretty-prints the body and colours the status line; NO_COLOR keeps it plain', async () => {
    // Two different bodies: the same request twice in one second would be refused as replayed.
    const command = (noColor: string) =>
      `${noColor} TIJORI_URL=${cli.base} TIJORI_API_KEY=${apiKey} TIJORI_SECRET_KEY=${secret} ${process.execPath} ${CLI} request POST /api/v3/pg/order/status --data '{"order_id":"never-created-${noColor ? 1 : 2}"}'`;
    // script(1) gives the CLI a pseudo-terminal: the only way to see what a person sees.
    const tty = await promisify(execFile)('script', ['-qec', command(''), '/dev/null']).catch((err: { stdout: string }) => err);
    assert.match(tty.stdout, /\u001b\[31mHTTP 404 Not Found\u001b\[39m/);
    assert.match(tty.stdout, /\{\r\n {2}"code": "404",\r\n/);
    const plain = await promisify(execFile)('script', ['-qec', command('NO_COLOR=1'), '/dev/null']).catch((err: { stdout: string }) => err);
    assert.match(plain.stdout, /HTTP 404 Not Found/);
    assert.doesNotMatch(plain.stdout, ANSI);
  });

  it('never prints the secret key', () => {
    assert.ok(runs.length > 10);
    for (const r of runs) assert.equal(r.stdout.includes(secret) || r.stderr.includes(secret), false, r.stdout + r.stderr);
  });
});
