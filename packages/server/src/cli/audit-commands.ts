import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { AuditRecord, ChainHead } from '../core/audit-chain.js';
import { type LineVerdict, verifyRecordLines, verifyStoredChain } from '../core/audit-verify.js';
import type { Db } from '../store/db.js';
import { openPgliteDb } from '../store/pglite-db.js';
import { openPostgresDb } from '../store/postgres-db.js';
import { AdminClient } from './admin-client.js';
import { resolveConnection } from './connection.js';
import { type CliIo, type CommonOptions, EXIT, exitTwoOnUsageErrors, processIo, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';
import { renderTable } from './table.js';

// The embedded default's data directory (the config schema's dataDir default), where `tijori serve` keeps pgdata/.
const DEFAULT_DATA_DIR = './.tijori';
const OUTCOMES = ['success', 'failure', '2xx', '3xx', '4xx', '5xx'];

export interface VerifyOptions {
  file?: string;
  anchor?: string;
  databaseUrl?: string;
  dataDir?: string;
}

interface FilterOptions {
  merchant?: string;
  key?: string;
  from?: string;
  to?: string;
  outcome?: string;
}

function parseAnchor(text: string): ChainHead | undefined {
  const match = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2] as string } : undefined;
}

function describe(verdict: LineVerdict): string {
  if (!verdict.ok) return `${verdict.message}\n`;
  if (verdict.count === 0) return `ok: 0 records, head ${verdict.last.hash}\n`;
  const partial = verdict.first !== null && verdict.first > 1 ? ` (seq ${verdict.first} to ${verdict.last.seq}; the chain before ${verdict.first} is not in this file)` : '';
  return `ok: ${verdict.count} records${partial}, head ${verdict.last.hash} (seq ${verdict.last.seq})\n`;
}

/**
 * Where the chain is read from, without going through the gateway, so that
 * a verification does not trust the server it checks: PostgreSQL at
 * --database-url / DATABASE_URL, else the embedded database in the data
 * directory. PGlite cannot share its files with a running gateway, so the
 * embedded database is copied and the copy opened: the gateway's files are
 * only read. Stop the gateway first for a copy that is certain to be
 * consistent, or verify an export with --file.
 */
