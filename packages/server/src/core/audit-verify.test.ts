import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS } from '../test-support/backends.js';
import type { Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { readChainHead } from '../store/queries/audit-log.js';
import { AuditTrail } from './audit-trail.js';
import { verifyStoredChain } from './audit-verify.js';

const COLUMNS = 'seq, at, request_id, merchant_id, key_id, client_ip, method, path, status, error_code, latency_ms, prev_hash, hash';

for (const backend of BACKENDS) {
  describe(`tijori audit verify on the database, ${backend.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;

    before(async () => {
      const opened = await backend.open();
      db = opened.db;
      cleanup = opened.cleanup;
      await migrate(db);
      const trail = new AuditTrail(db, { onError: (err) => assert.fail(String(err)), onDropped: () => {}, maxBatch: 4 });
      for (let i = 1; i <= 10; i++) {
        trail.record({
          at: new Date(Date.UTC(2026, 10, 23, 12, 0, i)).toISOString(),
          request_id: `req_${String(i).padStart(32, '0')}`,
          merchant_id: 'mer_0123456789abcdef01234567',
          key_id: 'key_0123456789abcdef01234567',
          client_ip: '203.0.113.7',
          method: 'POST',
          path: '/api/v3/pg/order/create',
          status: i === 7 ? 401 : 200,
          error_code: i === 7 ? 'invalid_signature' : null,
          latency_ms: 2.5 + i / 1000,
        });
      }
      await trail.stop();
    });
    after(() => cleanup?.());

    /** Every column of the rows, to put back exactly after a tampering. */
    async function snapshot(where: string): Promise<Record<string, unknown>[]> {
      return db.query(`SELECT ${COLUMNS} FROM audit_log WHERE ${where} ORDER BY seq`);
    }
    async function restore(rows: Record<string, unknown>[]): Promise<void> {
      for (const r of rows) {
        await db.query(`INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
          r.seq, r.at, r.request_id, r.merchant_id, r.key_id, r.client_ip, r.method, r.path, r.status, r.error_code, r.latency_ms, r.prev_hash, r.hash,
        ]);
      }
    }
    async function assertIntact(): Promise<void> {
      const verdict = await verifyStoredChain(db);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
    }

    it('passes an untouched chain and reports the head', async () => {
      const verdict = await verifyStoredChain(db);
      assert.equal(verdict.ok, true);
      assert.equal(verdict.ok && verdict.count, 10);
      assert.deepEqual(verdict.ok && verdict.last, await readChainHead(db));
    });

    it('names a record whose status was changed in SQL', async () => {
      await db.query('UPDATE audit_log SET status = 200, error_code = NULL WHERE seq = 7');
      const verdict = await verifyStoredChain(db);
      assert.deepEqual(verdict, { ok: false, seq: 7, kind: 'edited', message: 'record seq 7: hash mismatch (edited)' });
      await db.query("UPDATE audit_log SET status = 401, error_code = 'invalid_signature' WHERE seq = 7");
      await assertIntact();
    });

    it('names the gap a deleted middle record leaves', async () => {
      const saved = await snapshot('seq = 5');
      await db.query('DELETE FROM audit_log WHERE seq = 5');
      assert.deepEqual(await verifyStoredChain(db), { ok: false, seq: 5, kind: 'deleted', message: 'seq gap after 4 (deleted)' });
      await restore(saved);
      await assertIntact();
    });

    it('names the first of two records whose seqs were swapped', async () => {
      const swap = async () => {
        await db.query('UPDATE audit_log SET seq = -1 WHERE seq = 3');
        await db.query('UPDATE audit_log SET seq = 3 WHERE seq = 4');
        await db.query('UPDATE audit_log SET seq = 4 WHERE seq = -1');
      };
      await swap();
      assert.deepEqual(await verifyStoredChain(db), { ok: false, seq: 3, kind: 'edited', message: 'record seq 3: hash mismatch (edited)' });
      await swap();
      await assertIntact();
    });

    it('finds records deleted from the end, against the head row', async () => {
      const saved = await snapshot('seq > 8');
      await db.query('DELETE FROM audit_log WHERE seq > 8');
      assert.deepEqual(await verifyStoredChain(db), {
        ok: false,
        seq: 9,
        kind: 'truncated',
        message: 'records after seq 8 are missing: the head is at seq 10 (deleted at the end)',
      });
      await restore(saved);
      await assertIntact();
    });

    it('finds a cut end with the head moved back too, given an anchor from an earlier verify', async () => {
      const before = await verifyStoredChain(db);
      assert.ok(before.ok);
      const anchor = before.last;
      const saved = await snapshot('seq = 10');
      const [nine] = await snapshot('seq = 9');
      await db.query('DELETE FROM audit_log WHERE seq = 10');
      await db.query('UPDATE audit_chain_head SET seq = 9, hash = $1', [nine?.hash]);
      assert.equal((await verifyStoredChain(db)).ok, true, 'a consistent cut looks whole without an anchor');
      const verdict = await verifyStoredChain(db, { anchor });
      assert.equal(!verdict.ok && verdict.kind, 'anchor');
      assert.equal(!verdict.ok && verdict.seq, 10);
      await restore(saved);
      await db.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [anchor.seq, anchor.hash]);
      assert.equal((await verifyStoredChain(db, { anchor })).ok, true);
    });
  });
}
