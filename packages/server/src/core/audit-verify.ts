import type { Db } from '../store/db.js';
import { listAuditRows, readChainHead } from '../store/queries/audit-log.js';
import { type AuditRecord, auditRecordOf, type ChainHead, type ChainVerdict, ChainVerifier } from './audit-chain.js';

// Rows per query: memory stays flat however long the chain is.
const PAGE = 5000;

/**
 * Verifies the chain as the database holds it, from seq 1 to the head row,
 * in one read-only snapshot: records committed while it runs are not seen,
 * and the head read is the one the last record must match (so records
 * deleted from the end are found).
 */
export async function verifyStoredChain(db: Db, options: { anchor?: ChainHead } = {}): Promise<ChainVerdict> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const head = await readChainHead(tx);
    const verifier = new ChainVerifier({ head, ...(options.anchor ? { anchor: options.anchor } : {}) });
    let afterSeq = 0;
    for (;;) {
      const rows = await listAuditRows(tx, { afterSeq }, PAGE);
      for (const row of rows) {
        if (verifier.push(auditRecordOf(row))) return verifier.finish();
      }
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || !last) break;
      afterSeq = last.seq;
    }
    return verifier.finish();
  });
}

export type LineVerdict = ChainVerdict | { ok: false; kind: 'unreadable'; line: number; seq: null; message: string };

/**
 * Verifies an export (`GET /admin/v1/audit/export`, one record per line). An
 * export that starts after seq 1 (made with after_seq) is accepted, its first
 * prev_hash trusted. A file alone cannot show records cut from its end: give
 * an anchor (a seq and hash noted earlier) for that.
 */
export async function verifyRecordLines(lines: AsyncIterable<string> | Iterable<string>, options: { anchor?: ChainHead } = {}): Promise<LineVerdict> {
  const verifier = new ChainVerifier({ allowPartial: true, ...(options.anchor ? { anchor: options.anchor } : {}) });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (!record) return { ok: false, kind: 'unreadable', line: number, seq: null, message: `line ${number}: not an audit record (expected one JSON object per line, as the export writes)` };
    if (verifier.push(record)) break;
  }
  return verifier.finish();
}

const isText = (v: unknown) => typeof v === 'string';
const isTextOrNull = (v: unknown) => v === null || typeof v === 'string';
const isHash = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

function parseRecord(line: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(r.seq) &&
    (r.seq as number) >= 1 &&
    isText(r.at) &&
    isText(r.request_id) &&
    isTextOrNull(r.merchant_id) &&
    isTextOrNull(r.key_id) &&
    isText(r.client_ip) &&
    isText(r.method) &&
    isText(r.path) &&
    Number.isInteger(r.status) &&
    isTextOrNull(r.error_code) &&
    typeof r.latency_ms === 'number' &&
    isHash(r.prev_hash) &&
    isHash(r.hash);
  return ok ? (r as unknown as AuditRecord) : undefined;
}
