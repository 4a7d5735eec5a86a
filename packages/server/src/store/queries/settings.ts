import type { Queryable } from '../db.js';

export async function getSetting(db: Queryable, name: string): Promise<Uint8Array | undefined> {
  const rows = await db.query<{ value: Uint8Array }>('SELECT value FROM settings WHERE name = $1', [name]);
  return rows[0]?.value;
}

/** Inserts once; a concurrent second writer keeps the first value. */
export async function putSettingOnce(db: Queryable, name: string, value: Uint8Array): Promise<void> {
  await db.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
}
