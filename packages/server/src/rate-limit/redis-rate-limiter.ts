import { Redis, type RedisOptions } from 'ioredis';
import { gcraDecision, gcraParams } from './gcra.js';
import { type RateLimitDecision, type RateLimiter, type RateLimitPolicy, RateLimiterUnavailable } from './rate-limiter.js';

/** Every rate-limit key lives under this prefix, so an operator can find (or flush) them with SCAN. */
export const RATE_LIMIT_KEY_PREFIX = 'tijori:rl:';

const DEFAULT_TIMEOUT_MS = 500;

/**
 * Client options for failing fast: a rate-limit check sits in front of every
 * request, so a dead or slow Redis must cost a request at most `timeoutMs`,
 * not a queue that grows until Redis returns. Used for the client this
 * limiter creates from a URL; pass them when building a client to share.
 */
export function rateLimitRedisOptions(timeoutMs = DEFAULT_TIMEOUT_MS): RedisOptions {
  return {
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    // Commands issued in the same event-loop turn go out in one write: under load,
    // many requests' budget checks share a round trip instead of one each.
    enableAutoPipelining: true,
    // While disconnected, commands fail at once instead of waiting for a reconnect.
    enableOfflineQueue: false,
    // A LAN Redis accepts in well under a millisecond; a black-holed one should not hold us 10 s (the default).
    connectTimeout: 1_000,
    // Keep trying in the background, at most a second apart, so recovery is quick once Redis returns.
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  };
}

/** Closes a client politely (QUIT) when connected, else drops the connection: either way it is gone. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: the connection is going away either way.
    }
  }
  redis.disconnect();
}

export interface RedisRateLimiterOptions {
  /** Longest a check waits for Redis, in ms, including the first connection; default 500. */
  timeoutMs?: number;
  /**
   * Told about each connection error of a client created from a URL (it
   * reconnects by itself); pass the logger here. Unset, errors are dropped
   * rather than printed by ioredis.
   */
  onConnectionError?: (error: Error) => void;
}

/*
 * gcraStep and gcraDecision's input from gcra.ts, as one atomic script:
 * Redis runs a script to completion before any other command, so the read of
 * the TAT and its update cannot interleave with another process's.
 *
 * Time is Redis's own (TIME), not the caller's: processes whose clocks
 * disagree still share one budget. All values are integer microseconds (see
 * gcra.ts), exact in Lua's doubles; '%.0f' keeps the stored TAT from being
 * printed in Lua's default 14 significant digits.
 *
 * The key expires when its bucket would be full again, at which point absent
 * and stored mean the same, so idle keys cost no memory.
 *
 * KEYS[1]: the key. ARGV[1]: interval µs. ARGV[2]: capacity µs.
 * Returns {allowed 1|0, µs of the bucket in use}.
 */
const GCRA_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
local nxt = tat + interval
if nxt - now > capacity then
  return {0, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
return {1, nxt - now}
`;

interface GcraCommand {
  /** Defined by defineCommand: EVALSHA, falling back to EVAL once per connection if Redis has not seen the script. */
  tijoriRateLimitGcra(key: string, intervalUs: string, capacityUs: string): Promise<[number, number]>;
}

/**
 * GCRA in Redis: one budget per key shared by every process using the same
 * Redis. Ignores `nowMs`: Redis's clock decides (see GCRA_LUA).
 *
 * `new RedisRateLimiter('redis://host:6379')` creates and owns a client set
 * up by rateLimitRedisOptions(); close() closes it. Given an existing ioredis
 * client instead, the limiter borrows it and close() leaves it open; build it
 * with rateLimitRedisOptions() or a dead Redis will hold requests in
 * ioredis's offline queue.
 *
 * When Redis cannot answer within `timeoutMs` (down, restarting, slow),
 * consume rejects with RateLimiterUnavailable; while the client is known to
 * be disconnected it rejects at once. A rejected check may still have taken
 * a request in Redis if the reply was what timed out: that errs towards
 * refusing, never towards extra requests.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis & GcraCommand;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  /** One shared wait for the first connection, so a burst of early requests adds one set of listeners, not one each. */
  #connecting: Promise<void> | undefined;

  constructor(redis: string | Redis, options: RedisRateLimiterOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`RedisRateLimiter: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#owned = typeof redis === 'string';
    const client = typeof redis === 'string' ? new Redis(redis, rateLimitRedisOptions(timeoutMs)) : redis;
    if (this.#owned) {
      // Without a listener ioredis prints every failed reconnect to stderr.
      const onError = options.onConnectionError;
      client.on('error', (error: Error) => onError?.(error));
    }
    client.defineCommand('tijoriRateLimitGcra', { numberOfKeys: 1, lua: GCRA_LUA });
    this.#redis = client as Redis & GcraCommand;
  }

  async consume(key: string, policy: RateLimitPolicy, _nowMs: number): Promise<RateLimitDecision> {
    const params = gcraParams(policy);
    await this.#whenConnected();
    let reply: [number, number];
    try {
      reply = await this.#redis.tijoriRateLimitGcra(
        RATE_LIMIT_KEY_PREFIX + key,
        String(params.intervalUs),
        String(params.capacityUs),
      );
    } catch (error) {
      throw new RateLimiterUnavailable(`Redis did not answer the rate-limit check: ${describe(error)}`, { cause: error });
    }
    const [allowed, usedUs] = reply;
    return gcraDecision(allowed === 1, usedUs, params);
  }

  async close(): Promise<void> {
    if (this.#owned) await closeRedis(this.#redis);
  }

  #whenConnected(): Promise<void> {
    const redis = this.#redis;
    switch (redis.status) {
      case 'ready':
        return Promise.resolve();
      case 'wait': // a borrowed client built with lazyConnect
        redis.connect().catch(() => {}); // the failure reaches us as an 'error' event below
        break;
      case 'connecting':
      case 'connect':
        break;
      default: // reconnecting, close, end: a connection was lost or refused; fail now, not after a timeout
        return Promise.reject(new RateLimiterUnavailable(`Redis is unreachable (connection ${redis.status})`));
    }
    this.#connecting ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        redis.off('ready', onReady).off('error', onError).off('close', onClose);
        this.#connecting = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => settle();
      const onError = (error: Error): void =>
        settle(new RateLimiterUnavailable(`Redis is unreachable: ${describe(error)}`, { cause: error }));
      const onClose = (): void => settle(new RateLimiterUnavailable('Redis closed the connection before it was ready'));
      const timer = setTimeout(
        () => settle(new RateLimiterUnavailable(`Redis did not connect within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      redis.once('ready', onReady).once('error', onError).once('close', onClose);
    });
    return this.#connecting;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's connection attempts to several addresses fail with an AggregateError whose message is empty.
  const code = (error as { code?: unknown }).code;
  return error.message || (typeof code === 'string' ? code : error.name);
}
