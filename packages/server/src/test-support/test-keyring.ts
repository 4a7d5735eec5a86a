import { randomBytes } from 'node:crypto';
import { Keyring } from '../core/keyring.js';
import { createKeyProvider } from '../kek/create-key-provider.js';
import type { Clock } from '../lib/clock.js';
import type { Queryable } from '../store/db.js';

/** A keyring on a migrated database under a fresh local KEK, for tests that need one without a whole gateway. */
export async function openTestKeyring(db: Queryable, clock: Clock, kek: Buffer = randomBytes(32)): Promise<Keyring> {
  return Keyring.open(db, await createKeyProvider({ kind: 'local', keks: [kek] }), clock);
}
