import type { Db } from '../store/db.js';
import { announceReplayFallback, claimReplayDigest, deleteExpiredReplayClaims, REPLAY_FALLBACK_CHANNEL } from '../store/queries/replay-claims.js';
import type { RedisReplayStore } from './redis-replay-store.js';
import { type ReplayStore, ReplayStoreUnavailable, replayDigest } from './replay-store.js';

// Expired claims are deleted this often; they are refused by the timestamp check long before.
const PRUNE_MS = 60_000;
// A process still falling back repeats its announcement at most this often.
const ANNOUNCE_EVERY_MS = 1000;

export interface FallbackReplayStoreOptions {
  /** The signature tolerance in seconds: a claim can matter for up to twice this (timestamps may run ahead). */
  toleranceSeconds: number;
  /** Told once per switch to and from PostgreSQL, and of failed announcements or prunes. */
  onSwitch?: (usingPostgres: boolean) => void;
  onError?: (error: unknown) => void;
}

/**
 * The opt-in PostgreSQL fallback (TIJORI_REPLAY_FALLBACK=postgres): Redis is
 * the replay store, and while it cannot answer, claims go to the replay_claims
 * table instead (INSERT … ON CONFLICT DO NOTHING: atomic across processes).
 *
 * Once any process falls back it announces it (NOTIFY), and every process then
 * claims in BOTH stores for twice the tolerance after the last announcement:
 * a request accepted through PostgreSQL during the outage is refused when
 * replayed after Redis is back, wherever it lands.
 *
 * What it cannot do, and why it is opt-in: Redis's claims are not in
 * PostgreSQL, so a request accepted through Redis shortly before Redis became
 * unreachable can be accepted once more through PostgreSQL, within its
 * tolerance window. Without the fallback such requests are refused (503).
 */
export class FallbackReplayStore implements ReplayStore {
  #bothUntilMs = 0;
  #announcedAtMs = Number.NEGATIVE_INFINITY;
  #usingPostgres = false;
  #pruner: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly redis: RedisReplayStore,
    private readonly db: Db,
    private readonly options: FallbackReplayStoreOptions,
  ) {}

  /** Follows other processes' announcements and starts deleting expired claims. */
  async start(): Promise<void> {
    // Announcements missed while the connection was lost: assume there was one.
    const fellBackSomewhere = () => this.#checkBothFor(Date.now());
    this.#unlisten = await this.db.listen(REPLAY_FALLBACK_CHANNEL, fellBackSomewhere, fellBackSomewhere);
    this.#pruner = setInterval(() => {
      deleteExpiredReplayClaims(this.db, new Date()).catch((error: unknown) => this.options.onError?.(error));
    }, PRUNE_MS);
    this.#pruner.unref();
  }

  async claim(key: string, expiresAtSeconds: number, nowSeconds: number): Promise<boolean> {
    const nowMs = nowSeconds * 1000;
    if (nowMs < this.#bothUntilMs) return this.#claimInBoth(key, expiresAtSeconds, nowMs);
    try {
      const fresh = await this.redis.claim(key, expiresAtSeconds);
      this.#switch(false);
      return fresh;
    } catch (error) {
      if (!(error instanceof ReplayStoreUnavailable)) throw error;
      return this.#claimInBoth(key, expiresAtSeconds, nowMs, true);
    }
  }

  /** PostgreSQL must answer (else 503); Redis is asked too unless it just failed, and a replay in either refuses. */
  async #claimInBoth(key: string, expiresAtSeconds: number, nowMs: number, redisFailed = false): Promise<boolean> {
    let inPostgres: boolean;
    try {
      inPostgres = await claimReplayDigest(this.db, replayDigest(key), new Date(expiresAtSeconds * 1000));
    } catch (error) {
      throw new ReplayStoreUnavailable(`neither Redis nor PostgreSQL could record the replay claim: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    let inRedis = true;
    let failed = redisFailed || !this.redis.connected;
    if (!failed) {
      try {
        inRedis = await this.redis.claim(key, expiresAtSeconds);
      } catch {
        failed = true;
      }
    }
    this.#switch(failed);
    if (failed) {
      this.#checkBothFor(nowMs);
      this.#announce(nowMs);
    }
    return inPostgres && inRedis;
  }

  /** Whether claims also go to PostgreSQL now: during a fallback anywhere, and for twice the tolerance after it. */
  checkingPostgres(nowMs = Date.now()): boolean {
    return nowMs < this.#bothUntilMs;
  }

  #checkBothFor(nowMs: number): void {
    this.#bothUntilMs = Math.max(this.#bothUntilMs, nowMs + 2 * this.options.toleranceSeconds * 1000);
  }

  #announce(nowMs: number): void {
    if (nowMs - this.#announcedAtMs < ANNOUNCE_EVERY_MS) return;
    this.#announcedAtMs = nowMs;
    announceReplayFallback(this.db).catch((error: unknown) => this.options.onError?.(error));
  }

  #switch(usingPostgres: boolean): void {
    if (usingPostgres === this.#usingPostgres) return;
    this.#usingPostgres = usingPostgres;
    this.options.onSwitch?.(usingPostgres);
  }

  async close(): Promise<void> {
    clearInterval(this.#pruner);
    await this.#unlisten?.().catch(() => {});
    await this.redis.close();
  }
}
