import { createHash } from 'node:crypto';
import { canonicalJson } from '@tijori/signing';
import type { AuditLogRow, ChainHead } from '../store/queries/audit-log.js';

export type { ChainHead };

/** The prev_hash of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * One audit record as the admin API lists and exports it, and as its hash
 * covers it: the export is verifiable offline because it carries exactly
 * the fields that were hashed, in their hashed form (`at` as ISO 8601 with
 * milliseconds, `latency_ms` as a number).
 */
export interface AuditRecord {
  seq: number;
  at: string;
  request_id: string;
  merchant_id: string | null;
  key_id: string | null;
  client_ip: string;
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  latency_ms: number;
  prev_hash: string;
  hash: string;
}

/** The fields the hash covers: everything but the two hashes. */
export type AuditFields = Omit<AuditRecord, 'prev_hash' | 'hash'>;

/**
 * hex(SHA-256(prev_hash + "\n" + canonical JSON of the fields)). The seq is
 * among the fields, so a record moved to another place no longer matches;
 * prev_hash links it to the one before, so removing or reordering records
 * breaks the link after them.
 */
export function chainHash(prevHash: string, fields: AuditFields): string {
  const covered: AuditFields = {
    seq: fields.seq,
    at: fields.at,
    request_id: fields.request_id,
    merchant_id: fields.merchant_id,
    key_id: fields.key_id,
    client_ip: fields.client_ip,
    method: fields.method,
    path: fields.path,
    status: fields.status,
    error_code: fields.error_code,
    latency_ms: fields.latency_ms,
  };
  return createHash('sha256').update(`${prevHash}\n${canonicalJson(covered)}`).digest('hex');
}

export function auditRecordOf(row: AuditLogRow): AuditRecord {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    request_id: row.requestId,
    merchant_id: row.merchantId,
    key_id: row.keyId,
    client_ip: row.clientIp,
    method: row.method,
    path: row.path,
    status: row.status,
    error_code: row.errorCode,
    latency_ms: row.latencyMs,
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

export type ChainProblemKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'anchor';

export interface ChainProblem {
  /** The first record found wrong (for a truncated tail: the head's seq, whose record is missing). */
  seq: number;
  kind: ChainProblemKind;
  message: string;
}

export type ChainVerdict = { ok: true; count: number; first: number | null; last: ChainHead } | ({ ok: false } & ChainProblem);

export interface VerifyOptions {
  /**
   * The head the database holds (audit_chain_head): the last record must be
   * it. Without it (an export file), records removed from the end cannot be
   * told from a shorter export; an anchor can.
   */
  head?: ChainHead;
  /** A seq and hash noted earlier (e.g. from a previous verify): the chain must still pass through it. */
  anchor?: ChainHead;
  /**
   * Accept a chain that starts after seq 1 (an export made with after_seq),
   * trusting its first prev_hash. The database's chain always starts at 1.
   */
  allowPartial?: boolean;
}

/**
 * Checks a chain one record at a time, in the order given (seq order), so a
 * million records never need to be in memory at once. Stops at the first
 * problem and names that record.
 */
export class ChainVerifier {
  #count = 0;
  #first: number | null = null;
  #last: ChainHead = { seq: 0, hash: GENESIS_HASH };
  #problem: ChainProblem | undefined;
  #anchorSeen = false;

  constructor(private readonly options: VerifyOptions = {}) {}

  /** Checks the next record; returns the problem (and keeps returning it) once one is found. */
  push(record: AuditRecord): ChainProblem | undefined {
    if (this.#problem) return this.#problem;
    const previous = this.#last;
    const partialStart = this.#count === 0 && this.options.allowPartial === true;
    const expected = partialStart ? record.seq : previous.seq + 1;
    if (record.seq > expected) {
      return this.#fail(expected, 'deleted', expected === 1 ? `seq gap before ${record.seq}: records 1 to ${record.seq - 1} are missing (deleted)` : `seq gap after ${previous.seq} (deleted)`);
    }
    if (record.seq < expected) {
      return this.#fail(record.seq, 'reordered', `record seq ${record.seq} follows record ${previous.seq} (reordered or duplicated)`);
    }
    if (chainHash(record.prev_hash, record) !== record.hash) {
      return this.#fail(record.seq, 'edited', `record seq ${record.seq}: hash mismatch (edited)`);
    }
    if (!partialStart && record.prev_hash !== previous.hash) {
      const before = previous.seq === 0 ? 'the genesis hash' : `record ${previous.seq}`;
      return this.#fail(record.seq, 'reordered', `record seq ${record.seq}: prev_hash does not match ${before} (reordered or deleted)`);
    }
    const anchor = this.options.anchor;
    if (anchor && anchor.seq === record.seq) {
      if (anchor.hash !== record.hash) return this.#fail(record.seq, 'anchor', `record seq ${record.seq}: hash differs from the anchor ${anchor.hash} (the chain was rewritten from here or earlier)`);
      this.#anchorSeen = true;
    }
    this.#count++;
    this.#first ??= record.seq;
    this.#last = { seq: record.seq, hash: record.hash };
    return undefined;
  }

  /** After the last record: the verdict, comparing the end with the head and anchor when given. */
  finish(): ChainVerdict {
    if (this.#problem) return { ok: false, ...this.#problem };
    const last = this.#last;
    const head = this.options.head;
    if (head) {
      if (head.seq > last.seq) {
        const problem = last.seq === 0 ? `no records, but the head is at seq ${head.seq}` : `records after seq ${last.seq} are missing: the head is at seq ${head.seq}`;
        return { ok: false, ...this.#fail(last.seq + 1, 'truncated', `${problem} (deleted at the end)`) };
      }
      if (head.seq < last.seq) {
        return { ok: false, ...this.#fail(head.seq + 1, 'edited', `record seq ${head.seq + 1} is beyond the head at seq ${head.seq} (written outside the gateway)`) };
      }
      if (head.hash !== last.hash) {
        return { ok: false, ...this.#fail(last.seq, 'edited', `record seq ${last.seq}: hash does not match the head (the end of the chain was edited)`) };
      }
    }
    const anchor = this.options.anchor;
    if (anchor && !this.#anchorSeen) {
      return { ok: false, ...this.#fail(anchor.seq, 'anchor', `the anchor record seq ${anchor.seq} is not in the chain (deleted, or the chain ends before it)`) };
    }
    return { ok: true, count: this.#count, first: this.#first, last };
  }

  #fail(seq: number, kind: ChainProblemKind, message: string): ChainProblem {
    this.#problem = { seq, kind, message };
    return this.#problem;
  }
}

/** The whole check over records already in hand (tests, small exports). */
export function verifyChain(records: Iterable<AuditRecord>, options: VerifyOptions = {}): ChainVerdict {
  const verifier = new ChainVerifier(options);
  for (const record of records) {
    if (verifier.push(record)) break;
  }
  return verifier.finish();
}
