import { type ReplayStore, ReplayStoreUnavailable } from './replay-store.js';

export interface MemoryReplayStoreOptions {
  /** The longest any entry must live, in seconds: twice the timestamp tolerance. */
  maxLifetimeSeconds: number;
  /** Above this many remembered signatures, refuse rather than forget one early. */
  maxEntries: number;
}

/**
 * Two generations of sets, swapped every `maxLifetimeSeconds`: an entry is
 * kept for at least one full generation, so at least its lifetime, and
 * dropped in O(1) without a timer or a per-entry sweep. Single process only.
 */
export class MemoryReplayStore implements ReplayStore {
  #current = new Set<string>();
  #previous = new Set<string>();
  #generationStartedAt: number | undefined;
  readonly #lifetime: number;
  readonly #maxEntries: number;

  constructor(options: MemoryReplayStoreOptions) {
    this.#lifetime = options.maxLifetimeSeconds;
    this.#maxEntries = options.maxEntries;
  }

  claim(key: string, _expiresAtSeconds: number, nowSeconds: number): boolean {
    this.#rotate(nowSeconds);
    if (this.#current.has(key) || this.#previous.has(key)) return false;
    if (this.#current.size + this.#previous.size >= this.#maxEntries) {
      throw new ReplayStoreUnavailable('replay store is full');
    }
    this.#current.add(key);
    return true;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  #rotate(now: number): void {
    if (this.#generationStartedAt === undefined) {
      this.#generationStartedAt = now;
      return;
    }
    const elapsed = now - this.#generationStartedAt;
    if (elapsed < this.#lifetime) return;
    // Two or more generations idle: everything remembered is older than any lifetime.
    this.#previous = elapsed >= 2 * this.#lifetime ? new Set() : this.#current;
    this.#current = new Set();
    this.#generationStartedAt = now;
  }
}
