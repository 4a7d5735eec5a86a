import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PAYMENT_EVENT_TYPES } from '../core/webhook-events.js';
import { createLogger } from '../lib/logger.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { Receiver } from '../test-support/webhook-receiver.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

// Long enough that a good delivery waiting behind hanging ones would show; the good ones' deadline is well inside it.
const TIMEOUT_MS = 6000;
const GOOD_DEADLINE_MS = 4000;
const EVENTS = 10;
const CONCURRENCY = 6;
const PER_ENDPOINT = 2;

/** A receiver that accepts connections and never answers (trickle: sends headers, then a byte every 300 ms, never finishing); counts connections open at once. */
class StuckReceiver {
  open = 0;
  maxOpen = 0;
  accepted = 0;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server: Server;

  constructor(mode: 'hang' | 'trickle') {
    this.#server = createServer((req, res) => {
      this.accepted += 1;
      if (mode === 'trickle') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
        const timer = setInterval(() => res.write('.'), 300);
        this.#timers.add(timer);
        res.on('close', () => clearInterval(timer));
      }
      req.resume();
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      this.open += 1;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        this.open -= 1;
      });
    });
  }

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

for (const backend of BACKENDS) {
  describe(`webhook fairness on ${backend.name}: an endpoint that hangs cannot hold up the others`, () => {
    let gw: TestGateway;
    const good = new Receiver();
    const hang = new StuckReceiver('hang');
    const trickle = new StuckReceiver('trickle');

    before(async () => {
      gw = await startTestGateway(backend, { TIJORI_RATE_LIMITS_ENABLED: 'false' });
      for (const url of [await hang.start(), await trickle.start(), await good.start()]) {
        const res = await gw.admin('POST', `/admin/v1/merchants/${gw.sandbox.merchantId}/webhook-endpoints`, { url, events: [...PAYMENT_EVENT_TYPES] });
        assert.equal(res.statusCode, 201, res.body);
      }
    });
    after(async () => {
      await hang.close();
      await trickle.close();
      await good.close();
      await gw?.close();
    });

    it(`delivers the good endpoint's events promptly while two others hold at most ${PER_ENDPOINT} slots each until they time out, and reschedules those`, async () => {
      // Every payment makes one delivery to each endpoint, all due at once.
      for (let i = 0; i < EVENTS; i++) {
        const body = orderBody();
        gw.clock.advanceSeconds(1);
        assert.equal((await gw.send({ path: '/api/v3/pg/order/create', body })).statusCode, 200);
        const res = await gw.send({ path: '/api/v3/sandbox/order/simulate', body: { order_id: body.order_id, outcome: 'success', payment_method: 'CARD' } });
        assert.equal(res.statusCode, 200, res.body);
      }
      const dispatcher = new WebhookDispatcher(gw.gateway.db, gw.gateway.keyring, gw.clock, createLogger('silent'), {
        timeoutMs: TIMEOUT_MS,
        scheduleSeconds: [300],
        concurrency: CONCURRENCY,
        concurrencyPerEndpoint: PER_ENDPOINT,
        pollIntervalMs: 100,
        policy: 'sandbox',
        disableAfterFailingMs: 86_400_000,
      });
      const started = Date.now();
      dispatcher.start();
      try {
        let goodDoneMs = -1;
        for (const deadline = started + GOOD_DEADLINE_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
          if (good.received.length >= EVENTS) {
            goodDoneMs = Date.now() - started;
            break;
          }
        }
        console.log(`[${backend.name}] good endpoint: ${good.received.length}/${EVENTS} delivered${goodDoneMs >= 0 ? ` in ${goodDoneMs} ms` : ''}; hanging endpoint: ${hang.accepted} attempts, at most ${hang.maxOpen} open at once; trickling: ${trickle.accepted}, at most ${trickle.maxOpen} open`);
        assert.equal(good.received.length, EVENTS, `every good delivery arrived within ${GOOD_DEADLINE_MS} ms, before any hanging attempt could time out (${TIMEOUT_MS} ms)`);
        assert.ok(hang.maxOpen <= PER_ENDPOINT && trickle.maxOpen <= PER_ENDPOINT, `no endpoint held more than ${PER_ENDPOINT} attempts at once (hang ${hang.maxOpen}, trickle ${trickle.maxOpen})`);
        assert.ok(hang.accepted >= 1 && trickle.accepted >= 1, 'the stuck endpoints were being tried meanwhile');

        // The stuck attempts time out and are rescheduled (next attempt 300 s on), freeing their slots for the next ones.
        for (const deadline = Date.now() + TIMEOUT_MS * 3; Date.now() < deadline && (hang.accepted < 2 * PER_ENDPOINT || trickle.accepted < 2 * PER_ENDPOINT); ) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(hang.accepted >= 2 * PER_ENDPOINT && trickle.accepted >= 2 * PER_ENDPOINT, `after the first attempts timed out, the next were tried (hang ${hang.accepted}, trickle ${trickle.accepted})`);
      } finally {
        // Cut the stuck connections so stopping does not wait out their timeouts.
        const stopping = dispatcher.stop();
        await hang.close().catch(() => {});
        await trickle.close().catch(() => {});
        await stopping;
      }
      const rows = await gw.gateway.db.query<{ url: string; status: string; attempt_count: number; last_error: string | null; next_attempt_at: Date }>(
        `SELECT ep.url, d.status, d.attempt_count, d.last_error, d.next_attempt_at FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id WHERE d.attempt_count > 0 AND d.last_error = 'timeout'`,
      );
      assert.ok(rows.length >= 2 * PER_ENDPOINT, `timed-out attempts were recorded (${rows.length})`);
      for (const r of rows) {
        assert.equal(r.status, 'pending', 'a timed-out attempt is retried later, not failed');
        assert.ok(new Date(r.next_attempt_at).getTime() >= gw.clock.nowMs() + 299_000, 'and rescheduled by the retry schedule');
      }
    });
  });
}
