import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { Keyring } from './core/keyring.js';
import { upgradeLegacyCiphertexts } from './core/legacy-ciphertexts.js';
import { loadMasterKey, type MasterKeyResult } from './core/master-key.js';
import type { KeyProvider } from './kek/key-provider.js';
import { keyProviderFromConfig } from './kek/provider-from-config.js';
import type { Clock } from './lib/clock.js';
import type { Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { openPgliteDb } from './store/pglite-db.js';
import { openPostgresDb } from './store/postgres-db.js';
import { DATA_KEY_CHANGES_CHANNEL } from './store/queries/data-keys.js';

export interface OpenedStorage {
  db: Db;
  keyring: Keyring;
  keyProvider: KeyProvider;
  /** Absolute path of TIJORI_DATA_DIR (created, owner-only). */
  dataDir: string;
  /** True when no DATABASE_URL is set: PGlite files in the data directory. */
  embedded: boolean;
  /** Stops following data-key changes, closes the database (unless it was handed in) and the KEK provider. */
  close(): Promise<void>;
}

/**
 * What every Tijori process opens first, `serve` and `worker` alike: the
 * database (migrated), the KEK, and the keyring that unwraps data keys,
 * following other processes' key changes. On failure nothing stays open.
 */
export async function openStorage(config: Config, deps: { logger: Logger; clock: Clock; db?: Db }): Promise<OpenedStorage> {
  const { logger, clock } = deps;
  const dataDir = resolve(config.dataDir);
  const embedded = config.databaseUrl === undefined;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  // The local master key: the KEK itself (kekProvider local), or kept for unwrapping while data keys move into an HSM.
  const hasLocalKey = config.masterKey !== undefined || config.masterKeyFile !== undefined || embedded;
  const masterKey: MasterKeyResult | undefined = hasLocalKey
    ? await loadMasterKey({ masterKey: config.masterKey, masterKeyFile: config.masterKeyFile, generateInDataDir: embedded ? dataDir : undefined })
    : undefined;
  if (config.kekProvider === 'local' && (masterKey?.origin === 'generated' || masterKey?.origin === 'data-dir')) {
    logger.warn(
      { file: join(dataDir, 'master.key') },
      'using a master key kept beside the embedded database: fine on a laptop; production must supply TIJORI_MASTER_KEY or TIJORI_MASTER_KEY_FILE from a separate secret store, or use TIJORI_KEK_PROVIDER=pkcs11',
    );
  }
  const keyProvider = await keyProviderFromConfig(config, masterKey?.key.reveal());

  let db: Db | undefined;
  try {
    db =
      deps.db ??
      (embedded
        ? await openPgliteDb(join(dataDir, 'pgdata'))
        : await openPostgresDb({
            url: config.databaseUrl as string,
            poolMax: config.databasePoolMax,
            // No request waits on an unreachable database past these: it is refused with 503 storage_unavailable.
            connectTimeoutSeconds: config.databaseConnectTimeoutSeconds,
            queryTimeoutMs: config.databaseQueryTimeoutMs,
          }));
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
    const keyring = await Keyring.open(db, keyProvider, clock, { cacheTtlMs: config.dataKeyCacheTtlMs, ...(masterKey ? { legacyMasterKey: masterKey.key.reveal() } : {}) });
    // Destroyed (erased merchant) or rewrapped data keys leave every process's memory when this commits.
    const unlistenDataKeys = await db.listen(DATA_KEY_CHANGES_CHANNEL, (id) => keyring.forget(id), () => keyring.forgetAll());
    const upgraded = await upgradeLegacyCiphertexts(db, keyring);
    if (upgraded > 0) logger.info({ values: upgraded }, 're-sealed values written before envelope encryption with their data keys');
    logger.info({ kek: keyring.kekId }, 'keyring open');
    const opened = db;
    return {
      db: opened,
      keyring,
      keyProvider,
      dataDir,
      embedded,
      async close() {
        await unlistenDataKeys().catch(() => {});
        if (!deps.db) await opened.close().catch(() => {});
        await keyProvider.close().catch(() => {});
      },
    };
  } catch (err) {
    if (db && !deps.db) await db.close().catch(() => {});
    await keyProvider.close().catch(() => {});
    throw err;
  }
}
