import { Coalescer } from './coalescer.js';
import type { Db } from './db.js';
import { findOrdersByRef, insertOrdersIfAbsent, type OrderKey, type OrderRow } from './queries/orders.js';

/** What the order domain needs from storage, one order at a time. */
export interface OrderStore {
  /** Resolves once the row is committed: true if inserted, false if the order_id already existed. */
  insertIfAbsent(order: OrderRow): Promise<boolean>;
  findByRef(key: OrderKey): Promise<OrderRow | undefined>;
}

export interface OrderStoreOptions {
  /** Rows per multi-row statement; 14 parameters a row keeps 100 rows far below PostgreSQL's 65535. */
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
  const inserts = new Coalescer<OrderRow, boolean>((rows) => insertOrdersIfAbsent(db, rows), options);
  const lookups = new Coalescer<OrderKey, OrderRow | undefined>((keys) => findOrdersByRef(db, keys), options);
  return {
    insertIfAbsent: (order) => inserts.submit(order),
    findByRef: (key) => lookups.submit(key),
  };
}
