import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { freePort } from '../test-support/free-port.js';
import { createScratchDatabase, type GatewayFleet, type GatewayProcess, gatewayFleet, type ScratchDatabase, assertAlive } from '../test-support/gateway-processes.js';
import { type LoadOutcome as Outcome, type MerchantKey as Key, newOrder, signedCall, startSignedLoad, summarise } from '../test-support/signed-load.js';

/*
 * Redis really stopped under load: a private redis-server of this test's own
 * (never the shared one on 6379), killed, kept down a few seconds, started
 * again on the same port, empty (no persistence, as configured here).
 *
 * Process A has the default replay policy (fail closed): while Redis is down
 * every signed request is refused with 503 service_unavailable, fast, and
 * nothing executes unchecked. Process B opted into the PostgreSQL fallback
 * (TIJORI_REPLAY_FALLBACK=postgres): its requests keep succeeding, which
 * also shows the rate limiter failing open (a limiter outage neither refuses
 * nor turns into 500s or hangs). Both resume on Redis by themselves.
 */

// The client gives up after this long: a reply later than it is a hang, and fails the test.
const HANG_GUARD_MS = 15_000;
// The replay check's 500 ms Redis timeout and 1 s connect timeout, with room for a loaded 2-core machine.
const STATED_BOUND_MS = 5000;
const DOWN_MS = 4000;
const LOOPS = 3;

