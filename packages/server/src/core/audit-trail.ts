import type { Db } from '../store/db.js';
import { appendAuditRows, type AuditLogRow, lockChainHead } from '../store/queries/audit-log.js';
import { type AuditFields, chainHash } from './audit-chain.js';

/** What the request path hands over: a record without its place in the chain. */
export type AuditEntry = Omit<AuditFields, 'seq'>;

export interface AuditTrailOptions {
  /** A batch this large is written at once, without waiting for the interval; also the most rows one INSERT carries. */
  maxBatch?: number;
  /** Records held while the database cannot take them; beyond this, new records are dropped and counted. */
  maxBuffered?: number;
  /** A flush failed; the records stay buffered and the next flush retries them. */
  onError(err: unknown): void;
  /** Records were dropped because the buffer was full (called at most once per flush, with the count since the last call). */
  onDropped(count: number): void;
}

// At full load a batch fills in a tenth of a second or so: one transaction per 500 calls, and a lock held for milliseconds.
const DEFAULT_MAX_BATCH = 500;
// About 30 MB of records (some 300 bytes each): a database restart at full load (15-30 s at the bench's rates), then drop rather than grow without bound.
const DEFAULT_MAX_BUFFERED = 100_000;

/**
 * The audit log's writer. The request path only pushes a record into memory
 * (`record` never waits and never throws); records are written in batches
 * every interval, or as soon as a batch is full. Each batch is appended in
 * one transaction that locks the chain's head row, numbers the records on
 * from the head, hashes each onto the one before, inserts them in one
 * statement and moves the head: processes sharing a database append one
 * batch at a time, into one gap-free chain.
 *
 * What a crash loses: records not yet flushed (at most one interval's, or
 * one batch). They were never numbered, so the chain stays whole. If the
 * database is down, records wait in memory up to `maxBuffered`, then new
 * ones are dropped and counted (`droppedRecords`, and a log line).
 */
export class AuditTrail {
  #pending: AuditEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #droppedSinceReport = 0;
  #droppedTotal = 0;
  #written = 0;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;

  constructor(
    private readonly db: Db,
    private readonly options: AuditTrailOptions,
  ) {
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    if (!(this.#maxBatch >= 1 && this.#maxBuffered >= this.#maxBatch)) {
      throw new Error('AuditTrail: maxBatch must be at least 1 and maxBuffered at least maxBatch.');
    }
  }

  /** Records dropped since start because the buffer was full. */
  get droppedRecords(): number {
    return this.#droppedTotal;
  }

  /** Records written since start. */
  get writtenRecords(): number {
    return this.#written;
  }

  /** Records waiting to be written. */
  get pendingRecords(): number {
    return this.#pending.length;
  }

  record(entry: AuditEntry): void {
    if (this.#pending.length >= this.#maxBuffered) {
      this.#droppedSinceReport++;
      this.#droppedTotal++;
      return;
    }
    this.#pending.push(entry);
    if (this.#pending.length >= this.#maxBatch && !this.#flushQueued) void this.flush();
  }

  /**
   * Writes everything buffered, a batch per transaction; concurrent calls run
   * one after another. Never rejects: a failure is reported to onError and
   * the records wait for the next flush.
   */
  flush(): Promise<void> {
    this.#flushQueued = true;
    this.#flushing = this.#flushing.then(async () => {
      this.#flushQueued = false;
      if (this.#droppedSinceReport > 0) {
        this.options.onDropped(this.#droppedSinceReport);
        this.#droppedSinceReport = 0;
      }
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          await this.#append(batch);
          this.#written += batch.length;
        } catch (err) {
          // Back at the front, in order; numbered afresh when the next flush succeeds.
          this.#pending.unshift(...batch);
          this.options.onError(err);
          return;
        }
      }
    });
    return this.#flushing;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is left; resolves to the number of records that could not be written. */
  async stop(): Promise<number> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    return this.#pending.length;
  }

  async #append(batch: readonly AuditEntry[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const head = await lockChainHead(tx);
      let prev = head.hash;
      let seq = head.seq;
      const rows: AuditLogRow[] = batch.map((entry) => {
        seq++;
        const hash = chainHash(prev, { ...entry, seq });
        const row: AuditLogRow = {
          seq,
          at: new Date(entry.at),
          requestId: entry.request_id,
          merchantId: entry.merchant_id,
          keyId: entry.key_id,
          clientIp: entry.client_ip,
          method: entry.method,
          path: entry.path,
          status: entry.status,
          errorCode: entry.error_code,
          latencyMs: entry.latency_ms,
          prevHash: prev,
          hash,
        };
        prev = hash;
        return row;
      });
      await appendAuditRows(tx, rows);
    });
  }
}
