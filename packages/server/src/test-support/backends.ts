import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Db } from '../store/db.js';
import { openPgliteDb } from '../store/pglite-db.js';
import { openPostgresDb } from '../store/postgres-db.js';

export interface OpenedBackend {
  db: Db;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<OpenedBackend>;
}

/** The PostgreSQL the suite runs against; .ci/run sets it, and a missing server fails the suite (never skips it). */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pglite: Backend = {
  name: 'pglite',
  async open() {
    const db = await openPgliteDb(undefined);
    return { db, cleanup: () => db.close().catch(() => {}) };
  },
};

/** Each test gets a schema of its own, so files run in parallel without seeing each other's rows. */
const postgresBackend: Backend = {
  name: 'postgres',
  async open() {
    const schema = `tijori_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
    try {
      await admin.unsafe(`CREATE SCHEMA ${schema}`);
    } catch (err) {
      await admin.end();
      throw new Error(
        `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}). Start it or set DATABASE_URL; the suite tests both back-ends.`,
      );
    }
    const db = await openPostgresDb({ url: TEST_DATABASE_URL, poolMax: 4, searchPath: schema });
    return {
      db,
      async cleanup() {
        try {
          await db.close().catch(() => {});
          await admin.unsafe(`DROP SCHEMA ${schema} CASCADE`);
        } finally {
          await admin.end();
        }
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [pglite, postgresBackend];