/** A redis-server of this test's own on a fixed free port, started again on the same port after a kill. */
class PrivateRedis {
  port = 0;
  child: ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 15_000);
      child.on('error', (err) => reject(new Error(`this test needs redis-server on PATH (${err.message})`)));
      child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      child.stdout?.on('data', (d) => {
        output += d;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis stopped for a few seconds under load', { timeout: 300_000 }, () => {
  const redis = new PrivateRedis();
  let database: ScratchDatabase;
  let fleet: GatewayFleet;
  let closed: GatewayProcess;
  let fallback: GatewayProcess;
  let key: Key;
  let check: postgres.Sql;

  before(async () => {
    await redis.start();
    database = await createScratchDatabase('tijori_redis_outage');
    check = postgres(database.url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    fleet = gatewayFleet({
      databaseUrl: database.url,
      redisUrl: redis.url,
      // The load is the point here, not the budget.
      env: { TIJORI_RATE_LIMIT_PER_MINUTE: '100000000' },
    });
    closed = await fleet.start();
    fallback = await fleet.start({ TIJORI_REPLAY_FALLBACK: 'postgres' });
    const res = await fetch(`${closed.base}/admin/v1/merchants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Redis outage' }),
    });
    const body = (await res.json()) as { key: Key };
    assert.equal(res.status, 201, JSON.stringify(body));
    key = body.key;
  });

  after(async () => {
    await fleet?.stopAll();
    await redis.stop('SIGKILL');
    await check?.end({ timeout: 1 }).catch(() => {});
    await database?.drop();
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`fails closed fast (503 service_unavailable, nothing executed) while Redis is down (${signal}), stays up, and resumes by itself when Redis is back`, async () => {
      const outcomes: Outcome[] = [];
      const tag = signal.slice(3).toLowerCase();
      const stopClosed = startSignedLoad({ process: 'closed', base: closed.base, key, tag: `${tag}c`, loops: LOOPS, timeoutMs: HANG_GUARD_MS, outcomes });
      const stopFallback = startSignedLoad({ process: 'fallback', base: fallback.base, key, tag: `${tag}f`, loops: LOOPS, timeoutMs: HANG_GUARD_MS, outcomes });
      await sleep(1500);
      const stopping = performance.now();
      await redis.stop(signal);
      const down = performance.now();
      await sleep(DOWN_MS);
      const restarting = performance.now();
      await redis.start();
      const upAgain = performance.now();

      // Resumes by itself: a signed create through the fail-closed process succeeds again within a generous deadline.
      let recoveredAfterMs = -1;
      for (const deadline = performance.now() + 30_000; performance.now() < deadline; await sleep(100)) {
        const probe = newOrder(`${tag}probe`);
        const res = await signedCall(closed.base, key, '/api/v3/pg/order/create', probe, HANG_GUARD_MS).catch(() => ({ status: 0, code: 'client' }));
        outcomes.push({ process: 'closed', kind: 'create', orderId: probe.order_id as string, startedAt: 0, endedAt: 0, ms: 0, ...res });
        if (res.status === 200) {
          recoveredAfterMs = Math.round(performance.now() - upAgain);
          break;
        }
      }
      await sleep(1500);
      await Promise.all([stopClosed(), stopFallback()]);

      const duringOutage = (name: string) => outcomes.filter((o) => o.process === name && o.startedAt >= down && o.endedAt <= restarting);
      const aroundOutage = outcomes.filter((o) => o.endedAt >= stopping && o.startedAt <= upAgain);
      const maxOf = (list: readonly Outcome[]) => Math.max(0, ...list.map((o) => o.ms));
      const closedDown = duringOutage('closed');
      const fallbackDown = duringOutage('fallback');
      console.log(
        `[redis ${signal}] ${outcomes.length} requests; fail-closed process: ${closedDown.length} sent and answered while down, max ${maxOf(closedDown)} ms; ` +
          `fallback process: ${fallbackDown.length} while down, max ${maxOf(fallbackDown)} ms; ${aroundOutage.length} overlapping the outage, max ${maxOf(aroundOutage)} ms; ` +
          `first signed create 200 on the fail-closed process ${recoveredAfterMs} ms after Redis was up again. Replies: ${summarise(outcomes)}`,
      );

      assertAlive(closed);
      assertAlive(fallback);
      assert.ok(recoveredAfterMs >= 0, `no signed create succeeded within 30 s of Redis's restart: ${summarise(outcomes)}\n${closed.output().slice(-3000)}`);
      assert.deepEqual(outcomes.filter((o) => o.status === 0), [], 'every request got a reply (none hung past the guard, no connection dropped)');
      assert.deepEqual(outcomes.filter((o) => ![200, 404, 503].includes(o.status)), [], 'no 500s (nor 429s from a limiter failing closed): success, order_not_found, or 503');
      assert.deepEqual(outcomes.filter((o) => o.status === 503 && o.code !== 'service_unavailable'), [], 'every 503 names service_unavailable');
      assert.deepEqual(aroundOutage.filter((o) => o.ms > STATED_BOUND_MS), [], `no request around the outage took longer than ${STATED_BOUND_MS} ms`);

      // Fail closed: while Redis is down, every signed request to A is refused...
      assert.ok(closedDown.length >= 6, `requests kept being answered while Redis was down (${closedDown.length})`);
      assert.deepEqual(closedDown.filter((o) => o.status !== 503), [], 'while Redis is down the fail-closed process refuses every signed request');
      // ...while B, which opted into the PostgreSQL fallback, keeps serving: its rate limiter (Redis too) fails open.
      assert.ok(fallbackDown.length >= 6, `the fallback process kept answering (${fallbackDown.length})`);
      assert.deepEqual(fallbackDown.filter((o) => o.status !== 200 && o.status !== 404), [], 'with the fallback, requests succeed while Redis is down: the limiter fails open');
      assert.match(fallback.output(), /rate limiter unavailable: request not limited/, 'the requests went through the rate-limit check, which failed open (logged)');

      // Nothing executed without a replay check: exactly the creates that got 200 exist, none that got 503.
      const attempted = outcomes.filter((o) => o.kind === 'create').map((o) => o.orderId);
      const acknowledged = new Set(outcomes.filter((o) => o.kind === 'create' && o.status === 200).map((o) => o.orderId));
      const stored = new Set((await check.unsafe('SELECT order_ref FROM orders WHERE order_ref = ANY($1)', [attempted])).map((r) => r.order_ref as string));
      assert.deepEqual([...acknowledged].filter((id) => !stored.has(id)), [], 'every order that got 200 exists');
      assert.deepEqual([...stored].filter((id) => !acknowledged.has(id)), [], 'no order exists whose create was refused (nothing ran unchecked)');
      assert.ok(closedDown.filter((o) => o.kind === 'create').every((o) => !stored.has(o.orderId)));
    });
  }
});
