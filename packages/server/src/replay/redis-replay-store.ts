import { once } from 'node:events';
import { Redis } from 'ioredis';
import { closeRedis, rateLimitRedisOptions } from '../rate-limit/redis-rate-limiter.js';
import { type ReplayStore, ReplayStoreUnavailable, replayDigest } from './replay-store.js';

/** Every accepted signature's key lives under this prefix (SCAN finds them; each expires by itself). */
export const REPLAY_KEY_PREFIX = 'tijori:replay:';

/** The Redis key of a claim: the prefix and the claim's digest (base64url), so no signature is stored in clear. */
export function redisReplayKey(key: string): string {
  return REPLAY_KEY_PREFIX + replayDigest(key).toString('base64url');
}

const DEFAULT_TIMEOUT_MS = 500;

export interface RedisReplayStoreOptions {
  /** Longest a claim waits for Redis, in ms; default 500. */
  timeoutMs?: number;
  /** Told about each connection error (the client reconnects by itself); pass the logger here. */
  onConnectionError?: (error: Error) => void;
}

/**
 * The replay store shared by every gateway process on one Redis: a claim is
 * `SET key 1 NX EXAT <signed timestamp + tolerance>`, atomic in Redis, so of
 * several processes receiving the same signed request at the same moment
 * exactly one executes it, and the entry disappears when the timestamp
 * check would refuse the request anyway.
 *
 * Fails closed: when Redis cannot answer (down, restarting, slower than
 * `timeoutMs`), claim rejects with ReplayStoreUnavailable and the request
 * is refused with 503; it is never let through unchecked. A claim whose
 * reply was lost may have been stored: the client's retry is then refused as
 * a replay, which errs towards safety (a retry signs afresh anyway).
 */
export class RedisReplayStore implements ReplayStore {
  readonly #redis: Redis;

  constructor(url: string, options: RedisReplayStoreOptions = {}) {
    this.#redis = new Redis(url, rateLimitRedisOptions(options.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    // Without a listener ioredis prints every failed reconnect to stderr.
    this.#redis.on('error', (error: Error) => options.onConnectionError?.(error));
  }

  /** Resolves once connected, or after `ms`: a gateway starting while Redis is down starts anyway, and refuses signed requests until Redis is back. */
  async ready(ms: number): Promise<boolean> {
    if (this.#redis.status === 'ready') return true;
    const timeout = AbortSignal.timeout(ms);
    try {
      await once(this.#redis, 'ready', { signal: timeout });
      return true;
    } catch {
      return false;
    }
  }

  async claim(key: string, expiresAtSeconds: number): Promise<boolean> {
    let reply: string | null;
    try {
      reply = await this.#redis.set(redisReplayKey(key), '1', 'EXAT', expiresAtSeconds, 'NX');
    } catch (error) {
      throw new ReplayStoreUnavailable(`Redis did not answer the replay check: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return reply === 'OK';
  }

  /** Whether a claim could be sent now (connected); while not, claim fails at once. */
  get connected(): boolean {
    return this.#redis.status === 'ready';
  }

  isAvailable(): boolean {
    return this.connected;
  }

  close(): Promise<void> {
    return closeRedis(this.#redis);
  }
}