async function openChainSource(options: VerifyOptions, io: CliIo): Promise<{ ok: true; db: Db; close(): Promise<void> } | { ok: false; code: number; message: string }> {
  const url = options.databaseUrl ?? io.env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) return { ok: false, code: EXIT.usage, message: 'the database URL must start with postgres:// or postgresql://.' };
    try {
      const db = await openPostgresDb({ url, poolMax: 1 });
      return { ok: true, db, close: () => db.close() };
    } catch (err) {
      return { ok: false, code: EXIT.unreachable, message: `cannot open the database: ${(err as Error).message}` };
    }
  }
  const dataDir = resolve(io.cwd, options.dataDir ?? io.env.TIJORI_DATA_DIR ?? DEFAULT_DATA_DIR);
  const pgdata = join(dataDir, 'pgdata');
  if (!existsSync(pgdata)) {
    return { ok: false, code: EXIT.usage, message: `no embedded database at ${pgdata}: set DATABASE_URL (or --database-url) for PostgreSQL, --data-dir for another data directory, or verify an export with --file.` };
  }
  const copy = await mkdtemp(join(tmpdir(), 'tijori-audit-verify-'));
  try {
    await cp(pgdata, copy, { recursive: true });
    const db = await openPgliteDb(copy);
    return {
      ok: true,
      db,
      close: async () => {
        await db.close().catch(() => {});
        await rm(copy, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(copy, { recursive: true, force: true });
    return { ok: false, code: EXIT.unreachable, message: `cannot open the embedded database at ${pgdata}: ${(err as Error).message}` };
  }
}

/** `tijori audit verify`: exit 0 with "ok: …" when the chain is whole, 1 naming the first bad record, 2 on a usage error, 3 when the source cannot be read. */
export async function runAuditVerify(options: VerifyOptions, io: CliIo = processIo): Promise<void> {
  let anchor: ChainHead | undefined;
  if (options.anchor !== undefined) {
    anchor = parseAnchor(options.anchor);
    if (!anchor) return usageError('--anchor: give <seq>:<hash>, as a previous verify printed it (e.g. 1234:9f86d0…, 64 hex digits).', io);
  }
  const anchorOption = anchor ? { anchor } : {};
  let verdict: LineVerdict;
  if (options.file !== undefined) {
    if (options.databaseUrl !== undefined || options.dataDir !== undefined) return usageError('--file verifies an export; it takes no --database-url or --data-dir.', io);
    const path = resolve(io.cwd, options.file);
    if (!existsSync(path)) return usageError(`no such file: ${path}`, io);
    const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
    verdict = await verifyRecordLines(lines, anchorOption);
  } else {
    const source = await openChainSource(options, io);
    if (!source.ok) {
      io.stderr(`tijori: ${source.message}\n`);
      return io.setExitCode(source.code);
    }
    try {
      verdict = await verifyStoredChain(source.db, anchorOption);
    } catch (err) {
      io.stderr(`tijori: cannot read the audit log: ${(err as Error).message}${/audit_/.test((err as Error).message) ? ' (has this database been migrated? start the gateway once)' : ''}\n`);
      return io.setExitCode(EXIT.unreachable);
    } finally {
      await source.close();
    }
  }
  io.stdout(describe(verdict));
  io.setExitCode(verdict.ok ? EXIT.ok : EXIT.refused);
}

function filterQuery(options: FilterOptions): { ok: true; query: Record<string, string | undefined> } | { ok: false; message: string } {
  if (options.outcome !== undefined && !OUTCOMES.includes(options.outcome)) return { ok: false, message: `--outcome: one of ${OUTCOMES.join(', ')}.` };
  for (const [name, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) return { ok: false, message: `${name}: an ISO 8601 time, e.g. 2026-11-23T00:00:00Z.` };
  }
  const iso = (v: string | undefined) => (v === undefined ? undefined : new Date(v).toISOString());
  return { ok: true, query: { merchant_id: options.merchant, key_id: options.key, from: iso(options.from), to: iso(options.to), outcome: options.outcome } };
}

function auditTable(records: readonly AuditRecord[]): string {
  if (records.length === 0) return 'No audit records.\n';
  return renderTable(
    ['SEQ', 'AT', 'METHOD', 'PATH', 'STATUS', 'ERROR', 'KEY', 'CLIENT IP', 'MS'],
    records.map((r) => [String(r.seq), r.at, r.method, r.path, String(r.status), r.error_code, r.key_id, r.client_ip, r.latency_ms.toFixed(1)]),
  );
}

function withFilterOptions(command: Command): Command {
  return command
    .option('--merchant <merchant_id>', 'only calls by this merchant')
    .option('--key <key>', 'only calls with this key (key_…, pk_test_… or pk_live_…)')
    .option('--from <time>', 'from this time (ISO 8601, inclusive)')
    .option('--to <time>', 'until this time (ISO 8601, exclusive)')
    .option('--outcome <outcome>', `${OUTCOMES.join(', ')}`);
}

/** `tijori audit …`: verify the chain (database or export file), list and export records (admin API). */
export function registerAuditCommands(program: Command): void {
  const audit = exitTwoOnUsageErrors(program.command('audit').description('Verify, list and export the tamper-evident audit log'));

  audit
    .command('verify')
    .description('Check the hash chain from the database (not through the gateway), or an export file; names the first bad record')
    .option('--file <path>', 'verify an export (GET /admin/v1/audit/export, or `tijori audit export`) instead of the database')
    .option('--anchor <seq:hash>', 'a head printed by an earlier verify: the chain must still pass through it (finds a rewritten or cut chain)')
    .option('--database-url <url>', 'PostgreSQL (default: $DATABASE_URL)')
    .option('--data-dir <dir>', 'the embedded database\'s data directory (default: $TIJORI_DATA_DIR, else ./.tijori)')
    .action((options: VerifyOptions) => runAuditVerify(options));

  withConnectionOptions(
    withFilterOptions(audit.command('list').description('List audit records, oldest first (admin API); --after-seq pages on'))
      .option('--after-seq <seq>', 'records after this seq')
      .option('--limit <n>', 'at most this many (1-1000, default 100)'),
  ).action((options: CommonOptions & FilterOptions & { afterSeq?: string; limit?: string }) => {
    const filter = filterQuery(options);
    if (!filter.ok) return usageError(filter.message);
    return runAdminCommand(
      options,
      (client) =>
        client.listAudit({
          ...filter.query,
          after_seq: options.afterSeq === undefined ? undefined : Number(options.afterSeq),
          limit: options.limit === undefined ? undefined : Number(options.limit),
        }),
      ({ records, next_after_seq: next }) => auditTable(records) + (next !== null ? `More: --after-seq ${next}\n` : ''),
    );
  });

  withConnectionOptions(
    withFilterOptions(audit.command('export').description('Write audit records as JSON lines to stdout, oldest first (admin API); unfiltered, the file verifies with verify --file')).option(
      '--after-seq <seq>',
      'records after this seq (an export that continues an earlier one)',
    ),
  ).action((options: CommonOptions & FilterOptions & { afterSeq?: string }) => runAuditExport(options));
}

/** Pages through the admin API's listing and prints each record as one JSON line, exactly as the export route writes it. */
export async function runAuditExport(options: CommonOptions & FilterOptions & { afterSeq?: string }, io: CliIo = processIo): Promise<void> {
  const filter = filterQuery(options);
  if (!filter.ok) return usageError(filter.message, io);
  if (options.afterSeq !== undefined && !/^(0|[1-9][0-9]{0,14})$/.test(options.afterSeq)) return usageError('--after-seq: a record number, e.g. 1000.', io);
  const resolved = resolveConnection(options, io.env, io.cwd);
  if (!resolved.ok) return usageError(resolved.message, io);
  const { connection } = resolved;
  for (const warning of connection.warnings) io.stderr(`tijori: warning: ${warning}\n`);
  const client = new AdminClient({ baseUrl: connection.baseUrl, token: connection.token });
  let afterSeq = options.afterSeq === undefined ? undefined : Number(options.afterSeq);
  // A long export shows its progress to a person watching (stderr on a terminal); redirected, stderr stays quiet.
  let exported = 0;
  const progress = (end: string) => io.stderrIsTTY && io.stderr(`\rtijori: exported ${exported} records${end}`);
  for (;;) {
    const page = await client.listAudit({ ...filter.query, after_seq: afterSeq, limit: 1000 });
    if (!page.ok) {
      if (exported > 0) progress('\n');
      io.stderr(`tijori: ${page.kind === 'unreachable' ? page.message : `${page.body.error_code}: ${page.body.message} (${page.body.request_id})`}\n`);
      return io.setExitCode(page.kind === 'unreachable' ? EXIT.unreachable : EXIT.refused);
    }
    io.stdout(page.body.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    exported += page.body.records.length;
    if (page.body.next_after_seq === null) break;
    progress('…');
    afterSeq = page.body.next_after_seq;
  }
  progress('\n');
  io.setExitCode(EXIT.ok);
}
