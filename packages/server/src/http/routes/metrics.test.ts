import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../config/load-config.js';
import { createLogger } from '../../lib/logger.js';
import { startGateway } from '../../main.js';
import { assertRefused } from '../../test-support/auth-refusal-suite.js';
import { BACKENDS, TEST_DATABASE_URL } from '../../test-support/backends.js';
import { ADMIN_TOKEN, orderBody, startTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

const CREATE = '/api/v3/pg/order/create';
const SIMULATE = '/api/v3/sandbox/order/simulate';

/** The value of one sample in a Prometheus text exposition: the series named `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** A webhook receiver on loopback (sandbox mode allows it) that answers each POST with the next status in `script`, then 204. */
class Receiver {
  script: number[] = [];
  readonly #server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(this.script.shift() ?? 204);
      res.end();
    });
  });

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

for (const backend of BACKENDS) {
  describe(`GET /metrics on ${backend.name}`, () => {
    let gw: TestGateway;
    const receiver = new Receiver();
    let receiverUrl = '';
    before(async () => {
      gw = await startTestGateway(backend);
      receiverUrl = await receiver.start();
    });
    after(async () => {
      await gw?.close();
      await receiver.close();
    });

    const scrape = async (): Promise<string> => {
      const res = await gw.admin('GET', '/metrics');
      assert.equal(res.statusCode, 200, res.body);
      return res.body;
    };

    it('refuses a scrape without the admin token, or with another, as the admin API does', async () => {
      const none = await gw.gateway.app.inject({ method: 'GET', url: '/metrics' });
      assertRefused(none, 401, 'admin_unauthorized');
      assert.match(none.json().request_id, /^req_/);
      assertRefused(await gw.admin('GET', '/metrics', undefined, 'tja_not_the_token_0123456789abcdefghijkl'), 401, 'admin_unauthorized');
      // A merchant's signed request is not an operator's.
      assertRefused(await gw.send({ method: 'GET', path: '/metrics' }), 401, 'admin_unauthorized');
    });

    it('serves the Prometheus text format with the process metrics to the admin token', async () => {
      const res = await gw.admin('GET', '/metrics');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(res.body, /^# HELP tijori_http_requests_total /m);
      assert.ok(sample(res.body, 'process_cpu_user_seconds_total') !== undefined, 'collectDefaultMetrics on our registry');
      assert.ok(sample(res.body, 'nodejs_eventloop_lag_seconds') !== undefined);
    });

    it('counts a created order, a bad signature and an unknown URL by route pattern, method, status and error_code', async () => {
      gw.clock.advanceSeconds(1);
      assert.equal((await gw.send({ path: CREATE, body: orderBody() })).statusCode, 200);
      gw.clock.advanceSeconds(1);
      assertRefused(await gw.send({ path: CREATE, body: orderBody(), signWith: { secret: 'not-the-secret' } }), 401, 'invalid_signature');
      const unknown = await gw.send({ method: 'GET', path: '/api/v3/pg/order/ord_0123456789abcdef01234567?merchant=mer_secret' });
      assertRefused(unknown, 404, 'route_not_found');
      // Refused while routing, before any hook: counted all the same.
      assertRefused(await gw.gateway.app.inject({ method: 'GET', url: '/api/v3/%zz' }), 400, 'bad_request');

      const text = await scrape();
      assert.equal(sample(text, 'tijori_http_requests_total', { route: CREATE, method: 'POST', status: '200', error_code: '' }), 1);
      assert.equal(sample(text, 'tijori_http_requests_total', { route: CREATE, method: 'POST', status: '401', error_code: 'invalid_signature' }), 1);
      assert.equal(sample(text, 'tijori_http_requests_total', { route: 'unmatched', method: 'GET', status: '404', error_code: 'route_not_found' }), 1);
      assert.equal(sample(text, 'tijori_http_requests_total', { route: 'unmatched', method: 'GET', status: '400', error_code: 'bad_request' }), 1);
      assert.equal(sample(text, 'tijori_auth_failures_total', { reason: 'invalid_signature' }), 1);
      assert.equal(sample(text, 'tijori_http_request_duration_seconds_count', { route: CREATE }), 2);
      assert.ok((sample(text, 'tijori_http_request_duration_seconds_bucket', { route: CREATE, le: '+Inf' }) ?? 0) >= 2);
      // Bounded labels: no raw URL, order id, merchant or key ever becomes a label value.
      for (const leak of ['ord_0123456789abcdef01234567', 'mer_secret', gw.sandbox.merchantId, gw.sandbox.apiKey, gw.sandbox.keyId]) {
        assert.ok(!text.includes(leak), `metrics must not name ${leak}`);
      }
    });

    it('counts rate-limit refusals by reason', async () => {
      const put = await gw.admin('PUT', `/admin/v1/keys/${gw.live.apiKey}/rate-limit`, { per_minute: 1 });
      assert.equal(put.statusCode, 200, put.body);
      gw.clock.advanceSeconds(1);
      await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'a' }, key: gw.live });
      const refused = await gw.send({ path: '/api/v3/pg/order/status', body: { order_id: 'b' }, key: gw.live });
      assertRefused(refused, 429, 'rate_limited');
      const text = await scrape();
      assert.equal(sample(text, 'tijori_rate_limit_refusals_total', { reason: 'rate_limited' }), 1);
      assert.equal(sample(text, 'tijori_http_requests_total', { route: '/api/v3/pg/order/status', status: '429', error_code: 'rate_limited' }), 1);
    });

    it('reads the webhook queue depth at scrape time and counts delivery outcomes', async () => {
      const created = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url: receiverUrl, events: ['payment.success'] });
      assert.equal(created.statusCode, 201, created.body);
      let text = await scrape();
      assert.equal(sample(text, 'tijori_webhook_deliveries_pending'), 0);
      assert.equal(sample(text, 'tijori_webhook_deliveries_due'), 0);

      const pay = async () => {
        const body = orderBody();
        gw.clock.advanceSeconds(1);
        assert.equal((await gw.send({ path: CREATE, body })).statusCode, 200);
        gw.clock.advanceSeconds(1);
        const paid = await gw.send({ path: SIMULATE, body: { order_id: body.order_id, outcome: 'success' } });
        assert.equal(paid.statusCode, 200, paid.body);
      };
      await pay();
      text = await scrape();
      assert.equal(sample(text, 'tijori_webhook_deliveries_pending'), 1);
      assert.equal(sample(text, 'tijori_webhook_deliveries_due'), 1);

      assert.equal(await gw.gateway.webhooks.deliverDue(), 1);
      text = await scrape();
      assert.equal(sample(text, 'tijori_webhook_deliveries_pending'), 0);
      assert.equal(sample(text, 'tijori_webhook_deliveries_due'), 0);
      assert.equal(sample(text, 'tijori_webhook_attempts_total', { outcome: 'delivered' }), 1);
      assert.equal(sample(text, 'tijori_webhook_attempt_duration_seconds_count', { outcome: 'delivered' }), 1);

      // A failed attempt schedules a retry: still pending, but not due until its wait (5 s and jitter) has passed.
      receiver.script = [503];
      await pay();
      assert.equal(await gw.gateway.webhooks.deliverDue(), 1);
      text = await scrape();
      assert.equal(sample(text, 'tijori_webhook_attempts_total', { outcome: 'retry' }), 1);
      assert.equal(sample(text, 'tijori_webhook_deliveries_pending'), 1);
      assert.equal(sample(text, 'tijori_webhook_deliveries_due'), 0);
      gw.clock.advanceSeconds(10);
      assert.equal(sample(await scrape(), 'tijori_webhook_deliveries_due'), 1);

      // 410 Gone: the delivery fails at once and the endpoint is disabled.
      receiver.script = [410];
      assert.equal(await gw.gateway.webhooks.deliverDue(), 1);
      text = await scrape();
      assert.equal(sample(text, 'tijori_webhook_attempts_total', { outcome: 'gone' }), 1);
      assert.equal(sample(text, 'tijori_webhook_deliveries_pending'), 0);
    });
  });
}

