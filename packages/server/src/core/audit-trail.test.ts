import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, TEST_DATABASE_URL } from '../test-support/backends.js';
import type { Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { openPostgresDb } from '../store/postgres-db.js';
import { listAuditRows, readChainHead } from '../store/queries/audit-log.js';
import { type AuditEntry, AuditTrail } from './audit-trail.js';
import { verifyStoredChain } from './audit-verify.js';

let n = 0;
function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  n++;
  return {
    at: new Date(Date.UTC(2026, 10, 23, 12, 0, 0) + n).toISOString(),
    request_id: `req_${n.toString(16).padStart(32, '0')}`,
    merchant_id: 'mer_0123456789abcdef01234567',
    key_id: 'key_0123456789abcdef01234567',
    client_ip: '203.0.113.7',
    method: 'POST',
    path: '/api/v3/pg/order/create',
    status: 200,
    error_code: null,
    latency_ms: Math.round(Math.random() * 50_000) / 1000,
    ...overrides,
  };
}

const quiet = { onError: () => {}, onDropped: () => {} };

/** A Db that refuses every transaction while `down` is set: the database unreachable. */
function flaky(db: Db): Db & { down: boolean } {
  const wrapper = {
    down: false,
    kind: db.kind,
    query: db.query.bind(db),
    exec: db.exec.bind(db),
    listen: db.listen.bind(db),
    close: db.close.bind(db),
    transaction<T>(fn: Parameters<Db['transaction']>[0]): Promise<T> {
      if (wrapper.down) return Promise.reject(new Error('connection refused'));
      return db.transaction(fn) as Promise<T>;
    },
  };
  return wrapper as Db & { down: boolean };
}

for (const backend of BACKENDS) {
  describe(`the audit trail on ${backend.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;

    before(async () => {
      const opened = await backend.open();
      db = opened.db;
      cleanup = opened.cleanup;
      await migrate(db);
    });
    after(() => cleanup?.());

    it('numbers records from 1 without gaps and chains them, in batches', async () => {
      const trail = new AuditTrail(db, { ...quiet, maxBatch: 7 });
      for (let i = 0; i < 30; i++) trail.record(entry());
      await trail.flush();
      assert.equal(trail.writtenRecords, 30);
      const rows = await listAuditRows(db, {}, 1000);
      assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: 30 }, (_, i) => i + 1));
      const head = await readChainHead(db);
      assert.deepEqual(head, { seq: 30, hash: rows[29]?.hash });
      const verdict = await verifyStoredChain(db);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
    });

    it('keeps the values it hashed through the round trip (time to the millisecond, latency to the microsecond, nulls)', async () => {
      const trail = new AuditTrail(db, quiet);
      const e = entry({ merchant_id: null, key_id: null, status: 404, error_code: 'route_not_found', latency_ms: 0.123, method: 'GET', path: '/admin/v1/nowhere' });
      trail.record(e);
      await trail.stop();
      const [row] = (await listAuditRows(db, {}, 1000)).slice(-1);
      assert.ok(row);
      assert.equal(row.at.toISOString(), e.at);
      assert.equal(row.latencyMs, 0.123);
      assert.equal(row.merchantId, null);
      assert.equal(row.errorCode, 'route_not_found');
      assert.equal((await verifyStoredChain(db)).ok, true);
    });

    it('writes a full batch at once, without waiting for the interval', async () => {
      const before = (await readChainHead(db)).seq;
      const trail = new AuditTrail(db, { ...quiet, maxBatch: 5 });
      for (let i = 0; i < 5; i++) trail.record(entry());
      // No start(), no flush(): the fifth record sets the write off.
      for (let i = 0; i < 100 && trail.writtenRecords < 5; i++) await new Promise((r) => setImmediate(r));
      assert.equal((await readChainHead(db)).seq, before + 5);
    });

    it('two writers appending at once build one valid chain (the head row serialises them)', async () => {
      // On PostgreSQL, a second pool on the same schema: two processes' worth of connections.
      let second: Db = db;
      if (backend.name === 'postgres') {
        const [schema] = await db.query<{ s: string }>('SELECT current_schema() AS s');
        second = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 4, searchPath: schema?.s as string });
      }
      try {
        const start = (await readChainHead(db)).seq;
        const a = new AuditTrail(db, { ...quiet, maxBatch: 25 });
        const b = new AuditTrail(second, { ...quiet, maxBatch: 25 });
        const flushes: Promise<void>[] = [];
        for (let i = 0; i < 400; i++) {
          a.record(entry({ client_ip: '198.51.100.1' }));
          b.record(entry({ client_ip: '198.51.100.2' }));
          if (i % 50 === 0) flushes.push(a.flush(), b.flush());
        }
        flushes.push(a.stop().then(() => {}), b.stop().then(() => {}));
        await Promise.all(flushes);
        const head = await readChainHead(db);
        assert.equal(head.seq, start + 800);
        const verdict = await verifyStoredChain(db);
        assert.equal(verdict.ok, true, JSON.stringify(verdict));
        const rows = await listAuditRows(db, { afterSeq: start }, 1000);
        assert.equal(rows.filter((r) => r.clientIp === '198.51.100.1').length, 400);
        assert.equal(rows.filter((r) => r.clientIp === '198.51.100.2').length, 400);
      } finally {
        if (second !== db) await second.close();
      }
    });

    it('a failed flush throws nowhere, keeps its records, and writes them in order when the database is back', async () => {
      const errors: unknown[] = [];
      const down = flaky(db);
      const trail = new AuditTrail(down, { onError: (err) => errors.push(err), onDropped: () => {} });
      const start = (await readChainHead(db)).seq;
      down.down = true;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const e = entry();
        ids.push(e.request_id);
        trail.record(e);
      }
      await trail.flush();
      assert.equal(errors.length, 1);
      assert.equal(trail.pendingRecords, 3);
      down.down = false;
      await trail.flush();
      const rows = await listAuditRows(db, { afterSeq: start }, 10);
      assert.deepEqual(rows.map((r) => r.requestId), ids);
      assert.deepEqual(rows.map((r) => r.seq), [start + 1, start + 2, start + 3]);
      assert.equal((await verifyStoredChain(db)).ok, true);
    });

    it('drops and counts records beyond the buffer while the database is down, never blocking', async () => {
      const dropped: number[] = [];
      const down = flaky(db);
      const trail = new AuditTrail(down, { onError: () => {}, onDropped: (count) => dropped.push(count), maxBatch: 2, maxBuffered: 5 });
      down.down = true;
      for (let i = 0; i < 12; i++) trail.record(entry());
      await trail.flush();
      assert.equal(trail.pendingRecords, 5);
      assert.equal(trail.droppedRecords, 7);
      assert.deepEqual(dropped, [7]);
      down.down = false;
      assert.equal(await trail.stop(), 0, 'every buffered record written at stop');
      assert.equal((await verifyStoredChain(db)).ok, true);
    });
  });
}
