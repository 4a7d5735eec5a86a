import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '@tijori/signing';
import { type CliGateway, type CliRun, countOf, startCliGateway } from '../test-support/cli-gateway.js';
import { orderBody } from '../test-support/test-gateway.js';
import { freePort } from '../test-support/free-port.js';

describe('tijori merchant and key commands, against a listening gateway', () => {
  let cli: CliGateway;
  let base: string;
  let TOKEN: string;
  const tijori = (args: string[], env?: Record<string, string>, cwd?: string): Promise<CliRun> => cli.tijori(args, env, cwd);
  const json = <T = Record<string, any>>(args: string[]): Promise<T> => cli.json<T>(args);

  let merchantId: string;
  let apiKey: string;
  let firstSecret: string;

  before(async () => {
    cli = await startCliGateway();
    base = cli.base;
    TOKEN = cli.token;
  });
  after(() => cli?.close());

  it('creates a merchant, printing its secret exactly once in the --json reply', async () => {
    const run = await tijori(['merchant', 'create', '--name', 'Acme Traders', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const created = JSON.parse(run.stdout);
    assert.equal(created.merchant.name, 'Acme Traders');
    assert.match(created.merchant.id, /^mer_[0-9a-f]{24}$/);
    assert.match(created.key.api_key, /^pk_test_/);
    assert.equal(created.key.mode, 'sandbox');
    assert.match(created.key.secret_key, /^sk_test_/);
    assert.equal(countOf(run.stdout, created.key.secret_key), 1);
    assert.equal(run.stderr, '');
    merchantId = created.merchant.id;
    apiKey = created.key.api_key;
    firstSecret = created.key.secret_key;
  });

  it('shows a merchant and its keys without any secret', async () => {
    const run = await tijori(['merchant', 'show', merchantId, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const shown = JSON.parse(run.stdout);
    assert.equal(shown.merchant.id, merchantId);
    assert.deepEqual(shown.keys.map((k: { api_key: string }) => k.api_key), [apiKey]);
    assert.equal(run.stdout.includes(firstSecret), false);
    assert.equal(run.stdout.includes('secret_key'), false);

    const human = await tijori(['merchant', 'show', merchantId]);
    assert.match(human.stdout, /Name\s+Acme Traders/);
    assert.match(human.stdout, new RegExp(`${apiKey}\\s+sandbox\\s+active`));
    assert.equal(human.stdout.includes(firstSecret), false);
  });

  it('lists merchants as a readable table naming each merchant', async () => {
    const run = await tijori(['merchant', 'list']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+STATUS\s+CREATED$/);
    const row = lines.find((l) => l.startsWith(merchantId));
    assert.ok(row, run.stdout);
    assert.match(row, /Acme Traders\s+active/);
  });

  it('issues a live key with a label, printing the secret once and saying it will not be shown again', async () => {
    const run = await tijori(['key', 'create', merchantId, '--live', '--label', 'checkout server']);
    assert.equal(run.code, 0, run.stderr);
    const secret = /Secret\s+(sk_live_\S+)/.exec(run.stdout)?.[1];
    assert.ok(secret, run.stdout);
    assert.equal(countOf(run.stdout, secret), 1);
    assert.match(run.stdout, /Mode\s+live/);
    assert.match(run.stdout, /Label\s+checkout server/);
    assert.match(run.stdout, /^Store this secret now: it is shown only once\.$/m);
  });

  it('rolls a key with --overlap 1h: a new secret, the previous one valid for one more hour', async () => {
    const rolled = await json(['key', 'roll', apiKey, '--overlap', '1h']);
    assert.match(rolled.key.secret_key, /^sk_test_/);
    assert.notEqual(rolled.key.secret_key, firstSecret);
    const until = Date.parse(rolled.previous_secret_valid_until);
    assert.ok(Math.abs(until - (Date.now() + 3600_000)) < 60_000, rolled.previous_secret_valid_until);
    const shown = await json(['key', 'show', apiKey]);
    assert.equal(shown.key.previous_secret_valid_until, rolled.previous_secret_valid_until);
  });

  it('says when the previous secret stops working, in the readable output of a roll', async () => {
    const run = await tijori(['key', 'roll', apiKey, '--overlap', '30m']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /previous secret stays valid until \d{4}-\d\d-\d\dT/);
    assert.match(run.stdout, /Store this secret now: it is shown only once\./);
  });

  it('replaces the IP allowlist with the entries given, normalised, and clears it with --clear', async () => {
    const set = await json(['key', 'allow-ip', apiKey, '203.0.113.7/24', '2001:DB8:0::/32']);
    assert.deepEqual(set.key.ip_allowlist, ['203.0.113.0/24', '2001:db8::/32']);
    const shown = await json(['key', 'show', apiKey]);
    assert.deepEqual(shown.key.ip_allowlist, ['203.0.113.0/24', '2001:db8::/32']);
    assert.equal(shown.key.ip_allowlist_mode, 'enforce');

    const replaced = await json(['key', 'allow-ip', apiKey, '198.51.100.9', '--report-only']);
    assert.deepEqual(replaced.key.ip_allowlist, ['198.51.100.9']);
    assert.equal(replaced.key.ip_allowlist_mode, 'report');

    const human = await tijori(['key', 'show', apiKey]);
    assert.match(human.stdout, /IP allowlist\s+198\.51\.100\.9 \(report only/);

    const cleared = await json(['key', 'allow-ip', apiKey, '--clear']);
    assert.deepEqual(cleared.key.ip_allowlist, []);
  });

  it('refuses an allowlist entry that is not an address or range (exit 1, validation_failed)', async () => {
    const run = await tijori(['key', 'allow-ip', apiKey, '203.0.113.300']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^validation_failed: .* \(req_[0-9a-f]{32}\)$/m);
  });

  it('sets the accepted signature schemes and the rate limit, and returns the rate limit to the default', async () => {
    const schemes = await json(['key', 'schemes', apiKey, 'v2']);
    assert.deepEqual(schemes.key.allowed_schemes, ['v2']);
    const limited = await json(['key', 'rate-limit', apiKey, '120']);
    assert.equal(limited.key.rate_limit_per_minute, 120);
    assert.equal(limited.key.rate_limit_is_default, false);
    const reset = await json(['key', 'rate-limit', apiKey, 'default']);
    assert.equal(reset.key.rate_limit_is_default, true);
    await json(['key', 'schemes', apiKey, 'v1', 'v2']);
  });

  it("shows a merchant's activity as a table of key, address and counts", async () => {
    // One signed request with the key's current secret, so there is activity to show.
    const rolled = await json(['key', 'roll', apiKey, '--overlap', '0']);
    const payload = JSON.stringify(orderBody());
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${base}/api/v3/pg/order/create`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': apiKey,
        'x-timestamp': timestamp,
        'x-signature': signRequest({ secret: rolled.key.secret_key, timestamp, body: payload }),
      },
      body: payload,
    });
    assert.equal(res.status, 200, await res.text());

    const activity = await json(['merchant', 'activity', merchantId]);
    assert.equal(activity.activity[0].api_key, apiKey);
    assert.equal(activity.activity[0].requests, 1);
    const run = await tijori(['merchant', 'activity', merchantId]);
    assert.match(run.stdout, /^KEY\s+IP\s+REQUESTS\s+REFUSED\s+OUTSIDE ALLOWLIST\s+LAST SEEN$/m);
    assert.match(run.stdout, new RegExp(`^${apiKey}\\s+\\S+\\s+1\\s+0\\s+0\\s+\\d{4}-`, 'm'));
  });

  it('suspends and reactivates a merchant', async () => {
    assert.equal((await json(['merchant', 'suspend', merchantId])).merchant.status, 'suspended');
    const run = await tijori(['merchant', 'activate', merchantId]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /is now active/);
  });

  it('lists no key as due for rotation when every secret is new', async () => {
    assert.deepEqual((await json(['key', 'rotation-due'])).keys, []);
    assert.match((await tijori(['key', 'rotation-due'])).stdout, /No active key is due for rotation/);
  });

  it('revokes a key, after which key show says revoked and a second revoke is refused (exit 1, key_revoked)', async () => {
    const revoked = await json(['key', 'revoke', apiKey]);
    assert.equal(revoked.key.status, 'revoked');
    const human = await tijori(['key', 'show', apiKey]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^Status\s+revoked$/m);
    assert.match(human.stdout, /^Revoked\s+\d{4}-/m);

    const again = await tijori(['key', 'revoke', apiKey, '--json']);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).error_code, 'key_revoked');
    assert.match(again.stderr, /^key_revoked: .+ \(req_[0-9a-f]{32}\)$/m);
  });

  it('names a merchant that does not exist (exit 1, merchant_not_found)', async () => {
    const run = await tijori(['merchant', 'show', 'mer_000000000000000000000000']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^merchant_not_found: No such merchant\. \(req_[0-9a-f]{32}\)$/m);
    assert.equal(run.stdout, '');
  });

  it('exits 1 with admin_unauthorized for a wrong token, printing the envelope with --json', async () => {
    const wrong = randomBytes(20).toString('hex');
    const run = await tijori(['merchant', 'list', '--json'], { TIJORI_URL: base, TIJORI_ADMIN_TOKEN: wrong });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^admin_unauthorized: .+ \(req_[0-9a-f]{32}\)$/m);
    const envelope = JSON.parse(run.stdout);
    assert.equal(envelope.error_code, 'admin_unauthorized');
    assert.equal(envelope.status, 'failed');
    assert.equal(envelope.code, '401');
    assert.equal((run.stdout + run.stderr).includes(wrong), false, 'a wrong token is not printed either');

    const flag = await tijori(['merchant', 'list', '--url', base, '--token', wrong]);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /admin_unauthorized/);
  });

  it('exits 3 when nothing listens at the URL', async () => {
    const run = await tijori(['merchant', 'list'], { TIJORI_URL: `http://127.0.0.1:${await freePort()}`, TIJORI_ADMIN_TOKEN: TOKEN });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /nothing is listening at http:\/\/127\.0\.0\.1:\d+/);
    assert.equal(run.stdout, '');
  });

  it('exits 3 when what answers is not a Tijori gateway, and never follows a redirect with the token', async () => {
    const seenAuthorization: (string | undefined)[] = [];
    const other = createHttpServer((req, res) => {
      seenAuthorization.push(req.headers.authorization);
      if (req.url?.startsWith('/elsewhere')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a login page</html>');
      } else {
        res.writeHead(302, { location: `http://127.0.0.1:${(other.address() as AddressInfo).port}/elsewhere` }).end();
      }
    }).listen(0, '127.0.0.1');
    await once(other, 'listening');
    try {
      const port = (other.address() as AddressInfo).port;
      const html = await tijori(['merchant', 'list', '--url', `http://127.0.0.1:${port}/elsewhere`]);
      assert.equal(html.code, 3, html.stderr);
      assert.match(html.stderr, /something other than JSON: is --url a Tijori gateway\?/);

      seenAuthorization.length = 0;
      const redirected = await tijori(['merchant', 'list', '--url', `http://127.0.0.1:${port}`]);
      assert.equal(redirected.code, 3, redirected.stderr);
      assert.match(redirected.stderr, /redirect \(HTTP 302/);
      assert.equal(seenAuthorization.length, 1, 'the redirect was not followed');
    } finally {
      other.close();
    }
  });

  it('points at the admin API being off when the gateway does not serve /admin/v1 (exit 1, route_not_found)', async () => {
    const run = await tijori(['merchant', 'list', '--url', `${base}/nothing-here`]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^route_not_found: /m);
    assert.match(run.stderr, /Is the admin API on\?/);
  });

  it('reads the token from ./.tijori/admin-token when neither --token nor TIJORI_ADMIN_TOKEN is set', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tijori-cli-cwd-'));
    mkdirSync(join(cwd, '.tijori'));
    writeFileSync(join(cwd, '.tijori', 'admin-token'), `${TOKEN}\n`, { mode: 0o600 });
    const run = await tijori(['merchant', 'list', '--url', base], {}, cwd);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Acme Traders/);
  });

  it('exits 2 without sending anything when no token can be found', async () => {
    const run = await tijori(['merchant', 'list'], { TIJORI_URL: base });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no admin token: pass --token, set TIJORI_ADMIN_TOKEN/);
  });

  for (const [what, args, message] of [
    ['an overlap over 7 days', ['key', 'roll', 'pk_test_000000000000000000000000', '--overlap', '8d'], /maximum of 7d/],
    ['an overlap that is not a duration', ['key', 'roll', 'pk_test_000000000000000000000000', '--overlap', '1.5h'], /not a duration/],
    ['a rate limit that is not a number', ['key', 'rate-limit', 'pk_test_000000000000000000000000', 'fast'], /not a whole number/],
    ['an unknown signature scheme', ['key', 'schemes', 'pk_test_000000000000000000000000', 'v3'], /v3 is not a scheme/],
    ['allow-ip with neither entries nor --clear', ['key', 'allow-ip', 'pk_test_000000000000000000000000'], /--clear/],
    ['allow-ip with both entries and --clear', ['key', 'allow-ip', 'pk_test_000000000000000000000000', '10.0.0.1', '--clear'], /not both/],
    ['merchant create without --name', ['merchant', 'create'], /--name/],
    ['a missing argument', ['key', 'show'], /missing required argument/],
    ['an unknown option', ['merchant', 'list', '--colour'], /unknown option/],
    ['a URL that is not http(s)', ['merchant', 'list', '--url', 'ftp://example.com'], /http:\/\/ or https:\/\//],
  ] as const) {
    it(`exits 2 on ${what}`, async () => {
      const run = await tijori([...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  it('exits 0 for --help', async () => {
    const run = await tijori(['key', 'roll', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--overlap <duration>/);
  });

  it('never prints the admin token, whatever the command or outcome', () => {
    assert.ok(cli.outputs.length > 30, `expected the runs above to be checked (${cli.outputs.length})`);
    for (const run of cli.outputs) {
      assert.equal(run.stdout.includes(TOKEN), false, run.stdout);
      assert.equal(run.stderr.includes(TOKEN), false, run.stderr);
    }
  });
});
