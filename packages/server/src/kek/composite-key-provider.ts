import { KekUnavailableError, type KeyProvider } from './key-provider.js';

/**
 * Several providers as one: new wraps go to the first, unwraps go to
 * whichever holds the KEK a wrapped key names. This is how a deployment
 * moves its KEK from a key file into an HSM: the token's key is current,
 * the old master key stays available until `tijori keys rotate-kek` has
 * rewrapped every data key, and is then removed.
 */
export class CompositeKeyProvider implements KeyProvider {
  readonly #current: KeyProvider;
  readonly #all: readonly KeyProvider[];

  constructor(current: KeyProvider, older: readonly KeyProvider[]) {
    this.#current = current;
    this.#all = [current, ...older];
  }

  get kekId(): string {
    return this.#current.kekId;
  }

  get availableKekIds(): readonly string[] {
    return [...new Set(this.#all.flatMap((p) => p.availableKekIds))];
  }

  wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    return this.#current.wrap(dataKey, context);
  }

  async unwrap(wrapped: Buffer, kekId: string, context: string): Promise<Buffer> {
    const holder = this.#all.find((p) => p.availableKekIds.includes(kekId));
    if (!holder) throw new KekUnavailableError(`KEK ${kekId} is not configured here (available: ${this.availableKekIds.join(', ')})`);
    return holder.unwrap(wrapped, kekId, context);
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((p) => p.close()));
  }
}
