/**
 * The narrow seam between Tijori and its database. Two adapters implement it
 * (PGlite embedded, PostgreSQL over the network); every query in
 * store/queries runs unchanged on both. SQL lives only under store/.
 */
export interface Queryable {
  /** One parameterised statement ($1, $2, ...), one round trip. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: all of it commits, or none. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Calls `onPayload` for each NOTIFY on `channel` (from any process sharing
   * the database); resolves to an unsubscribe function. `onResubscribed` is
   * called when the subscription is made again after its connection was lost:
   * notifications sent meanwhile were missed, so caches they keep fresh
   * should be dropped.
   */
  listen(channel: string, onPayload: (payload: string) => void, onResubscribed?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
