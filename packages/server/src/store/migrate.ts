import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK = 0x746a6d; // "tjm"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (name) => ({ version: Number(name.slice(0, 3)), name, sql: await readFile(dir + name, 'utf8') })),
  );
}

/**
 * Applies the numbered .sql files not yet applied, each in its own
 * transaction, under an advisory lock so that several processes starting at
 * once against one PostgreSQL apply each migration exactly once.
 * Returns the names applied.
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Under the lock: CREATE TABLE IF NOT EXISTS is not safe against itself, and two processes
    // starting at once on an empty database would both try (one fails on pg_type's unique index).
    await tx.query(`CREATE TABLE IF NOT EXISTS tijori_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM tijori_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: string[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      // Statements one at a time: extended-protocol queries take a single statement.
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO tijori_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.name);
    }
    return applied;
  });
}

/** Splits a migration on semicolons that end a line; our migrations keep to that (no functions with bodies). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
