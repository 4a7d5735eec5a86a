import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Secret } from '../lib/secret.js';

export interface MasterKeySource {
  masterKey?: Secret<string> | undefined;
  masterKeyFile?: string | undefined;
  /** Only the embedded default may mint its own key; production supplies one. */
  generateInDataDir?: string | undefined;
}

export type MasterKeyResult = { key: Secret<Buffer>; origin: 'config' | 'file' | 'generated' | 'data-dir' };

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

function decode(base64: string, where: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new MasterKeyError(`The master key in ${where} must be base64 of exactly 32 bytes (try: openssl rand -base64 32).`);
  return key;
}

/**
 * Finds the key that encrypts secrets at rest. It is never stored in the
 * database, so a copy of the database alone opens nothing.
 */
export async function loadMasterKey(source: MasterKeySource): Promise<MasterKeyResult> {
  if (source.masterKey) return { key: new Secret(decode(source.masterKey.reveal(), 'TIJORI_MASTER_KEY')), origin: 'config' };
  if (source.masterKeyFile) {
    const text = await readFile(source.masterKeyFile, 'utf8').catch((err: Error) => {
      throw new MasterKeyError(`Cannot read the master key file ${source.masterKeyFile}: ${err.message}`);
    });
    return { key: new Secret(decode(text, source.masterKeyFile)), origin: 'file' };
  }
  if (!source.generateInDataDir) throw new MasterKeyError('No master key configured: set TIJORI_MASTER_KEY or TIJORI_MASTER_KEY_FILE.');
  const path = join(source.generateInDataDir, 'master.key');
  try {
    return { key: new Secret(decode(await readFile(path, 'utf8'), path)), origin: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(source.generateInDataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process wrote a moment ago.
  await writeFile(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return { key: new Secret(decode(await readFile(path, 'utf8'), path)), origin: 'generated' };
}
