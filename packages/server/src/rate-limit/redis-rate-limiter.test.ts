// Redis-only rules. The shared semantics run in rate-limiter.test.ts. Redis's
// clock cannot be moved, so time passing is simulated by moving a stored TAT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiterUnavailable } from './rate-limiter.js';
import { RATE_LIMIT_KEY_PREFIX, RedisRateLimiter, rateLimitRedisOptions } from './redis-rate-limiter.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `test-${randomUUID()}`;
const TEN_PER_HOUR = { limit: 10, periodSeconds: 3600 }; // one request returns every 6 minutes: none during a test
let n = 0;
const key = (): string => `${RUN}:${n++}`;

/** Fail, not skip, without Redis: a green run must mean the Redis path was tested. */
async function connectOrFail(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { ...rateLimitRedisOptions(), lazyConnect: true, retryStrategy: () => null });
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    throw new Error(
      `these tests need Redis at ${REDIS_URL} (REDIS_URL), which is not reachable (${(cause ?? (error as Error)).message}); ` +
        `start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  }
}

/**
 * A separate OS process that connects, says "ready", waits for "go" on stdin,
 * then fires `attempts` concurrent consumes and prints how many were allowed.
 * The start signal makes the two processes' requests overlap in Redis.
 */
function startConsumer(k: string, attempts: number): { ready: Promise<void>; go(): void; allowed: Promise<number> } {
  const moduleUrl = new URL('./redis-rate-limiter.ts', import.meta.url).href;
  const script = `
    const [moduleUrl, redisUrl, key, attempts] = process.argv.slice(1);
    const { RedisRateLimiter } = await import(moduleUrl);
    const limiter = new RedisRateLimiter(redisUrl);
    await limiter.consume(key + ':warm-up', { limit: 1, periodSeconds: 1 }, 0);
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      const policy = { limit: 10, periodSeconds: 3600 };
      const decisions = await Promise.all(Array.from({ length: Number(attempts) }, () => limiter.consume(key, policy, 0)));
      process.stdout.write(JSON.stringify({ allowed: decisions.filter((d) => d.allowed).length }) + '\\n');
      await limiter.close();
      process.stdin.destroy();
    });
  `;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, moduleUrl, REDIS_URL, k, String(attempts)],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.startsWith('ready\n')) resolve();
    });
    exited.then((code) => reject(new Error(`consumer exited ${code} before it was ready: ${stderr}`)));
  });
  const allowed = exited.then((code) => {
    assert.equal(code, 0, `consumer failed: ${stderr}`);
    const line = stdout.split('\n')[1] ?? '';
    return (JSON.parse(line) as { allowed: number }).allowed;
  });
  return { ready, go: () => child.stdin.write('go\n'), allowed };
}

describe('RedisRateLimiter', () => {
  let redis: Redis;
  let limiter: RedisRateLimiter;
  before(async () => {
    redis = await connectOrFail();
    limiter = new RedisRateLimiter(REDIS_URL);
  });
  after(async () => {
    await limiter?.close();
    // Keys expire by themselves within the hour; tidy up anyway.
    const mine = await redis?.keys(`${RATE_LIMIT_KEY_PREFIX}${RUN}:*`);
    if (mine?.length) await redis.del(...mine);
    redis?.disconnect();
  });

  it('stores keys under tijori:rl: with a TTL that ends when the bucket is full again', async () => {
    const k = key();
    await limiter.consume(k, TEN_PER_HOUR, 0);
    const ttl = await redis.pttl(`${RATE_LIMIT_KEY_PREFIX}${k}`);
    assert.ok(ttl > 359_000 && ttl <= 360_000, `one request of 10 per hour is spent for 360 s, got PTTL ${ttl} ms`);
    await limiter.consume(k, TEN_PER_HOUR, 0);
    const ttl2 = await redis.pttl(`${RATE_LIMIT_KEY_PREFIX}${k}`);
    assert.ok(ttl2 > 719_000 && ttl2 <= 720_000, `two requests: 720 s, got ${ttl2} ms`);
  });

  it('returns a request after one interval (simulated by moving the stored TAT back)', async () => {
    const k = key();
    const stored = `${RATE_LIMIT_KEY_PREFIX}${k}`;
    for (let i = 0; i < 10; i++) await limiter.consume(k, TEN_PER_HOUR, 0);
    assert.equal((await limiter.consume(k, TEN_PER_HOUR, 0)).allowed, false);
    const tatUs = Number(await redis.get(stored));
    await redis.set(stored, String(tatUs - 360_000_000), 'KEEPTTL'); // 6 minutes pass
    const back = await limiter.consume(k, TEN_PER_HOUR, 0);
    assert.equal(back.allowed, true);
    assert.equal(back.remaining, 0);
    assert.equal((await limiter.consume(k, TEN_PER_HOUR, 0)).allowed, false, 'only one came back');
  });

  it("ignores the caller's clock: Redis's own time decides", async () => {
    const k = key();
    const first = await limiter.consume(k, TEN_PER_HOUR, 0);
    const second = await limiter.consume(k, TEN_PER_HOUR, Date.UTC(2100, 0, 1));
    assert.deepEqual([first.remaining, second.remaining], [9, 8], 'a clock a century ahead refilled nothing');
  });

  it('shares one budget between two OS processes: 20 concurrent attempts, exactly 10 allowed', { timeout: 30_000 }, async () => {
    const k = key();
    const consumers = [startConsumer(k, 10), startConsumer(k, 10)];
    await Promise.all(consumers.map((c) => c.ready));
    for (const c of consumers) c.go();
    const allowed = await Promise.all(consumers.map((c) => c.allowed));
    assert.equal(allowed[0]! + allowed[1]!, 10, `allowed per process: ${allowed.join(' + ')}`);
  });

  it('leaves a borrowed client open on close()', async () => {
    const client = new Redis(REDIS_URL, rateLimitRedisOptions());
    const borrowing = new RedisRateLimiter(client);
    assert.equal((await borrowing.consume(key(), TEN_PER_HOUR, 0)).allowed, true, 'waits for the first connection');
    await borrowing.close();
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
  });
});

describe('RedisRateLimiter without Redis', () => {
  it('rejects with RateLimiterUnavailable when Redis is unreachable, at once rather than queueing', async () => {
    const dead = new RedisRateLimiter('redis://127.0.0.1:1');
    try {
      await assert.rejects(dead.consume('k', TEN_PER_HOUR, 0), RateLimiterUnavailable);
      await assert.rejects(dead.consume('k', TEN_PER_HOUR, 0), RateLimiterUnavailable, 'and again while reconnecting');
    } finally {
      await dead.close();
    }
  });

  it('rejects with RateLimiterUnavailable when the connection never becomes ready', async () => {
    // A listening socket that never answers: the TCP connect succeeds, Redis's ready check does not.
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const silent = new RedisRateLimiter(`redis://127.0.0.1:${port}`, { timeoutMs: 100 });
    try {
      await assert.rejects(silent.consume('k', TEN_PER_HOUR, 0), RateLimiterUnavailable);
    } finally {
      await silent.close();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
