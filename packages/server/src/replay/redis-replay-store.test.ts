import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway } from '../test-support/test-gateway.js';
import { RedisReplayStore, redisReplayKey } from './redis-replay-store.js';
import { ReplayStoreUnavailable } from './replay-store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Nothing listens on port 1: a Redis that is down.
const DEAD_REDIS = 'redis://127.0.0.1:1';
const RUN = `test-${randomUUID()}`;

describe('the Redis replay store, shared by gateway processes', () => {
  // Two stores on one Redis stand for two gateway processes.
  let a: RedisReplayStore;
  let b: RedisReplayStore;
  let redis: Redis;

  before(async () => {
    a = new RedisReplayStore(REDIS_URL);
    b = new RedisReplayStore(REDIS_URL);
    redis = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null });
    // Fail, not skip, without Redis: a green run must mean this path was tested.
    await redis.connect().catch((err: Error) => {
      throw new Error(`these tests need Redis at ${REDIS_URL} (REDIS_URL), which is not reachable (${err.message}); start it (see README)`);
    });
    assert.equal(await a.ready(5000), true);
    assert.equal(await b.ready(5000), true);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    redis?.disconnect();
  });

  it('lets exactly one of many concurrent claims of one signature through, whichever process gets it', async () => {
    const key = `${RUN}:once`;
    const now = Math.floor(Date.now() / 1000);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claim(key, now + 300)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await b.claim(key, now + 300), false, 'and a later replay through the other process is refused too');
    assert.equal(await a.claim(`${RUN}:other`, now + 300), true, 'another signature is its own');
  });

  it('keeps a claim until the signed timestamp leaves the window, no longer', async () => {
    const key = `${RUN}:ttl`;
    const expiresAt = Math.floor(Date.now() / 1000) + 300;
    assert.equal(await a.claim(key, expiresAt), true);
    const expireTime = await redis.call('EXPIRETIME', redisReplayKey(key));
    assert.equal(expireTime, expiresAt);
  });

  it('fails closed: an unreachable Redis is ReplayStoreUnavailable, never a pass', async () => {
    const dead = new RedisReplayStore(DEAD_REDIS, { timeoutMs: 200 });
    try {
      assert.equal(await dead.ready(300), false);
      await assert.rejects(dead.claim(`${RUN}:dead`, Math.floor(Date.now() / 1000) + 300), ReplayStoreUnavailable);
    } finally {
      await dead.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`a gateway whose Redis is down, on ${backend.name}`, () => {
    it('refuses signed requests with 503 service_unavailable and executes nothing', async () => {
      const gw = await startTestGateway(backend, { REDIS_URL: DEAD_REDIS });
      try {
        const before = await gw.orderCount();
        const res = await gw.send({ path: '/api/v3/pg/order/create', body: orderBody() });
        assert.equal(res.statusCode, 503, res.body);
        assert.equal(res.json().error_code, 'service_unavailable');
        assert.equal(await gw.orderCount(), before);
        const ready = await gw.gateway.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(ready.statusCode, 503, 'not ready: a balancer should send its traffic elsewhere');
        assert.match(ready.json().message, /Redis is not reachable/);
      } finally {
        await gw.close();
      }
    });

    it('with TIJORI_REPLAY_FALLBACK=postgres, executes a signed request once through PostgreSQL and refuses its replay', async () => {
      const gw = await startTestGateway(backend, { REDIS_URL: DEAD_REDIS, TIJORI_REPLAY_FALLBACK: 'postgres' });
      try {
        const before = await gw.orderCount();
        // The clock stands still, so the same request is signed the same way: the second is a replay.
        const request = { path: '/api/v3/pg/order/create', body: orderBody() };
        const first = await gw.send(request);
        assert.equal(first.statusCode, 200, first.body);
        const replayed = await gw.send(request);
        assert.equal(replayed.signature, first.signature);
        assert.equal(replayed.statusCode, 401, replayed.body);
        assert.equal(replayed.json().error_code, 'replayed_request');
        assert.equal(await gw.orderCount(), before + 1);
        assert.equal((await gw.gateway.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready: the fallback takes the claims');
      } finally {
        await gw.close();
      }
    });
  });
}
