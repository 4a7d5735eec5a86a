import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db.js';

/** Embedded PostgreSQL (PGlite, WebAssembly, in-process): the laptop default. `dataDir` undefined means in memory. */
export async function openPgliteDb(dataDir: string | undefined): Promise<Db> {
  const pg = await PGlite.create(dataDir === undefined ? undefined : { dataDir });
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await q.query<Row>(text, params as unknown[]);
      return result.rows;
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    exec: async (script) => {
      await pg.exec(script);
    },
    listen: (channel, onPayload) => pg.listen(channel, onPayload),
    close: () => pg.close(),
  };
}
