import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signRequest, verifyWebhook } from '@tijori/signing';
import { type CliGateway, type CliRun, countOf, startCliGateway } from '../test-support/cli-gateway.js';
import { orderBody } from '../test-support/test-gateway.js';

const NO_ENDPOINT = 'we_000000000000000000000000';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('tijori webhook commands, against a listening gateway', () => {
  let cli: CliGateway;
  const tijori = (args: string[]): Promise<CliRun> => cli.tijori(args);
  const json = <T = Record<string, any>>(args: string[]): Promise<T> => cli.json<T>(args);

  // A merchant's receiver on loopback (sandbox mode allows it), answering 204 to everything.
  const received: Received[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  let hooks: string;

  let merchantId: string;
  let apiKey: string;
  let apiSecret: string;
  /** Endpoint A (every event), B (created with readable output) and C (success and failure only). */
  let endpointA: string;
  let endpointB: string;
  let endpointC: string;
  /** Every webhook secret issued, with the one run that printed it. */
  const issued: { secret: string; run: CliRun }[] = [];
  let secretA: string;
  let rolledA: string;
  let eventId: string;
  let orderId: string;

  before(async () => {
    // No background dispatcher: deliveries stay pending until the test drains them, so every listing is deterministic.
    cli = await startCliGateway({ TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false' });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const created = await json(['merchant', 'create', '--name', 'Hook Traders']);
    merchantId = created.merchant.id;
    apiKey = created.key.api_key;
    apiSecret = created.key.secret_key;
  });
  after(async () => {
    receiver.close();
    await cli?.close();
  });

  it('registers an endpoint with --json, printing the endpoint and its whsec_ secret exactly once', async () => {
    const run = await tijori(['webhook', 'create', merchantId, `${hooks}/a`, '--description', 'order system', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const created = JSON.parse(run.stdout);
    assert.match(created.endpoint.id, /^we_[0-9a-f]{24}$/);
    assert.equal(created.endpoint.merchant_id, merchantId);
    assert.equal(created.endpoint.mode, 'sandbox');
    assert.equal(created.endpoint.url, `${hooks}/a`);
    assert.equal(created.endpoint.description, 'order system');
    assert.deepEqual(created.endpoint.events, ['payment.processing', 'payment.success', 'payment.failed', 'payment.expired', 'security.alert']);
    assert.equal(created.endpoint.enabled, true);
    assert.equal(created.endpoint.secrets.length, 1);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/=]+$/);
    assert.equal(countOf(run.stdout, created.secret), 1);
    endpointA = created.endpoint.id;
    secretA = created.secret;
    issued.push({ secret: secretA, run });
  });

  it('never prints the secret in webhook list or webhook show, readable or --json', async () => {
    const runs = [
      await tijori(['webhook', 'list', merchantId]),
      await tijori(['webhook', 'list', merchantId, '--json']),
      await tijori(['webhook', 'show', endpointA]),
      await tijori(['webhook', 'show', endpointA, '--json']),
    ];
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.includes(secretA), false, run.stdout);
      assert.doesNotMatch(run.stdout, /whsec_/);
    }
    const [list, listJson, show, showJson] = runs.map((r) => r.stdout) as [string, string, string, string];
    assert.match(list, /^ENDPOINT\s+MODE\s+URL\s+EVENTS\s+STATE$/m);
    assert.match(list, new RegExp(`^${endpointA}\\s+sandbox\\s+${hooks}/a\\s+payment\\.processing,payment\\.success,payment\\.failed,payment\\.expired,security\\.alert\\s+enabled$`, 'm'));
    assert.deepEqual(JSON.parse(listJson).endpoints.map((e: { id: string }) => e.id), [endpointA]);
    assert.match(show, new RegExp(`^Endpoint\\s+${endpointA}$`, 'm'));
    assert.match(show, /^Description\s+order system$/m);
    assert.match(show, /^Secrets in force\s+wsec_[0-9a-f]{24}$/m);
    assert.doesNotMatch(show, /^Secret\s/m);
    assert.equal(JSON.parse(showJson).endpoint.id, endpointA);
    assert.equal('secret' in JSON.parse(showJson), false);
  });

  it('warns, in the readable output of create, that the secret is shown only once', async () => {
    const run = await tijori(['webhook', 'create', merchantId, `${hooks}/b`]);
    assert.equal(run.code, 0, run.stderr);
    endpointB = /^Registered (we_[0-9a-f]{24})\.$/m.exec(run.stdout)?.[1] ?? '';
    assert.ok(endpointB, run.stdout);
    const secret = /^Secret\s+(whsec_\S+)$/m.exec(run.stdout)?.[1];
    assert.ok(secret, run.stdout);
    assert.equal(countOf(run.stdout, secret), 1);
    assert.match(run.stdout, /^Store this secret now: it is shown only once\.$/m);
    assert.match(run.stdout, /^State\s+enabled$/m);
    issued.push({ secret, run });
  });

  it('refuses an endpoint on a private address (exit 1, invalid_webhook_url), saying why', async () => {
    const run = await tijori(['webhook', 'create', merchantId, 'http://10.0.0.1/hooks']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^invalid_webhook_url: .*10\.0\.0\.1 is a private network address.* \(req_[0-9a-f]{32}\)$/m);

    const asJson = await tijori(['webhook', 'create', merchantId, 'http://10.0.0.1/hooks', '--json']);
    assert.equal(asJson.code, 1);
    assert.equal(JSON.parse(asJson.stdout).error_code, 'invalid_webhook_url');
    assert.deepEqual((await json(['webhook', 'list', merchantId])).endpoints.length, 2, 'nothing was registered');
  });

  it('subscribes only to the events given with --events', async () => {
    const run = await tijori(['webhook', 'create', merchantId, `${hooks}/c`, '--events', 'payment.success,payment.failed', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const created = JSON.parse(run.stdout);
    assert.deepEqual(created.endpoint.events, ['payment.success', 'payment.failed']);
    endpointC = created.endpoint.id;
    issued.push({ secret: created.secret, run });
    assert.deepEqual((await json(['webhook', 'show', endpointC])).endpoint.events, ['payment.success', 'payment.failed']);
  });

  it('disables an endpoint with update --disable and enables it again with --enable', async () => {
    const disabled = await json(['webhook', 'update', endpointA, '--disable']);
    assert.equal(disabled.endpoint.enabled, false);
    assert.equal(disabled.endpoint.disabled_reason, 'operator');
    assert.match(disabled.endpoint.disabled_at, /^\d{4}-/);
    const shown = await tijori(['webhook', 'show', endpointA]);
    assert.match(shown.stdout, /^State\s+disabled \(operator\)$/m);

    const enabled = await tijori(['webhook', 'update', endpointA, '--enable']);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.match(enabled.stdout, /^State\s+enabled$/m);
    const now = (await json(['webhook', 'show', endpointA])).endpoint;
    assert.equal(now.enabled, true);
    assert.equal(now.disabled_reason, null);
    assert.equal(now.disabled_at, null);
  });

  it('rolls a secret with --overlap 1h: prints the new secret and when the old one stops signing', async () => {
    const run = await tijori(['webhook', 'roll-secret', endpointA, '--overlap', '1h']);
    assert.equal(run.code, 0, run.stderr);
    rolledA = /^Secret\s+(whsec_\S+)$/m.exec(run.stdout)?.[1] ?? '';
    assert.ok(rolledA, run.stdout);
    assert.notEqual(rolledA, secretA);
    assert.equal(countOf(run.stdout, rolledA), 1);
    assert.equal(run.stdout.includes(secretA), false, 'the previous secret is not printed again');
    assert.match(run.stdout, /^Store this secret now: it is shown only once\.$/m);
    const until = /^Deliveries are signed with both secrets until (\S+): deploy the new one before then\.$/m.exec(run.stdout)?.[1] ?? '';
    assert.ok(Math.abs(Date.parse(until) - (Date.now() + 3600_000)) < 60_000, until);
    issued.push({ secret: rolledA, run });

    const shown = (await json(['webhook', 'show', endpointA])).endpoint;
    assert.equal(shown.secrets.length, 2, 'both secrets are in force during the overlap');
    assert.deepEqual(shown.secrets.map((s: { expires_at: string | null }) => s.expires_at).sort(), [until, null].sort());
    const human = await tijori(['webhook', 'show', endpointA]);
    // Newest first: the new secret, then the one that stops at the end of the overlap.
    assert.match(human.stdout, new RegExp(`^Secrets in force\\s+wsec_[0-9a-f]{24}, wsec_[0-9a-f]{24} until ${until.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('after a sandbox payment, lists the payment.success event and one pending delivery per subscribed endpoint', async () => {
    const order = orderBody();
    const create = await signedPost('/api/v3/pg/order/create', order);
    orderId = create.return_data.gateway_order_id;
    const paid = await signedPost('/api/v3/sandbox/order/simulate', { order_id: order.order_id, outcome: 'success' });
    assert.equal(paid.return_data.order_status, 'PAID');

    const { events } = await json(['webhook', 'events', merchantId]);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0].type, 'payment.success');
    assert.equal(events[0].order_id, orderId);
    assert.equal(events[0].payload.data.order_id, order.order_id);
    eventId = events[0].id;
    assert.match(eventId, /^evt_[0-9a-f]{24}$/);
    assert.deepEqual((await json(['webhook', 'events', merchantId, '--type', 'payment.failed'])).events, []);
    const table = await tijori(['webhook', 'events', merchantId]);
    assert.match(table.stdout, /^EVENT\s+TYPE\s+MODE\s+ORDER\s+CREATED$/m);
    assert.match(table.stdout, new RegExp(`^${eventId}\\s+payment\\.success\\s+sandbox\\s+${orderId}\\s+\\d{4}-`, 'm'));

    const { deliveries } = await json(['webhook', 'deliveries', merchantId]);
    assert.deepEqual(deliveries.map((d: { endpoint_id: string }) => d.endpoint_id).sort(), [endpointA, endpointB, endpointC].sort());
    for (const d of deliveries) {
      assert.equal(d.event_id, eventId);
      assert.equal(d.status, 'pending');
      assert.equal(d.attempts, 0);
    }
    assert.equal((await json(['webhook', 'deliveries', merchantId, '--endpoint', endpointC])).deliveries.length, 1);
    const listed = await tijori(['webhook', 'deliveries', merchantId]);
    assert.match(listed.stdout, /^DELIVERY\s+EVENT\s+TYPE\s+ENDPOINT\s+STATUS\s+ATTEMPTS\s+LAST\s+NEXT$/m);
    assert.equal(listed.stdout.match(new RegExp(`^whd_\\w+\\s+${eventId}\\s+payment\\.success\\s+we_\\w+\\s+pending\\s+0\\s`, 'gm'))?.length, 3, listed.stdout);
  });

  it('shows a delivery with its attempts once delivered, signed with both secrets during the overlap', async () => {
    assert.equal(await cli.gateway.webhooks.drain(), 3);
    assert.deepEqual(received.map((r) => r.path).sort(), ['/a', '/b', '/c']);
    const toA = received.find((r) => r.path === '/a') as Received;
    for (const secret of [secretA, rolledA]) assert.equal(verifyWebhook({ body: toA.body, headers: toA.headers, secret }).ok, true);

    const { deliveries } = await json(['webhook', 'deliveries', merchantId, '--endpoint', endpointA]);
    const id = deliveries[0].id as string;
    const shown = await json(['webhook', 'delivery', id]);
    assert.equal(shown.delivery.status, 'delivered');
    assert.equal(shown.delivery.next_attempt_at, null);
    assert.equal(shown.attempts.length, 1);
    assert.equal(shown.attempts[0].status_code, 204);

    const human = await tijori(['webhook', 'delivery', id]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^Delivery ${id} of ${eventId} \\(payment\\.success\\) to ${endpointA}: delivered$`, 'm'));
    assert.match(human.stdout, /^#\s+AT\s+RESULT\s+LATENCY\s+REPLY$/m);
    assert.match(human.stdout, /^1\s+\d{4}-\S+\s+204\s+\d+ ms/m);
  });

  it('resends an event to every enabled subscribed endpoint, leaving its deliveries pending again', async () => {
    const resent = await json(['webhook', 'resend', eventId]);
    assert.equal(resent.event_id, eventId);
    assert.equal(resent.deliveries.length, 3);
    const pending = (await json(['webhook', 'deliveries', merchantId, '--event', eventId, '--status', 'pending'])).deliveries;
    assert.deepEqual(pending.map((d: { id: string }) => d.id).sort(), [...resent.deliveries].sort());

    await json(['webhook', 'update', endpointB, '--disable']);
    const human = await tijori(['webhook', 'resend', eventId]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^Queued ${eventId} for 2 endpoint\\(s\\): whd_\\w+, whd_\\w+\\.$`, 'm'));
  });

  it('names an endpoint that does not exist (exit 1, webhook_endpoint_not_found)', async () => {
    for (const args of [
      ['webhook', 'show', NO_ENDPOINT],
      ['webhook', 'update', NO_ENDPOINT, '--disable'],
      ['webhook', 'roll-secret', NO_ENDPOINT],
    ]) {
      const run = await tijori(args);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^webhook_endpoint_not_found: No (such )?webhook endpoint( we_0{24})?\. \(req_[0-9a-f]{32}\)$/m);
      assert.equal(run.stdout, '');
    }
  });

  for (const [what, args, message] of [
    ['an unknown event type', ['webhook', 'create', 'mer_000000000000000000000000', 'https://example.com/hooks', '--events', 'nope'], /--events: use a comma-separated list of payment\.processing/],
    ['update without any change', ['webhook', 'update', NO_ENDPOINT], /update: give at least one of --new-url, --events, --description, --enable, --disable\./],
    ['update with both --enable and --disable', ['webhook', 'update', NO_ENDPOINT, '--enable', '--disable'], /not both/],
    ['an overlap over 7 days', ['webhook', 'roll-secret', NO_ENDPOINT, '--overlap', '8d'], /--overlap: .*maximum of 7d/],
  ] as const) {
    it(`exits 2 without sending anything on ${what}`, async () => {
      const run = await tijori([...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  it('prints each webhook secret once, in the reply that issued it, and never the admin token', () => {
    assert.equal(issued.length, 4);
    for (const { secret, run: issuer } of issued) {
      const printedIn = cli.outputs.filter((r) => r.stdout.includes(secret) || r.stderr.includes(secret));
      assert.deepEqual(printedIn, [issuer], secret.slice(0, 10));
    }
    for (const run of cli.outputs) assert.equal(run.stdout.includes(cli.token) || run.stderr.includes(cli.token), false, run.stdout + run.stderr);
  });

  /** A merchant API call signed with the merchant's sandbox key; asserts HTTP 200. */
  async function signedPost(path: string, body: Record<string, unknown>): Promise<Record<string, any>> {
    const payload = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${cli.base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': apiKey,
        'x-timestamp': timestamp,
        'x-signature': signRequest({ secret: apiSecret, timestamp, body: payload }),
      },
      body: payload,
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text) as Record<string, any>;
  }
});
