import { Coalescer } from './coalescer.js';
import type { Db } from './db.js';
import { findOrdersByRef, insertOrdersIfAbsent, type OrderKey, type OrderRow, type StoredOrder } from './queries/orders.js';

/** What the order domain needs from storage, one order at a time. */
export interface OrderStore {
  /** Resolves once the row is committed: true if inserted, false if the order_id already existed. */
  insertIfAbsent(order: OrderRow): Promise<boolean>;
  findByRef(key: OrderKey): Promise<StoredOrder | undefined>;
}

export interface OrderStoreOptions {
  /** Rows per multi-row statement; 15 parameters a row keeps 100 rows far below PostgreSQL's 65535. */
  maxBatch: number;
  /** Statements of each kind in flight at once. */
  maxConcurrent: number;
}

/** How main.ts batches on each back-end. */
export function orderStoreOptionsFor(db: Db, concurrentBatches: number): OrderStoreOptions & { gatherTurn: boolean } {
  // Gathering over the event-loop turn roughly doubled create throughput on
  // PostgreSQL and quintupled it on PGlite (README, Performance). PGlite runs
  // on this thread, one statement at a time: one batch in flight is all it can use.
  return { maxBatch: 100, maxConcurrent: db.kind === 'pglite' ? 1 : concurrentBatches, gatherTurn: true };
}

/**
 * Single-order calls, executed as multi-row statements when they arrive
 * together (see Coalescer): one INSERT and one commit for a burst of creates.
 */
export function createOrderStore(db: Db, options: OrderStoreOptions & { gatherTurn?: boolean }): OrderStore {
  const inserts = new Coalescer<OrderRow, boolean | Error>((rows) => insertIsolated(db, rows), options);
  const lookups = new Coalescer<OrderKey, StoredOrder | undefined>((keys) => findOrdersByRef(db, keys), options);
  return {
    async insertIfAbsent(order) {
      const result = await inserts.submit(order);
      if (result instanceof Error) throw result;
      return result;
    },
    findByRef: (key) => lookups.submit(key),
  };
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity violation): the rows were at fault, not the connection. */
function isDataError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^2[23]/.test(code);
}

/**
 * One merchant's bad row must not fail other merchants' orders that happen to
 * share its batch: when a multi-row insert is refused for its data (nothing
 * of it was written, a statement is atomic), each row is tried alone and only
 * the faulty one fails. A connection error fails the batch as a whole.
 */
async function insertIsolated(db: Db, rows: OrderRow[]): Promise<Array<boolean | Error>> {
  try {
    return await insertOrdersIfAbsent(db, rows);
  } catch (err) {
    if (rows.length === 1 || !isDataError(err)) throw err;
    return Promise.all(rows.map((row) => insertOrdersIfAbsent(db, [row]).then((r) => r[0] ?? false, (e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
  }
}
