import { createHash } from 'node:crypto';

/**
 * Remembers which signatures have been accepted so that a captured request
 * cannot be executed twice. `claim` is atomic check-and-set: exactly one of
 * several concurrent claims of the same key returns true. An entry need only
 * live until `expiresAtSeconds` (the signed timestamp plus the tolerance):
 * after that the timestamp check refuses the request anyway.
 *
 * In-process by default; a Redis implementation (SET NX EXAT) plugs in here
 * when several processes share the traffic.
 */
export interface ReplayStore {
  claim(key: string, expiresAtSeconds: number, nowSeconds: number): boolean | Promise<boolean>;
  /** False while claims would fail (a shared store that is unreachable), so /readyz can say so; absent: always available. */
  isAvailable?(): boolean;
}

/** Thrown when the store cannot vouch for a request (full, unreachable): the caller refuses with 503, never accepts. */
export class ReplayStoreUnavailable extends Error {
  override name = 'ReplayStoreUnavailable';
}

/**
 * What a shared store keeps for a claim: a SHA-256 of the key, never the key
 * itself (it holds the request's signature). Both shared stores use it, so a
 * claim means the same thing in Redis and in PostgreSQL.
 */
export function replayDigest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
