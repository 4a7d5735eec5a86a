import { ApiError } from '../../errors/api-error.js';
import type { Queryable } from '../../store/db.js';
import { findApiKey } from '../../store/queries/api-keys.js';

/** A `key_id` query parameter: the record id, or the API key operators know a key by. */
export const KEY_ID_FILTER = { type: 'string', pattern: '^(key_|pk_(test|live)_)[A-Za-z0-9]{8,64}$', description: 'key_… or the API key pk_test_… / pk_live_…' } as const;

/**
 * The key_… id records and alerts name (it does not change on a roll) for a
 * filter given as either form; an unknown API key is 404 key_not_found.
 */
export async function keyIdOf(db: Queryable, ref: string): Promise<string> {
  if (ref.startsWith('key_')) return ref;
  const key = await findApiKey(db, ref);
  if (!key) throw new ApiError('key_not_found');
  return key.id;
}
