import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, type OpenedBackend } from '../test-support/backends.js';
import type { Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { deleteExpiredReplayClaims } from '../store/queries/replay-claims.js';
import { FallbackReplayStore } from './fallback-replay-store.js';
import { RedisReplayStore } from './redis-replay-store.js';
import { ReplayStoreUnavailable } from './replay-store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Nothing listens on port 1: a Redis that is down.
const DEAD_REDIS = 'redis://127.0.0.1:1';
const TOLERANCE = 300;

for (const backend of BACKENDS) {
  describe(`the opt-in PostgreSQL fallback of the replay store, on ${backend.name}`, () => {
    let opened: OpenedBackend;
    const stores: FallbackReplayStore[] = [];
    const run = `fb-${randomUUID()}`;

    async function store(redisUrl: string, db: Db = opened.db): Promise<FallbackReplayStore> {
      const redis = new RedisReplayStore(redisUrl, { timeoutMs: 200 });
      // As at start-up: a live Redis is waited for (a dead one is not, here).
      if (redisUrl === REDIS_URL) assert.equal(await redis.ready(5000), true, `these tests need Redis at ${REDIS_URL}`);
      const s = new FallbackReplayStore(redis, db, { toleranceSeconds: TOLERANCE });
      await s.start();
      stores.push(s);
      return s;
    }
    const now = () => Math.floor(Date.now() / 1000);
    const claimsInPostgres = async () => Number((await opened.db.query<{ n: string }>('SELECT count(*) AS n FROM replay_claims'))[0]?.n);

    before(async () => {
      opened = await backend.open();
      await migrate(opened.db);
    });
    after(async () => {
      for (const s of stores) await s.close();
      await opened?.cleanup();
    });

    it('claims in Redis alone while Redis answers', async () => {
      const s = await store(REDIS_URL);
      const t = now();
      assert.equal(await s.claim(`${run}:redis`, t + TOLERANCE, t), true);
      assert.equal(await s.claim(`${run}:redis`, t + TOLERANCE, t), false);
      assert.equal(await claimsInPostgres(), 0);
      assert.equal(s.checkingPostgres(), false);
    });

    it('claims in PostgreSQL while Redis is unreachable, exactly once among concurrent claims from two processes, storing only a digest', async () => {
      const [a, b] = [await store(DEAD_REDIS), await store(DEAD_REDIS)];
      const t = now();
      const key = `key_abc:${'f'.repeat(64)}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claim(key, t + TOLERANCE, t)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await b.claim(key, t + TOLERANCE, t), false, 'a later replay is refused too');
      const rows = await opened.db.query<{ digest: Buffer; expires_at: Date }>('SELECT digest, expires_at FROM replay_claims');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.digest.length, 32, 'a SHA-256, not the signature');
      assert.equal(rows[0]?.expires_at.getTime(), (t + TOLERANCE) * 1000);
    });

    it('makes every process check PostgreSQL too once one falls back, so a request accepted there is refused when replayed through Redis', async () => {
      const healthy = await store(REDIS_URL);
      const cut = await store(DEAD_REDIS);
      const t = now();
      const key = `${run}:during-outage`;
      assert.equal(await cut.claim(key, t + TOLERANCE, t), true, 'accepted through PostgreSQL');
      // The announcement travels by NOTIFY; wait for it rather than a guessed time.
      for (let waited = 0; waited < 5000 && !healthy.checkingPostgres(); waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.equal(healthy.checkingPostgres(), true, 'the announcement reached the other process');
      assert.equal(await healthy.claim(key, t + TOLERANCE, t), false, 'Redis never saw it, PostgreSQL did');
      assert.equal(healthy.checkingPostgres((t + 2 * TOLERANCE + 1) * 1000), false, 'for twice the tolerance, no longer');
    });

    it('refuses (ReplayStoreUnavailable) when PostgreSQL cannot record the claim either', async () => {
      const broken: Db = { ...opened.db, query: async () => Promise.reject(new Error('connection refused')) };
      const s = new FallbackReplayStore(new RedisReplayStore(DEAD_REDIS, { timeoutMs: 200 }), broken, { toleranceSeconds: TOLERANCE });
      try {
        const t = now();
        await assert.rejects(s.claim(`${run}:nowhere`, t + TOLERANCE, t), ReplayStoreUnavailable);
      } finally {
        await s.close();
      }
    });

    it('deletes claims whose signed timestamp has left the window', async () => {
      const s = await store(DEAD_REDIS);
      const t = now();
      assert.equal(await s.claim(`${run}:old`, t - 1, t - TOLERANCE - 1), true);
      const before = await claimsInPostgres();
      assert.equal(await deleteExpiredReplayClaims(opened.db, new Date(t * 1000)), 1);
      assert.equal(await claimsInPostgres(), before - 1);
    });
  });
}
