/** Wraps and unwraps data keys under a key-encryption key that never enters the database. */
export interface KeyProvider {
  /** Stable, non-secret name of the KEK in use for new wraps, stored beside each wrapped key, e.g. "local:3f2a9c1e" or "pkcs11:tijori-kek-2026". */
  readonly kekId: string;
  /** Wraps a 32-byte data key under the current KEK. `context` (e.g. "merchant:mer_…") is bound as associated data where the mechanism allows. */
  wrap(dataKey: Buffer, context: string): Promise<Buffer>;
  /** Unwraps with the KEK named by `kekId` (current or an older one still configured); throws KekUnavailableError if that KEK is not available, and a plain Error if the wrapped bytes fail authentication. */
  unwrap(wrapped: Buffer, kekId: string, context: string): Promise<Buffer>;
  /** KEK ids this provider can unwrap with (current first). */
  readonly availableKekIds: readonly string[];
  close(): Promise<void>;
}

/**
 * The KEK a wrapped key names is not configured here, or the key store holding
 * it cannot be reached. Not a sign of tampering: the wrapped bytes were never
 * tried, so callers should report a configuration or availability problem.
 */
export class KekUnavailableError extends Error {
  override name = 'KekUnavailableError';
}
