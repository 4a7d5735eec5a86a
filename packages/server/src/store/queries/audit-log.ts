import type { Queryable } from '../db.js';

/** One audit record as stored: what was recorded, its place in the chain, and its hash. */
export interface AuditLogRow {
  seq: number;
  at: Date;
  requestId: string;
  merchantId: string | null;
  keyId: string | null;
  clientIp: string;
  method: string;
  path: string;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface AuditFilter {
  merchantId?: string;
  keyId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Status range [min, max). */
  statusMin?: number;
  statusMax?: number;
  /** Records after this seq only (paging). */
  afterSeq?: number;
  /** Records up to this seq only (an export stops at the head it started from). */
  upToSeq?: number;
}

const COLUMNS = 'seq, at, request_id, merchant_id, key_id, client_ip, method, path, status, error_code, latency_ms, prev_hash, hash';
const COLUMN_COUNT = 13;

function toRow(r: Record<string, unknown>): AuditLogRow {
  return {
    seq: Number(r.seq),
    at: r.at as Date,
    requestId: r.request_id as string,
    merchantId: (r.merchant_id as string | null) ?? null,
    keyId: (r.key_id as string | null) ?? null,
    clientIp: r.client_ip as string,
    method: r.method as string,
    path: r.path as string,
    status: Number(r.status),
    errorCode: (r.error_code as string | null) ?? null,
    latencyMs: Number(r.latency_ms),
    prevHash: r.prev_hash as string,
    hash: r.hash as string,
  };
}

/**
 * Locks the chain's head row until the caller's transaction ends: the one
 * point every flush, from every process, passes through in turn.
 */
export async function lockChainHead(tx: Queryable): Promise<ChainHead> {
  const rows = await tx.query<{ seq: unknown; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE');
  const row = rows[0];
  if (!row) throw new Error('audit_chain_head has no row: migration 007 did not run');
  return { seq: Number(row.seq), hash: row.hash };
}

export async function readChainHead(db: Queryable): Promise<ChainHead> {
  const rows = await db.query<{ seq: unknown; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id = 1');
  const row = rows[0];
  if (!row) throw new Error('audit_chain_head has no row: migration 007 did not run');
  return { seq: Number(row.seq), hash: row.hash };
}

/**
 * Appends chained records (seq and hashes already assigned) and moves the
 * head to the last, in one statement: call inside the transaction that
 * locked the head. One array per column rather than a VALUES list with a
 * placeholder per cell: the statement text is the same for every batch size
 * (prepared once), and on a 500-row batch it halves the driver's work
 * (measured with postgres.js: about 2.5 ms of CPU instead of 5).
 */
export async function appendAuditRows(tx: Queryable, rows: readonly AuditLogRow[]): Promise<void> {
  const last = rows[rows.length - 1];
  if (!last) return;
  const columns: unknown[][] = Array.from({ length: COLUMN_COUNT }, () => new Array<unknown>(rows.length));
  rows.forEach((r, i) => {
    const cells = [r.seq, r.at.toISOString(), r.requestId, r.merchantId, r.keyId, r.clientIp, r.method, r.path, r.status, r.errorCode, r.latencyMs, r.prevHash, r.hash];
    cells.forEach((cell, c) => ((columns[c] as unknown[])[i] = cell));
  });
  await tx.query(
    `WITH appended AS (
       INSERT INTO audit_log (${COLUMNS})
       SELECT * FROM unnest($1::bigint[], $2::text[]::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::integer[], $10::text[], $11::float8[], $12::text[], $13::text[])
     )
     UPDATE audit_chain_head SET seq = $14, hash = $15 WHERE id = 1`,
    [...columns, last.seq, last.hash],
  );
}

/** Matching records in seq order, at most `limit`. */
export async function listAuditRows(db: Queryable, filter: AuditFilter, limit: number): Promise<AuditLogRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.merchantId !== undefined) add((p) => `merchant_id = ${p}`, filter.merchantId);
  if (filter.keyId !== undefined) add((p) => `key_id = ${p}`, filter.keyId);
  if (filter.from !== undefined) add((p) => `at >= ${p}::timestamptz`, filter.from);
  if (filter.to !== undefined) add((p) => `at < ${p}::timestamptz`, filter.to);
  if (filter.statusMin !== undefined) add((p) => `status >= ${p}::integer`, filter.statusMin);
  if (filter.statusMax !== undefined) add((p) => `status < ${p}::integer`, filter.statusMax);
  if (filter.afterSeq !== undefined) add((p) => `seq > ${p}::bigint`, filter.afterSeq);
  if (filter.upToSeq !== undefined) add((p) => `seq <= ${p}::bigint`, filter.upToSeq);
  params.push(limit);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${params.length}::integer`,
    params,
  );
  return rows.map(toRow);
}
