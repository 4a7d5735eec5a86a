import postgres from 'postgres';
import type { Db, Queryable } from './db.js';
import { isConnectionFailure, StorageUnavailable } from './storage-unavailable.js';

export interface PostgresOptions {
  url: string;
  poolMax: number;
  /** Tests isolate themselves in a schema of their own. */
  searchPath?: string;
  /** Seconds to wait for a new connection (TCP and start-up) before failing it; default 5. */
  connectTimeoutSeconds?: number;
  /**
   * Longest a statement, or the start of a transaction, may wait (for a free
   * connection included) before failing with StorageUnavailable, in ms.
   * Unset: no limit (operator tools). The gateway sets it so that no request
   * waits on an unreachable database for longer than this.
   */
  queryTimeoutMs?: number;
}

// postgres.js waits (0.5-1) x min(3^n / 100, 20) s before reconnecting, n counting failed connections of the
// whole pool: a few seconds of outage under load push that to 10-20 s, and every request queued meanwhile waits
// it out, then recovery waits it out too. A refused connection costs nothing: retry within half a second.
const MAX_RECONNECT_DELAY_SECONDS = 0.5;
const reconnectDelaySeconds = (failures: number) => Math.min(0.05 * 2 ** failures, MAX_RECONNECT_DELAY_SECONDS);

/** Connection errors become StorageUnavailable (503); errors in a statement stay what they are. */
function translated(err: unknown): unknown {
  return isConnectionFailure(err) ? new StorageUnavailable(`PostgreSQL is unreachable: ${(err as Error).message}`, { cause: err }) : err;
}

/** Rejects with StorageUnavailable after `ms`: the statement is abandoned (its outcome ignored; cancelling it would need the server). */
async function bounded<T>(work: () => Promise<T>, ms: number | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (ms === undefined) return await work();
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StorageUnavailable(`PostgreSQL did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (err) {
    throw translated(err);
  } finally {
    clearTimeout(timer);
  }
}

type Sql = postgres.Sql | postgres.TransactionSql;

// How long after a re-subscription further ones count as the same reconnection.
const RESUBSCRIBE_SETTLE_MS = 200;

/**
 * PostgreSQL through postgres.js: measured here at 1.2x the `pg` driver on a
 * signed INSERT and 1.4x on a SELECT by key. Statements are prepared once per
 * connection and pipelined when several are in flight.
 */
export async function openPostgresDb(options: PostgresOptions): Promise<Db> {
  const sql = postgres(options.url, {
    max: options.poolMax,
    prepare: true,
    onnotice: () => {},
    connection: options.searchPath ? { search_path: options.searchPath } : {},
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    backoff: reconnectDelaySeconds,
  });
  const limit = options.queryTimeoutMs;
  // Statements in a transaction are not limited one by one: the transaction's start is (below), and a
  // transaction that has begun holds a live connection, which fails its statements when it breaks.
  const wrap = (s: Sql, ms: number | undefined): Queryable => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return (await bounded(() => s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }), ms)) as unknown as Row[];
    },
  });
  const base = wrap(sql, limit);
  return {
    kind: 'postgres',
    query: base.query,
    transaction: (fn) =>
      new Promise((resolve, reject) => {
        // Only the wait for BEGIN (a free connection, a reachable server) is limited: a migration may rightly
        // take minutes once it runs. A transaction that begins after its caller was refused does nothing, so a
        // 503 never hides a change made later.
        let begun = false;
        let abandoned = false;
        // postgres.js 3.4.9 sends ROLLBACK (or COMMIT, or the next statement) on the transaction's own connection
        // even after that connection's socket is gone, and the write then throws from a setImmediate, which
        // kills the process (porsager/postgres#1154, #1208; unfixed in 3.4.9). So once the connection is lost,
        // postgres.js is never asked for anything more: the caller is answered here, the callback handed to
        // begin is left pending (PostgreSQL rolls the transaction back itself when the session ends), and
        // statements the caller still sends fail at once, before reaching the dead connection.
        let lost = false;
        const never = new Promise<never>(() => {});
        const giveUp = (err: unknown) => {
          lost = true;
          reject(translated(err));
          return never;
        };
        const timer =
          limit === undefined
            ? undefined
            : setTimeout(() => {
                if (begun) return;
                abandoned = true;
                reject(new StorageUnavailable(`PostgreSQL did not begin a transaction within ${limit} ms`));
              }, limit);
        sql
          .begin((tx) => {
            if (abandoned) throw new StorageUnavailable('transaction begun after its caller gave up');
            begun = true;
            clearTimeout(timer);
            const inner = wrap(tx, undefined);
            const guarded: Queryable = {
              query: (text, params) => (lost ? Promise.reject(new StorageUnavailable('the transaction lost its connection')) : inner.query(text, params)),
            };
            return fn(guarded).then(
              (value) => (lost ? never : value),
              (err: unknown) => (lost || err instanceof StorageUnavailable ? giveUp(err) : Promise.reject(err)),
            );
          })
          .then(
            (value) => resolve(value as Awaited<ReturnType<typeof fn>>),
            (err: unknown) => {
              // Rejected by postgres.js when the connection closes mid-transaction (or after a rollback).
              lost = true;
              reject(translated(err));
            },
          )
          .finally(() => clearTimeout(timer));
      }),
    exec: async (script) => {
      await sql.unsafe(script);
    },
    listen: async (channel, onPayload, onResubscribed) => {
      // postgres.js keeps one dedicated connection for LISTEN and re-subscribes after reconnecting; its onlisten runs at every subscription.
      let subscriptions = 0;
      // Every failed reconnect while the database is down queues another LISTEN in postgres.js, and when it is back
      // they all succeed at once (some thirty in 20 ms, seen in reliability/database-outage): one call per burst.
      // Each call drops caches, and dropping the API-key cache aborts look-ups in flight, so a burst failed requests.
      let settling: NodeJS.Timeout | undefined;
      const { unlisten } = await sql.listen(channel, onPayload, () => {
        subscriptions += 1;
        if (subscriptions === 1 || settling) return;
        settling = setTimeout(() => {
          settling = undefined;
          onResubscribed?.();
        }, RESUBSCRIBE_SETTLE_MS);
        settling.unref();
      });
      return async () => {
        clearTimeout(settling);
        await unlisten();
      };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
