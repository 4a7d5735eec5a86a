import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { PAYMENT_EVENT_TYPES } from '../core/webhook-events.js';
import { createScratchDatabase, type GatewayFleet, gatewayFleet, type GatewayProcess, postJson, type ScratchDatabase } from '../test-support/gateway-processes.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { Receiver } from '../test-support/webhook-receiver.js';

type Key = { api_key: string; secret_key: string };

// The load: about 20 s of kills, short enough for the whole file to stay near 90 s on a 2-core machine.
const CLIENTS = 12;
// A pause between a client's orders: steady load that leaves replacements some CPU to start with.
const CLIENT_PAUSE_MS = 20;
const KILLS = 8;
const KILL_EVERY_MS = [1500, 3000] as const;
// On a machine busy with other work, replacements start slowly and kills wait for them: stop at this point regardless,
// and count the run as evidence only with MIN_KILLS.
const KILLING_MAX_MS = 40_000;
const MIN_KILLS = 5;
// The load goes on this long after the last kill, so the last replacement serves traffic too.
const LOAD_AFTER_KILLS_MS = 3000;
// The fewest acknowledged operations for the run to count as evidence.
const MIN_CREATES = 200;
const MIN_PAYMENTS = 50;
// One attempt's lease is its timeout (1 s here) plus the dispatcher's fixed 60 s margin (LEASE_MARGIN_MS):
// an attempt whose process was killed mid-flight is sent again only after that. The deadline leaves room above it.
const DELIVERY_DEADLINE_MS = 100_000;
// A request that has had no reply for this long is counted as lost rather than awaited (a hang guard, not a timing claim).
const REQUEST_TIMEOUT_MS = 15_000;
// Seeded, so a failing schedule of kills and payments can be replayed.
const SEED = Number(process.env.CRASH_SEED ?? 8);

/**
 * Issue 8's crash guarantees, with real processes: under steady load, gateway
 * processes are SIGKILLed one after another (no drain, as a crash or the OOM
 * killer would) and replaced. Afterwards every order the merchant was told
 * was created exists exactly once, every payment it was told of is
 * committed, and every payment event committed in the database reaches the
 * merchant's webhook receiver (at least once: duplicates are allowed and
 * counted). Replies lost with a killed process promise nothing either way.
 */