describe('GET /metrics on the metrics port', () => {
  const backend = BACKENDS[0]!;

  it('is served there without authentication, and not on the main port', async () => {
    const gw = await startTestGateway(backend, { TIJORI_METRICS_PORT: '0' });
    try {
      const metricsApp = gw.gateway.metricsApp;
      assert.ok(metricsApp, 'a metrics listener');
      const res = await metricsApp.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(sample(res.body, 'process_cpu_user_seconds_total') !== undefined);
      // The main port does not serve it, even to the admin token.
      assertRefused(await gw.admin('GET', '/metrics'), 404, 'route_not_found');
      // Nothing else is on the metrics port.
      assertRefused(await metricsApp.inject({ method: 'GET', url: '/admin/v1/merchants', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }), 404, 'route_not_found');
      // Requests to the main port are what is counted.
      assert.equal(sample((await metricsApp.inject({ method: 'GET', url: '/metrics' })).body, 'tijori_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    } finally {
      await gw.close();
    }
  });

  it('binds to metricsHost on a socket of its own', async () => {
    const opened = await backend.open();
    const config = loadConfig({
      TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-test-')),
      TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
      TIJORI_ADMIN_TOKEN: ADMIN_TOKEN,
      TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false',
      PORT: '0',
      TIJORI_METRICS_PORT: '0',
      TIJORI_METRICS_HOST: '127.0.0.1',
    });
    const gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent') });
    try {
      const address = gateway.metricsApp?.server.address() as AddressInfo;
      assert.equal(address.address, '127.0.0.1');
      const main = gateway.app.server.address() as AddressInfo;
      assert.notEqual(address.port, main.port);
      const scraped = await fetch(`http://127.0.0.1:${address.port}/metrics`);
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^# HELP /m);
      const onMain = await fetch(`http://127.0.0.1:${main.port}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(onMain.status, 404);
      assert.equal(((await onMain.json()) as { error_code: string }).error_code, 'route_not_found');
    } finally {
      await gateway.close();
      await opened.cleanup();
    }
  });

  it('is off without an admin token or a metrics port', async () => {
    const opened = await backend.open();
    // DATABASE_URL (with the test's own db handed in) is what leaves the admin token ungenerated.
    const config = loadConfig({
      TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-test-')),
      DATABASE_URL: TEST_DATABASE_URL,
      TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
      TIJORI_WEBHOOK_DISPATCHER_ENABLED: 'false',
    });
    const gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent'), listen: false });
    try {
      assert.equal(gateway.metricsApp, undefined);
      assertRefused(await gateway.app.inject({ method: 'GET', url: '/metrics' }), 404, 'route_not_found');
    } finally {
      await gateway.close();
      await opened.cleanup();
    }
  });
});
