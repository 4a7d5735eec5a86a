export interface CoalescerOptions {
  /** Most inputs one batch carries (bounded by the statement's parameter count). */
  maxBatch: number;
  /** Batches running at once; further inputs wait and join the next batch. */
  maxConcurrent: number;
  /**
   * Wait for the rest of this event-loop turn before starting a batch, so
   * every request already read from the sockets joins it. Needed when the
   * database runs on this thread (PGlite): otherwise the first caller starts
   * a batch of one, which blocks the thread until it is done, and batches
   * never form.
   */
  gatherTurn?: boolean;
}

interface Waiter<In, Out> {
  input: In;
  resolve(out: Out): void;
  reject(err: unknown): void;
}

/**
 * Turns many concurrent single-row calls into few multi-row statements.
 * A call runs at once when fewer than `maxConcurrent` batches are in flight,
 * so an idle server adds no latency; under load, calls that arrive while
 * batches are running wait and go together in the next one. On PostgreSQL
 * that means one statement, one commit and one WAL flush for many orders,
 * which is where the database's time goes (see README, Performance).
 *
 * Every caller's promise settles only after its batch has finished: a
 * resolved insert is committed. If a batch fails, every caller in it is
 * rejected, and nothing of that batch was written (one statement is atomic).
 *
 * Not DataLoader: its batch window is one event-loop tick, whereas this one
 * is "while the database is busy", which is exactly when batching pays.
 */
export class Coalescer<In, Out> {
  readonly #run: (inputs: In[]) => Promise<Out[]>;
  readonly #options: CoalescerOptions;
  #queue: Waiter<In, Out>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(run: (inputs: In[]) => Promise<Out[]>, options: CoalescerOptions) {
    if (options.maxBatch < 1 || options.maxConcurrent < 1) throw new RangeError('maxBatch and maxConcurrent must be at least 1');
    this.#run = run;
    this.#options = options;
  }

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#options.gatherTurn) this.#pump();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxConcurrent && this.#queue.length > 0) {
      const batch = this.#queue.length <= this.#options.maxBatch ? this.#queue : this.#queue.slice(0, this.#options.maxBatch);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#options.maxBatch);
      this.#inFlight++;
      this.#dispatch(batch);
    }
  }

  async #dispatch(batch: Waiter<In, Out>[]): Promise<void> {
    try {
      const outputs = await this.#run(batch.map((w) => w.input));
      if (outputs.length !== batch.length) throw new Error(`batch returned ${outputs.length} results for ${batch.length} inputs`);
      batch.forEach((w, i) => w.resolve(outputs[i] as Out));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }
}
