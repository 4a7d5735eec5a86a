import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { auditRecordOf } from '../../core/audit-chain.js';
import type { Db } from '../../store/db.js';
import { KEY_ID_FILTER, keyIdOf } from './key-filter.js';
import { type AuditFilter, listAuditRows, readChainHead } from '../../store/queries/audit-log.js';

export interface AuditAdminDeps {
  db: Db;
  /** Writes this process's buffered records first, so a listing includes the calls just made. */
  flush(): Promise<void>;
}

export interface AuditQuery {
  merchant_id?: string;
  key_id?: string;
  from?: string;
  to?: string;
  outcome?: Outcome;
  after_seq?: string;
  limit?: string;
}

const OUTCOMES = ['success', 'failure', '2xx', '3xx', '4xx', '5xx'] as const;
type Outcome = (typeof OUTCOMES)[number];
const STATUS_RANGE: Record<Outcome, [number, number]> = {
  success: [0, 400],
  failure: [400, 1000],
  '2xx': [200, 300],
  '3xx': [300, 400],
  '4xx': [400, 500],
  '5xx': [500, 600],
};

// Query strings stay strings (the app's validator neither coerces nor fills in defaults).
export const FILTERS = {
  merchant_id: { type: 'string', pattern: '^mer_[0-9a-f]{24}$' },
  key_id: KEY_ID_FILTER,
  from: { type: 'string', format: 'date-time', description: 'inclusive' },
  to: { type: 'string', format: 'date-time', description: 'exclusive' },
  outcome: { type: 'string', enum: [...OUTCOMES], description: 'success (status < 400), failure (>= 400), or a status class' },
  after_seq: { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})$', description: 'records after this seq (paging)' },
} as const;
// 1-1000, default 100.
export const LIMIT = { type: 'string', pattern: '^(1000|[1-9][0-9]{0,2})$', description: '1-1000, default 100' } as const;
export const limitOf = (text: string | undefined) => (text === undefined ? 100 : Number(text));
// Rows per query while exporting: the export streams, so any size of log leaves memory flat.
const EXPORT_PAGE = 1000;

/**
 * The audit log under /admin/v1, in the admin API's scope (its token check
 * applies): a paged listing and a JSON-lines export, both in seq order and
 * both with the records exactly as hashed, so an export verifies offline
 * (`tijori audit verify --file`).
 */
export function auditAdminRoutes(app: FastifyInstance, deps: AuditAdminDeps): void {
  const { db } = deps;
  const resolveKey = (ref: string) => keyIdOf(db, ref);

  app.get<{ Querystring: AuditQuery }>('/admin/v1/audit', {
    schema: {
      summary: 'List audit records in seq order, filtered by merchant, key, time and outcome; page with after_seq',
      tags: ['admin', 'audit'],
      querystring: { type: 'object', additionalProperties: false, properties: { ...FILTERS, limit: LIMIT } },
    },
    handler: async (request) => auditPage(deps, await auditFilterOf(request.query, resolveKey), limitOf(request.query.limit)),
  });

  app.get<{ Querystring: AuditQuery }>('/admin/v1/audit/export', {
    schema: {
      summary: 'Export audit records as JSON lines (application/x-ndjson), in seq order, with the same filters; an unfiltered export verifies offline',
      tags: ['admin', 'audit'],
      querystring: { type: 'object', additionalProperties: false, properties: FILTERS },
    },
    handler: async (request, reply) => sendAuditExport(deps, await auditFilterOf(request.query, resolveKey), reply),
  });
}

/** The query's filters; `resolveKey` turns a key_id given as either form into the key_… id records carry. */
export async function auditFilterOf(q: AuditQuery, resolveKey: (ref: string) => Promise<string>): Promise<AuditFilter> {
  const filter: AuditFilter = {};
  if (q.merchant_id !== undefined) filter.merchantId = q.merchant_id;
  if (q.key_id !== undefined) filter.keyId = await resolveKey(q.key_id);
  if (q.from !== undefined) filter.from = new Date(q.from);
  if (q.to !== undefined) filter.to = new Date(q.to);
  if (q.outcome !== undefined) [filter.statusMin, filter.statusMax] = STATUS_RANGE[q.outcome];
  if (q.after_seq !== undefined) filter.afterSeq = Number(q.after_seq);
  return filter;
}

/** One page of the listing (shared with the dashboard, which forces merchant_id). */
export async function auditPage(deps: AuditAdminDeps, filter: AuditFilter, limit: number) {
  await deps.flush();
  const records = (await listAuditRows(deps.db, filter, limit)).map(auditRecordOf);
  const last = records[records.length - 1];
  return { records, next_after_seq: records.length === limit && last ? last.seq : null };
}

/** The JSON-lines export as the reply (shared with the dashboard, which forces merchant_id). */
export async function sendAuditExport(deps: AuditAdminDeps, filter: AuditFilter, reply: FastifyReply) {
  await deps.flush();
  // The export ends at the head as it is now: a consistent end, however long the stream takes.
  const head = await readChainHead(deps.db);
  reply.type('application/x-ndjson; charset=utf-8');
  reply.header('content-disposition', 'attachment; filename="tijori-audit.jsonl"');
  return Readable.from(exportLines(deps.db, { ...filter, upToSeq: head.seq }));
}

async function* exportLines(db: Db, filter: AuditFilter): AsyncGenerator<string> {
  let afterSeq = filter.afterSeq;
  for (;;) {
    const rows = await listAuditRows(db, afterSeq === undefined ? filter : { ...filter, afterSeq }, EXPORT_PAGE);
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) chunk += `${JSON.stringify(auditRecordOf(row))}\n`;
    yield chunk;
    if (rows.length < EXPORT_PAGE) return;
    afterSeq = (rows[rows.length - 1] as (typeof rows)[number]).seq;
  }
}
