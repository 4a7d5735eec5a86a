import type { KeyProvider } from '../kek/key-provider.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import { countKeysByKek, listKeysNotUnder, rewrapDataKey } from '../store/queries/data-keys.js';

// Keys per transaction: each is one unwrap and one wrap (an HSM round trip each with PKCS#11).
const BATCH = 100;

export interface KekStatus {
  current: string;
  available: readonly string[];
  dataKeysByKek: Array<{ kekId: string; count: number }>;
}

export async function kekStatus(db: Db, provider: KeyProvider): Promise<KekStatus> {
  return { current: provider.kekId, available: provider.availableKekIds, dataKeysByKek: await countKeysByKek(db) };
}

/**
 * Rewraps every live data key not yet under the current KEK, online: rows
 * sealed with the data keys are not touched (the data keys themselves do not
 * change), running gateways keep their unwrapped keys, and each batch
 * commits on its own, so the rotation can be interrupted and run again.
 * SKIP LOCKED lets two runs share the work. Once it reports nothing left
 * under the old KEK, that KEK can be removed from the configuration.
 */
export async function rotateKek(db: Db, provider: KeyProvider, clock: Clock): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await listKeysNotUnder(tx, provider.kekId, BATCH);
      for (const row of rows) {
        if (!row.wrappedKey) continue;
        const context = `data-key:${row.id}`;
        const key = await provider.unwrap(Buffer.from(row.wrappedKey), row.kekId, context);
        const wrapped = await provider.wrap(key, context);
        key.fill(0);
        await rewrapDataKey(tx, row.id, wrapped, provider.kekId, new Date(clock.nowMs()));
      }
      return rows.length;
    });
    total += done;
    if (done < BATCH) return total;
  }
}