describe('SIGKILL of gateway processes under load loses no acknowledged order and no committed payment event', () => {
  let scratch: ScratchDatabase;
  let fleet: GatewayFleet;
  let sql: postgres.Sql;
  const receiver = new Receiver();
  let merchantId = '';
  let key: Key;

  before(async () => {
    scratch = await createScratchDatabase('tijori_crash');
    sql = postgres(scratch.url, { max: 2, onnotice: () => {} });
    fleet = gatewayFleet({
      databaseUrl: scratch.url,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      env: {
        // The shortest attempt timeout, so that the lease of an attempt cut short by a kill ends as early as the dispatcher allows.
        TIJORI_WEBHOOK_TIMEOUT_MS: '1000',
        // A receiver slowed by the load gets another try within seconds, not the production schedule's minutes.
        TIJORI_WEBHOOK_RETRY_SCHEDULE_SECONDS: Array(30).fill('1').join(','),
        // An expired lease is found by polling (nothing wakes anyone for it).
        TIJORI_WEBHOOK_POLL_INTERVAL_MS: '250',
        // One merchant sends everything: its budget is not what this test is about.
        TIJORI_RATE_LIMITS_ENABLED: 'false',
      },
    });
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
    const base = fleet.processes[0]?.base as string;
    const admin = (path: string, body: unknown) =>
      fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    const merchant = await admin('/admin/v1/merchants', { name: 'Crash under load' });
    assert.equal(merchant.status, 201, JSON.stringify(merchant.body));
    merchantId = merchant.body.merchant.id;
    key = merchant.body.key;
    // Loopback receivers are allowed in sandbox mode only (the default); production refuses them (ssrf-guard.ts).
    const endpoint = await admin(`/admin/v1/merchants/${merchantId}/webhook-endpoints`, { url: await receiver.start(), events: [...PAYMENT_EVENT_TYPES] });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
  });

  after(async () => {
    await fleet?.stopAll();
    await receiver.close();
    await sql?.end();
    await scratch?.drop();
  });

  const signedPost = (base: string, path: string, body: unknown) => postJson(base, path, body, { key }, REQUEST_TIMEOUT_MS);


  it('keeps every acknowledged order exactly once and delivers every committed payment event, across repeated SIGKILLs', { timeout: 200_000 }, async (t) => {
    const random = seededRandom(SEED);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // The processes a load balancer would route to: a process leaves the moment it is killed and joins once it answers /readyz.
    const up: GatewayProcess[] = [...fleet.processes];
    let turn = 0;
    const pick = () => up[turn++ % up.length];

    const createdAcks = new Map<string, string>(); // order_id -> gateway_order_id from the 200
    const paymentAcks = new Map<string, string>(); // order_id -> order_status from the 200
    const unanswered = new Set<string>(); // order_ids whose create got no reply at all
    const connectionErrors = { create: 0, simulate: 0 };
    const errorKinds = new Map<string, number>(); // why each connection error happened (ECONNRESET, ECONNREFUSED, a timeout...)
    const lostReply = (err: unknown) => {
      const e = err as { name?: string; cause?: { code?: string } };
      const kind = e.cause?.code ?? e.name ?? 'unknown';
      errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
    };
    const refusals = new Map<string, number>(); // replies that were neither 2xx nor a lost connection, by status and code
    const refuse = (what: string, r: { status: number; body: Record<string, any> }) => {
      const k = `${what} ${r.status} ${r.body.error_code ?? ''}`;
      refusals.set(k, (refusals.get(k) ?? 0) + 1);
    };

    let loading = true;
    async function client(id: number): Promise<void> {
      for (let n = 0; loading; n++) {
        await sleep(CLIENT_PAUSE_MS);
        const target = pick();
        if (!target) {
          await sleep(50);
          continue;
        }
        const orderId = `crash-${id}-${n}`;
        const order = { order_id: orderId, order_amount: '149.00', order_currency: 'INR', service_type: 'DIGITAL', customer: { name: 'Load', email: 'load@example.com', phone: '9876543210' } };
        let created;
        try {
          created = await signedPost(target.base, '/api/v3/pg/order/create', order);
        } catch (err) {
          lostReply(err);
          connectionErrors.create++;
          unanswered.add(orderId);
          continue;
        }
        if (created.status !== 200) {
          refuse('create', created);
          continue;
        }
        createdAcks.set(orderId, created.body.return_data.gateway_order_id);
        // Half the orders are paid for or fail, through another process than the one that created them when it can.
        if (n % 2 === 1) continue;
        const payer = pick();
        if (!payer) continue;
        const outcome = n % 4 === 0 ? 'success' : 'failed';
        try {
          const paid = await signedPost(payer.base, '/api/v3/sandbox/order/simulate', { order_id: orderId, outcome });
          if (paid.status === 200) paymentAcks.set(orderId, paid.body.return_data.order_status);
          else refuse('simulate', paid);
        } catch (err) {
          lostReply(err);
          connectionErrors.simulate++;
        }
      }
    }

    const replacements: Array<Promise<void>> = [];
    const restartFailures: string[] = [];
    let kills = 0;
    async function killer(): Promise<void> {
      const giveUpAt = Date.now() + KILLING_MAX_MS;
      while (kills < KILLS && Date.now() < giveUpAt) {
        await sleep(KILL_EVERY_MS[0] + random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
        // Never the last one: with none up the load would pause rather than meet crashes.
        while (up.length < 2 && Date.now() < giveUpAt) await sleep(100);
        if (up.length < 2) break;
        const victim = up.shift() as GatewayProcess;
        await victim.kill('SIGKILL');
        assert.equal(victim.child.signalCode, 'SIGKILL');
        kills++;
        replacements.push(
          fleet.start().then(
            (p) => void up.push(p),
            (err: Error) => void restartFailures.push(err.message),
          ),
        );
      }
    }

    const started = Date.now();
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
    await killer();
    await sleep(LOAD_AFTER_KILLS_MS);
    loading = false;
    await Promise.all(clients);
    await Promise.all(replacements);
    const loadMs = Date.now() - started;
    assert.deepEqual(restartFailures, [], 'every replacement process started');
    assert.equal(fleet.processes.filter((p) => p.child.signalCode === 'SIGKILL').length, kills, 'the kills were real');

    // Acknowledged creates: each in the database exactly once, as the order the reply named.
    const stored = await sql<Array<{ order_ref: string; ids: string[] }>>`
      SELECT order_ref, array_agg(id) AS ids FROM orders WHERE merchant_id = ${merchantId} GROUP BY order_ref`;
    const storedByRef = new Map(stored.map((r) => [r.order_ref, r.ids]));
    for (const [orderId, gatewayOrderId] of createdAcks) {
      assert.deepEqual(storedByRef.get(orderId), [gatewayOrderId], `acknowledged order ${orderId} is stored once, as ${gatewayOrderId}`);
    }
    // A create whose reply died with its process may or may not have committed: both are allowed, so only counted.
    const storedUnacknowledged = [...unanswered].filter((o) => storedByRef.has(o)).length;

    // And a live process answers for each of them through the status API (every process reads the one database).
    const survivors = [...up];
    const acked = [...createdAcks.keys()];
    const statusMismatches: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        for (let j = i; j < acked.length; j += CLIENTS) {
          const orderId = acked[j] as string;
          const r = await signedPost((survivors[j % survivors.length] as GatewayProcess).base, '/api/v3/pg/order/status', { order_id: orderId });
          if (r.status !== 200 || r.body.return_data.gateway_order_id !== createdAcks.get(orderId)) statusMismatches.push(`${orderId}: ${r.status} ${r.body.error_code ?? ''}`);
        }
      }),
    );
    assert.deepEqual(statusMismatches, [], 'the status API finds every acknowledged order');

    // Acknowledged payments: committed, with the event that reports them.
    const outcomes = await sql<Array<{ order_ref: string; status: string; events: string[] }>>`
      SELECT o.order_ref, o.status, coalesce(array_agg(e.type) FILTER (WHERE e.id IS NOT NULL), '{}') AS events
        FROM orders o LEFT JOIN webhook_events e ON e.order_id = o.id
       WHERE o.merchant_id = ${merchantId} AND o.status <> 'UN_PAID' GROUP BY o.order_ref, o.status`;
    const outcomeByRef = new Map(outcomes.map((r) => [r.order_ref, r]));
    // As with creates, a payment whose reply was lost may have committed; its event must then be delivered like any other.
    const paidUnacknowledged = outcomes.filter((r) => !paymentAcks.has(r.order_ref)).length;
    for (const [orderId, status] of paymentAcks) {
      const row = outcomeByRef.get(orderId);
      assert.equal(row?.status, status, `acknowledged payment of ${orderId} is committed`);
      assert.deepEqual(row?.events, [status === 'PAID' ? 'payment.success' : 'payment.failed'], `${orderId} has exactly the event that reports it`);
    }

    // Every committed payment event reaches the receiver, acknowledged or not: the queue is in the database, not in a process.
    const events = (await sql<Array<{ id: string }>>`SELECT id FROM webhook_events WHERE merchant_id = ${merchantId} AND type LIKE 'payment.%'`).map((r) => r.id);
    const receivedIds = () => new Set(receiver.received.map((r) => JSON.parse(r.body).event_id as string));
    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    let missing = events.filter((id) => !receivedIds().has(id));
    while (missing.length > 0 && Date.now() < deadline) {
      await sleep(250);
      const got = receivedIds();
      missing = missing.filter((id) => !got.has(id));
    }
    const waitedMs = Date.now() - (deadline - DELIVERY_DEADLINE_MS);
    const deliveries = receiver.received.length;
    const duplicates = deliveries - receivedIds().size;
    // A duplicate must be a later attempt (after a lost lease or a failure), never one claimed attempt sent twice.
    const attempts = receiver.received.map((r) => `${r.headers['x-tijori-delivery']}#${r.headers['x-tijori-attempt']}`);
    const attemptsSentTwice = attempts.filter((a, i) => attempts.indexOf(a) !== i);
    // Attempts claimed but never recorded: each died with its process and was sent again when its lease ended.
    const [lost] = await sql<Array<{ attempts: number }>>`
      SELECT coalesce(sum(d.attempt_count - (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id)), 0)::int AS attempts
        FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.merchant_id = ${merchantId}`;

    const summary =
      `kills=${kills} creates_2xx=${createdAcks.size} stored_unacknowledged=${storedUnacknowledged}/${unanswered.size} payments_2xx=${paymentAcks.size} payments_stored_unacknowledged=${paidUnacknowledged} ` +
      `events=${events.length} deliveries=${deliveries} duplicates=${duplicates} attempts_lost_with_a_process=${lost?.attempts} connection_errors=${connectionErrors.create + connectionErrors.simulate} ` +
      `(create ${connectionErrors.create}, simulate ${connectionErrors.simulate}; ${JSON.stringify(Object.fromEntries(errorKinds))}) other_refusals=${JSON.stringify(Object.fromEntries(refusals))} ` +
      `load_s=${(loadMs / 1000).toFixed(1)} delivery_wait_s=${(waitedMs / 1000).toFixed(1)}`;
    t.diagnostic(summary);

    assert.deepEqual(missing, [], `every committed payment event is delivered (${summary})`);
    assert.deepEqual(attemptsSentTwice, [], 'no attempt was sent twice');
    // A process that stays up is not disturbed by its neighbours' deaths: the database and Redis they share never went away.
    assert.deepEqual([...refusals.keys()].filter((k) => / 5\d\d /.test(k)), [], `no 5xx from a live process (${summary})`);
    assert.ok(createdAcks.size >= MIN_CREATES, `at least ${MIN_CREATES} creates were acknowledged (${summary})`);
    assert.ok(kills >= MIN_KILLS, `at least ${MIN_KILLS} processes were killed (${summary})`);
    assert.ok(paymentAcks.size >= MIN_PAYMENTS, `at least ${MIN_PAYMENTS} payments were acknowledged (${summary})`);
    assert.ok(connectionErrors.create + connectionErrors.simulate > 0, `the kills cut requests off mid-flight (${summary})`);
  });
});
