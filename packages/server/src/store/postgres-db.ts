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
            return fn(wrap(tx, undefined));
          })
          .then(
            (value) => resolve(value as Awaited<ReturnType<typeof fn>>),
            (err: unknown) => reject(translated(err)),
          )
          .finally(() => clearTimeout(timer));
      }),
    exec: async (script) => {
      await sql.unsafe(script);
    },
    listen: async (channel, onPayload, onResubscribed) => {
      // postgres.js keeps one dedicated connection for LISTEN and re-subscribes after reconnecting; its onlisten runs at every subscription.
      let subscriptions = 0;
      const { unlisten } = await sql.listen(channel, onPayload, () => {
        subscriptions += 1;
        if (subscriptions > 1) onResubscribed?.();
      });
      return unlisten;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
