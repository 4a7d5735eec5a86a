import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Secret } from '../lib/secret.js';

/**
 * The operator's bearer token for /admin/v1. Compared through SHA-256
 * digests with timingSafeEqual: equal lengths whatever was sent, and no
 * early exit that would time how much of a guess was right.
 */
export class AdminToken {
  readonly #digest: Buffer;

  constructor(token: Secret<string>) {
    this.#digest = createHash('sha256').update(token.reveal()).digest();
  }

  matches(presented: string | undefined): boolean {
    if (!presented) return false;
    return timingSafeEqual(createHash('sha256').update(presented).digest(), this.#digest);
  }
}

export type AdminTokenSource = { token: Secret<string>; origin: 'config' | 'file' | 'generated' } | undefined;

/**
 * TIJORI_ADMIN_TOKEN if set; on the embedded default, `<data dir>/admin-token`
 * (mode 0600, generated on first start); otherwise none, and the admin API is off.
 */
export async function loadAdminToken(configured: Secret<string> | undefined, generateInDataDir: string | undefined): Promise<AdminTokenSource> {
  if (configured) return { token: configured, origin: 'config' };
  if (!generateInDataDir) return undefined;
  const path = join(generateInDataDir, 'admin-token');
  try {
    return { token: new Secret((await readFile(path, 'utf8')).trim()), origin: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `tja_${randomBytes(32).toString('base64url')}`;
  await writeFile(path, token + '\n', { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return { token: new Secret((await readFile(path, 'utf8')).trim()), origin: 'generated' };
}
