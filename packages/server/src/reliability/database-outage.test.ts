import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { freePort } from '../test-support/free-port.js';
import { type GatewayFleet, type GatewayProcess, gatewayFleet, assertAlive } from '../test-support/gateway-processes.js';
import { type LoadOutcome as Outcome, type MerchantKey as Key, newOrder, signedCall, startSignedLoad, summarise } from '../test-support/signed-load.js';

/*
 * PostgreSQL really stopped under load: a private cluster of this test's own
 * (never the shared one on 5432), stopped with pg_ctl (immediate: as if the
 * server died; fast: an orderly shutdown that ends every session), kept down
 * a few seconds, started again. A real `tijori serve` under steady signed
 * load must answer every request meanwhile, quickly, with 503
 * storage_unavailable; never hang, never crash; say not ready; resume by
 * itself; lose no acknowledged order; and hear NOTIFY again.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
// The client gives up after this long: a reply later than it is a hang, and fails the test.
const HANG_GUARD_MS = 15_000;
// What the gateway promises (TIJORI_DATABASE_CONNECT_TIMEOUT_SECONDS, default 5 s) plus room for a loaded 2-core machine.
const STATED_BOUND_MS = 10_000;
const DOWN_MS = 4000;
const LOOPS = 4;

function sh(command: string, args: string[], asPostgres = true): Promise<string> {
  const [cmd, argv] = asPostgres && userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out}`))));
  });
}

/** A PostgreSQL cluster of this test's own, in a temporary directory, on a free port. */
class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'tijori-pg-outage-'));
  readonly data = join(this.dir, 'data');
  port = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`this test needs PostgreSQL 15's server binaries in ${PG_BIN} (initdb, pg_ctl)`);
    if (userInfo().uid === 0) {
      const uid = Number((await sh('id', ['-u', 'postgres'], false)).trim());
      const gid = Number((await sh('id', ['-g', 'postgres'], false)).trim());
      chownSync(this.dir, uid, gid);
    }
    this.port = await freePort();
    // -N: no fsync, a throwaway cluster.
    await sh(join(PG_BIN, 'initdb'), ['-D', this.data, '-A', 'trust', '-U', 'postgres', '-N']);
    await this.start();
  }

  async start(): Promise<void> {
    // -l: the server must not inherit our pipes, or this command would never end.
    await sh(join(PG_BIN, 'pg_ctl'), ['-D', this.data, '-l', join(this.dir, 'log'), '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', '-t', '60', 'start']);
  }

  async stop(mode: 'immediate' | 'fast'): Promise<void> {
    await sh(join(PG_BIN, 'pg_ctl'), ['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'log'), 'utf8');
    } catch {
      return '';
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function adminCall(fleet: GatewayFleet, base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${fleet.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('PostgreSQL stopped for a few seconds under load', { timeout: 300_000 }, () => {
  const pg = new PrivatePostgres();
  let fleet: GatewayFleet;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let key: Key;
  let merchantId: string;
  let check: postgres.Sql;

  before(async () => {
    await pg.init();
    check = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    fleet = gatewayFleet({
      databaseUrl: pg.url,
      env: {
        // Only a change notification can explain a prompt refusal of a revoked key (the cache alone would keep it 5 minutes).
        TIJORI_KEY_CACHE_TTL_MS: '300000',
        // The load is the point here, not the budget.
        TIJORI_RATE_LIMIT_PER_MINUTE: '100000000',
        TIJORI_DATABASE_POOL_MAX: '4',
      },
    });
    a = await fleet.start();
    b = await fleet.start();
    const created = await adminCall(fleet, b.base, 'POST', '/admin/v1/merchants', { name: 'Outage' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    key = created.body.key as Key;
    merchantId = created.body.merchant.id as string;
  });

  after(async () => {
    await fleet?.stopAll();
    await check?.end({ timeout: 1 }).catch(() => {});
    await pg.destroy();
  });

  for (const mode of ['immediate', 'fast'] as const) {
    it(`answers every request fast with 503 storage_unavailable while PostgreSQL is down (pg_ctl stop -m ${mode}), recovers by itself, and loses no acknowledged order`, async () => {
      const outcomes: Outcome[] = [];
      const stopLoad = startSignedLoad({ process: 'a', base: a.base, key, tag: mode.slice(0, 3), loops: LOOPS, timeoutMs: HANG_GUARD_MS, outcomes });
      await sleep(1500);
      const stopping = performance.now();
      await pg.stop(mode);
      const down = performance.now();

      // While down: not ready, promptly.
      const readiness: Array<{ status: number; ms: number }> = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const status = await fetch(`${a.base}/readyz`, { signal: AbortSignal.timeout(HANG_GUARD_MS) }).then((r) => r.status, () => 0);
        readiness.push({ status, ms: Math.round(performance.now() - t) });
        await sleep(DOWN_MS / 4);
      }
      const restarting = performance.now();
      await pg.start().catch(async (err: unknown) => {
        await stopLoad();
        throw err;
      });
      const upAgain = performance.now();

      // Resumes by itself: a signed create succeeds again within a generous deadline.
      let recoveredAfterMs = -1;
      for (const deadline = performance.now() + 60_000; performance.now() < deadline; await sleep(250)) {
        const probe = newOrder('probe');
        const res = await signedCall(a.base, key, '/api/v3/pg/order/create', probe, HANG_GUARD_MS).catch(() => ({ status: 0, code: 'client' }));
        if (res.status === 200) {
          recoveredAfterMs = Math.round(performance.now() - upAgain);
          outcomes.push({ process: 'a', kind: 'create', orderId: probe.order_id as string, startedAt: 0, endedAt: 0, ms: 0, status: 200, code: undefined });
          break;
        }
      }
      await sleep(1500);
      await stopLoad();

      const duringOutage = outcomes.filter((o) => o.startedAt >= down && o.endedAt <= restarting);
      const aroundOutage = outcomes.filter((o) => o.endedAt >= stopping && o.startedAt <= upAgain);
      const maxMs = Math.max(0, ...aroundOutage.map((o) => o.ms));
      const maxDownMs = Math.max(0, ...duringOutage.map((o) => o.ms));
      console.log(
        `[stop -m ${mode}] ${outcomes.length} requests; ${duringOutage.length} sent and answered while down, max ${maxDownMs} ms; ` +
          `${aroundOutage.length} overlapping the outage, max ${maxMs} ms; readyz while down ${JSON.stringify(readiness)}; ` +
          `first signed create 200 ${recoveredAfterMs} ms after PostgreSQL was up again. Replies: ${summarise(outcomes)}. ` +
          `Slower than 2 s (ms from the stop command; stopped at ${Math.round(down - stopping)}, restart began at ${Math.round(restarting - stopping)}, up at ${Math.round(upAgain - stopping)}): ` +
          JSON.stringify(aroundOutage.filter((o) => o.ms > 2000).map((o) => ({ kind: o.kind, from: Math.round(o.startedAt - stopping), to: Math.round(o.endedAt - stopping), status: o.status }))),
      );

      assertAlive(a);
      assertAlive(b);
      assert.ok(recoveredAfterMs >= 0, `no signed create succeeded within 60 s of PostgreSQL's restart: ${summarise(outcomes)}\n${a.output().slice(-3000)}`);
      assert.deepEqual(outcomes.filter((o) => o.status === 0), [], 'every request got a reply (none hung past the guard, no connection dropped)');
      assert.deepEqual(outcomes.filter((o) => ![200, 404, 503].includes(o.status)), [], 'no 500s or other surprises: a reply is success, order_not_found, or 503');
      assert.deepEqual(outcomes.filter((o) => o.status === 503 && o.code !== 'storage_unavailable'), [], 'every 503 names storage_unavailable');
      assert.ok(duringOutage.length >= 4, `requests kept being answered while the database was down (${duringOutage.length})`);
      assert.deepEqual(duringOutage.filter((o) => o.status !== 503), [], 'while down, every request is refused with 503');
      assert.deepEqual(aroundOutage.filter((o) => o.ms > STATED_BOUND_MS), [], `no request around the outage took longer than ${STATED_BOUND_MS} ms`);
      assert.deepEqual(readiness.filter((r) => r.status !== 503), [], '/readyz says not ready while down');

      // No acknowledged order is lost.
      const acknowledged = outcomes.filter((o) => o.kind === 'create' && o.status === 200).map((o) => o.orderId);
      assert.ok(acknowledged.length > 0);
      const stored = new Set((await check.unsafe('SELECT order_ref FROM orders WHERE order_ref = ANY($1)', [acknowledged])).map((r) => r.order_ref as string));
      assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), [], 'every order that got 200 exists');

      // LISTEN works again: wait until both processes' listening connections are back, then revoke through B; A refuses the key promptly.
      let listening = 0;
      for (const deadline = performance.now() + 60_000; performance.now() < deadline && listening < 2; await sleep(200)) {
        listening = Number((await check.unsafe("SELECT count(DISTINCT pid) AS n FROM pg_stat_activity WHERE query ILIKE 'listen %'"))[0]?.n ?? 0);
      }
      assert.ok(listening >= 2, `both processes listen again (${listening} listening connections)`);
      const spare = await adminCall(fleet, b.base, 'POST', `/admin/v1/merchants/${merchantId}/keys`, {});
      assert.equal(spare.status, 201, JSON.stringify(spare.body));
      const spareKey = spare.body.key as Key;
      assert.equal((await signedCall(a.base, spareKey, '/api/v3/pg/order/status', { order_id: 'none' }, HANG_GUARD_MS)).code, 'order_not_found', 'A knows (and caches) the new key');
      assert.equal((await adminCall(fleet, b.base, 'POST', `/admin/v1/keys/${spareKey.api_key}/revoke`)).status, 200);
      let refused = false;
      for (const deadline = performance.now() + 2000; performance.now() < deadline && !refused; await sleep(50)) {
        refused = (await signedCall(a.base, spareKey, '/api/v3/pg/order/status', { order_id: 'none' }, HANG_GUARD_MS)).code === 'revoked_api_key';
      }
      assert.ok(refused, 'A refuses a key revoked through B within 2 s: its LISTEN connection re-subscribed after the outage');
    });
  }
});
