/**
 * `tijori verify` on realistic mistakes: each request below is first sent to
 * a real gateway, which refuses it (invalid_signature), and then explained
 * from the same inputs, as an integrator would after that refusal. The
 * webhook half verifies a delivery the gateway really made.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalJson, signRequest } from '@tijori/signing';
import { type CliGateway, type CliRun, startCliGateway } from '../test-support/cli-gateway.js';
import { orderBody } from '../test-support/test-gateway.js';
import { Receiver } from '../test-support/webhook-receiver.js';

const CREATE = '/api/v3/pg/order/create';
const ANSI = /\u001b\[/;
const work = mkdtempSync(join(tmpdir(), 'tijori-verify-'));

/** Writes `content` to a file in the work directory and returns its path. */
function file(name: string, content: string | Buffer): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

const now = () => String(Math.floor(Date.now() / 1000));
const hmac = (secret: string, message: string) => createHmac('sha256', secret).update(message).digest('hex');

interface Sent {
  headers: Record<string, string>;
  body: string;
  path: string;
}

describe('tijori verify, on requests a gateway refused and on a real webhook delivery', () => {
  let cli: CliGateway;
  let merchantId: string;
  let apiKey: string;
  let secret: string;
  let liveSecret: string;
  const runs: CliRun[] = [];
  const tijori = async (args: string[], env: Record<string, string> = { TIJORI_SECRET_KEY: secret }) => {
    const run = await cli.tijori(['verify', ...args], env);
    runs.push(run);
    return run;
  };
  /** `tijori verify … --json`, expecting a mismatch (exit 1). */
  const verdict = async (args: string[], env?: Record<string, string>) => {
    const run = await tijori([...args, '--json'], env);
    assert.equal(run.code, 1, run.stderr || run.stdout);
    return JSON.parse(run.stdout) as { ok: boolean; code: string; message: string };
  };

  /** Sends what the mistaken client sends; asserts the gateway refuses it as invalid_signature. */
  async function refused(sent: Sent): Promise<void> {
    const res = await fetch(cli.base + sent.path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...sent.headers }, body: sent.body });
    const reply = (await res.json()) as { error_code: string };
    assert.equal(reply.error_code, 'invalid_signature', JSON.stringify(reply));
  }

  before(async () => {
    // No background dispatcher: the test delivers the webhook itself, when it wants it.
    cli = await startCliGateway({ TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' });
    const created = await cli.json(['merchant', 'create', '--name', 'Verify Traders']);
    merchantId = created.merchant.id;
    apiKey = created.key.api_key;
    secret = created.key.secret_key;
    liveSecret = (await cli.json(['key', 'create', merchantId, '--live'])).key.secret_key;
  });
  after(async () => {
    await cli?.close();
  });

  it('says a correct signature matches, and prints the string it covers', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const run = await tijori(['--signature', signRequest({ secret, timestamp, body }), '--timestamp', timestamp, '--data', body]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^ok: the signature matches \(scheme v1, the body as sent\)\.\nSigned {2}"\{\\"order_id\\":/);
    assert.doesNotMatch(run.stdout, ANSI);
  });

  it('the shell: echo "$BODY$TS" | openssl dgst adds a newline to the signed string', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const out = execFileSync('sh', ['-c', 'echo "$BODY$TS" | openssl dgst -sha256 -hmac "$SECRET"'], { env: { PATH: process.env.PATH, BODY: body, TS: timestamp, SECRET: secret } }).toString();
    const signature = /([0-9a-f]{64})\s*$/.exec(out)?.[1] ?? '';
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    const run = await tijori(['--signature', signature, '--timestamp', timestamp, '--data', body, '--scheme', 'v1']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^mismatch \(message_newline\): The signature covers the signed string followed by a newline: it was piped through echo/);
    assert.match(run.stdout, new RegExp(`^your signature covers {3}….*${timestamp}\\\\n"$`, 'm'));
    assert.match(run.stdout, /^ +\^ first difference, at byte \d+$/m);
  });

  it('the other scheme: a v2 signature sent without X-SIGNATURE-VERSION, explained from the captured request', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const signature = signRequest({ scheme: 'v2', secret, timestamp, body, method: 'POST', path: CREATE });
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    // As a proxy log or `nc -l` shows it: request line, headers, blank line, body.
    const captured = file('captured.http', `POST ${CREATE} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nX-API-KEY: ${apiKey}\r\nX-TIMESTAMP: ${timestamp}\r\nX-SIGNATURE: ${signature}\r\n\r\n${body}`);
    const v = await verdict(['--headers-file', captured]);
    assert.equal(v.code, 'other_scheme');
    assert.match(v.message, /is a v2 .* signature, but the request declares v1 .*Send X-SIGNATURE-VERSION: 2/);
  });

  it('canonical vs raw: a v2 client that signed the canonical JSON and sent its own', async () => {
    const order = orderBody();
    const body = JSON.stringify(order, null, 2);
    const timestamp = now();
    const signature = signRequest({ scheme: 'v2', secret, timestamp, body: canonicalJson(order), method: 'POST', path: CREATE });
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature, 'x-signature-version': '2' }, body });

    const v = await verdict(['-H', `X-Signature: ${signature}`, '-H', `X-Timestamp: ${timestamp}`, '-H', 'X-Signature-Version: 2', '--path', CREATE, '--data', `@${file('pretty.json', body)}`]);
    assert.equal(v.code, 'body_canonicalised');
    assert.match(v.message, /matches if the body is canonicalised .*re-serialised the JSON/);
  });

  it('a trailing newline: the file sent with curl --data-binary ends with one, the signer trimmed it', async () => {
    const body = `${JSON.stringify(orderBody())}\n`;
    const timestamp = now();
    const signature = signRequest({ secret, timestamp, body: body.trim() });
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    const v = await verdict(['--signature', signature, '--timestamp', timestamp, '--data', `@${file('order.json', body)}`, '--scheme', 'v1']);
    assert.equal(v.code, 'body_trailing_newline');
  });

  it('milliseconds: Date.now() signed, seconds sent', async () => {
    const body = JSON.stringify(orderBody());
    const millis = String(Date.now());
    const timestamp = millis.slice(0, -3);
    const signature = signRequest({ secret, timestamp: millis, body });
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    const v = await verdict(['--signature', signature, '--timestamp', timestamp, '--data', body, '--scheme', 'v1']);
    assert.equal(v.code, 'timestamp_milliseconds');
    assert.match(v.message, new RegExp(`covers the timestamp in milliseconds \\(${millis}\\), but X-TIMESTAMP sends seconds \\(${timestamp}\\)`));
  });

  it('the query string: v2 signed over the path alone, sent with ?source=app', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const signature = signRequest({ scheme: 'v2', secret, timestamp, body, method: 'POST', path: CREATE });
    await refused({ path: `${CREATE}?source=app`, headers: { 'x-timestamp': timestamp, 'x-signature': signature, 'x-signature-version': '2' }, body });

    const v = await verdict(['--signature', signature, '--timestamp', timestamp, '--data', body, '--scheme', 'v2', '--path', `${CREATE}?source=app`]);
    assert.equal(v.code, 'path_query');
  });

  it('the wrong secret: the live secret used with the sandbox API key', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const signature = hmac(liveSecret, body + timestamp);
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    const v = await verdict(['--signature', signature, '--timestamp', timestamp, '--data', body, '--api-key', apiKey], { TIJORI_SECRET_KEY: liveSecret });
    assert.equal(v.code, 'secret_mode');
    assert.match(v.message, /API key is a test key \(pk_test_\) and the secret key a live secret \(sk_live_\)/);
  });

  it("whitespace: Python signed a compact json.dumps and requests' json= sent the spaced one", async () => {
    const python = `import hashlib, hmac, json, sys
o = json.loads(sys.argv[1])
print(hmac.new(sys.argv[2].encode(), (json.dumps(o, separators=(',', ':')) + sys.argv[3]).encode(), hashlib.sha256).hexdigest())
sys.stdout.write(json.dumps(o))`;
    const timestamp = now();
    const [signature, body] = execFileSync('python3', ['-c', python, JSON.stringify(orderBody()), secret, timestamp]).toString().split('\n') as [string, string];
    await refused({ path: CREATE, headers: { 'x-timestamp': timestamp, 'x-signature': signature }, body });

    const run = await tijori(['--signature', signature, '--timestamp', timestamp, '--data', body, '--scheme', 'v1']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^mismatch \(body_reserialised\): The signature matches the body written as compact JSON/);
    assert.match(run.stdout, /^the request signs \(v1\) {2}"\{\\"order_id\\": \\"/m);
  });

  it('says when the secret itself differs, and shows the strings the gateway signs', async () => {
    const body = JSON.stringify(orderBody());
    const timestamp = now();
    const run = await tijori(['--signature', hmac('sk_test_someone_else', body + timestamp), '--timestamp', timestamp, '--data', body, '--scheme', 'v1']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^mismatch \(no_match\): .*secret most likely differs/);
    assert.match(run.stdout, /^ {2}v1 raw +<body sha256=[0-9a-f]{64} length=\d+>\d+$/m);
  });

  describe('--webhook', () => {
    const receiver = new Receiver();
    let hookSecret: string;
    let otherSecret: string;
    let headersFile: string;
    let bodyFile: string;
    let body: string;

    before(async () => {
      const url = await receiver.start();
      hookSecret = (await cli.json(['webhook', 'create', merchantId, url])).secret;
      otherSecret = (await cli.json(['webhook', 'create', merchantId, `${url}/other`, '--events', 'security.alert'])).secret;
      // A sandbox payment, made with tijori request itself; then the delivery.
      const env = { TIJORI_URL: cli.base, TIJORI_API_KEY: apiKey, TIJORI_SECRET_KEY: secret };
      const order = orderBody();
      for (const [path, payload] of [[CREATE, order], ['/api/v3/sandbox/order/simulate', { order_id: order.order_id, outcome: 'success' }]] as const) {
        const run = await cli.tijori(['request', 'POST', path, '--data', JSON.stringify(payload)], env);
        assert.equal(run.code, 0, run.stderr);
      }
      assert.equal(await cli.gateway.webhooks.drain(), 1);
      const delivery = receiver.received[0];
      assert.ok(delivery);
      body = delivery.body;
      headersFile = file('delivery.headers', Object.entries(delivery.headers).map(([name, value]) => `${name}: ${String(value)}`).join('\n'));
      bodyFile = file('delivery.json', body);
    });
    after(() => receiver.close());

    it('accepts the delivery as received, from a headers file and the body', async () => {
      const run = await tijori(['--webhook', '--secret', hookSecret, '--headers-file', headersFile, '--data', `@${bodyFile}`], {});
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^ok: a valid delivery \(Standard Webhooks headers, event evt_[0-9a-f]{24}, signed at \d{4}-/);
      const fromJson = await tijori(['--webhook', '--headers-file', file('delivery.headers.json', JSON.stringify(receiver.received[0]?.headers)), '--data', `@${bodyFile}`], { TIJORI_WEBHOOK_SECRET: hookSecret });
      assert.equal(fromJson.code, 0, fromJson.stdout);
    });

    it('finds the body a framework parsed and pretty-printed before verifying', async () => {
      const v = await verdict(['--webhook', '--secret', hookSecret, '--headers-file', headersFile, '--data', `@${file('reparsed.json', JSON.stringify(JSON.parse(body), null, 2))}`], {});
      assert.equal(v.code, 'body_reserialised');
      assert.match(v.message, /parsed and serialised again before verifying.*express\.raw/);
    });

    it("says another endpoint's secret is the wrong secret", async () => {
      const v = await verdict(['--webhook', '--secret', otherSecret, '--headers-file', headersFile, '--data', `@${bodyFile}`], {});
      assert.equal(v.code, 'wrong_secret');
    });

    it('passes on the explanation for an API secret given in place of the webhook secret', async () => {
      const v = await verdict(['--webhook', '--secret', secret, '--headers-file', headersFile, '--data', `@${bodyFile}`], {});
      assert.equal(v.code, 'invalid_secret');
      assert.match(v.message, /This is an API key; webhooks are signed with the endpoint's own secret/);
    });

    it('says a stored delivery checked later is valid but outside the tolerance (headers given with -H)', async () => {
      const vectors = JSON.parse(readFileSync(new URL(import.meta.resolve('@tijori/signing/test-vectors.json')), 'utf8')) as { webhooks: { secrets: string[]; body: string; headers: Record<string, string> }[] };
      const stored = vectors.webhooks[0] as (typeof vectors.webhooks)[number];
      const headers = Object.entries(stored.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
      const run = await tijori(['--webhook', '--secret', stored.secrets[0] as string, ...headers, '--data', stored.body], {});
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^invalid \(stale_delivery\): The signature is valid, but the delivery was signed \d+ seconds ago, outside the 300 s tolerance/);
    });
  });

  it('exits 2 without a signature, or with a webhook secret in request mode', async () => {
    for (const args of [['--timestamp', '1'], ['--signature', 'ab', '--timestamp', '1', '--secret', 'whsec_x']]) {
      const run = await tijori(args);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
    }
  });

  it('never prints a secret', () => {
    for (const run of runs) {
      for (const s of [secret, liveSecret]) assert.equal(run.stdout.includes(s) || run.stderr.includes(s), false, run.stdout);
    }
  });
});
