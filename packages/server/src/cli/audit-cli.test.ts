import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../lib/logger.js';
import { startGateway } from '../main.js';
import { openPgliteDb } from '../store/pglite-db.js';
import { type CliGateway, type CliRun, startCliGateway } from '../test-support/cli-gateway.js';

// The built CLI, as operators run it (npm test builds first).
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const OK = /^ok: (\d+) records, head ([0-9a-f]{64}) \(seq (\d+)\)\n$/;

async function tijori(args: string[], env: Record<string, string> = {}, cwd = tmpdir()): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('tijori audit verify, on the embedded database a gateway wrote', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tijori-audit-cli-'));
  let exportFile: string;

  before(async () => {
    const config = loadConfig({ TIJORI_DATA_DIR: dataDir, TIJORI_ADMIN_TOKEN: 'tja_audit_cli_test_token_0123456789abcdef' });
    const gateway = await startGateway(config, { logger: createLogger('silent'), listen: false });
    try {
      const auth = { authorization: 'Bearer tja_audit_cli_test_token_0123456789abcdef' };
      for (let i = 0; i < 4; i++) await gateway.app.inject({ method: 'GET', url: '/admin/v1/merchants', headers: auth });
      await gateway.app.inject({ method: 'GET', url: '/admin/v1/merchants', headers: { authorization: 'Bearer wrong' } });
      await gateway.app.inject({ method: 'POST', url: '/api/v3/pg/order/create', payload: '{}', headers: { 'content-type': 'application/json', accept: 'application/json' } });
      await gateway.audit?.flush();
      const exported = await gateway.app.inject({ method: 'GET', url: '/admin/v1/audit/export', headers: auth });
      exportFile = join(dataDir, 'export.jsonl');
      writeFileSync(exportFile, exported.body);
    } finally {
      // Closing writes the export call's own record: the database is one record ahead of the file.
      await gateway.close();
    }
  });

  it('passes an untouched chain: "ok", the count and the head, exit 0', async () => {
    const run = await tijori(['audit', 'verify', '--data-dir', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    const match = OK.exec(run.stdout);
    assert.ok(match, run.stdout);
    assert.equal(match[1], '7');
    assert.equal(match[3], '7');
    // TIJORI_DATA_DIR finds it too.
    const byEnv = await tijori(['audit', 'verify'], { TIJORI_DATA_DIR: dataDir });
    assert.equal(byEnv.stdout, run.stdout);
  });

  it('verifies an export file offline, and holds it to an anchor', async () => {
    const run = await tijori(['audit', 'verify', '--file', exportFile]);
    assert.equal(run.code, 0, run.stderr);
    const match = OK.exec(run.stdout);
    assert.ok(match, run.stdout);
    assert.equal(match[1], '6');
    const anchored = await tijori(['audit', 'verify', '--file', exportFile, '--anchor', `6:${match[2]}`]);
    assert.equal(anchored.code, 0);
    const wrong = await tijori(['audit', 'verify', '--file', exportFile, '--anchor', `6:${'ab'.repeat(32)}`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /^record seq 6: hash differs from the anchor/);
    const usage = await tijori(['audit', 'verify', '--file', exportFile, '--anchor', 'latest']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--anchor: give <seq>:<hash>/);
  });

  it('names an edited record and exits 1', async () => {
    const db = await openPgliteDb(join(dataDir, 'pgdata'));
    try {
      await db.query('UPDATE audit_log SET status = 200 WHERE seq = 5');
    } finally {
      await db.close();
    }
    const run = await tijori(['audit', 'verify', '--data-dir', dataDir]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, 'record seq 5: hash mismatch (edited)\n');
  });

  it('says where to look when there is no database (exit 2)', async () => {
    const run = await tijori(['audit', 'verify', '--data-dir', mkdtempSync(join(tmpdir(), 'tijori-empty-'))]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no embedded database at .*pgdata: set DATABASE_URL/);
  });
});

describe('tijori audit list and export, through the admin API', () => {
  let cli: CliGateway;

  before(async () => {
    cli = await startCliGateway();
    for (let i = 0; i < 3; i++) await fetch(`${cli.base}/admin/v1/merchants`, { headers: { authorization: `Bearer ${cli.token}` } });
    await fetch(`${cli.base}/api/v3/nowhere`);
  });
  after(() => cli?.close());

  it('lists records as a table, and as the API reply with --json', async () => {
    const table = await cli.tijori(['audit', 'list', '--outcome', 'failure']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^SEQ\s+AT\s+METHOD\s+PATH\s+STATUS\s+ERROR/);
    assert.match(table.stdout, /\/api\/v3\/nowhere\s+404\s+route_not_found/);
    const json = await cli.json<{ records: unknown[]; next_after_seq: number | null }>(['audit', 'list', '--limit', '2']);
    assert.equal(json.records.length, 2);
    assert.equal(json.next_after_seq, 2);
    const bad = await cli.tijori(['audit', 'list', '--outcome', 'maybe']);
    assert.equal(bad.code, 2);
  });

  it('exports JSON lines that `verify --file` accepts', async () => {
    const run = await cli.tijori(['audit', 'export']);
    assert.equal(run.code, 0, run.stderr);
    const file = join(mkdtempSync(join(tmpdir(), 'tijori-export-')), `audit-${randomBytes(4).toString('hex')}.jsonl`);
    writeFileSync(file, run.stdout);
    assert.ok(run.stdout.split('\n').length > 4);
    const verify = await tijori(['audit', 'verify', '--file', file]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, OK);
    assert.equal(run.stderr, '', 'piped, nothing but the records: no progress');
  });

  it('shows its progress on a terminal (stderr), and stdout stays the records', async () => {
    // script(1) gives the export a pseudo-terminal, as a person running it would have; stdout goes to a file.
    const out = join(mkdtempSync(join(tmpdir(), 'tijori-export-tty-')), 'audit.jsonl');
    const command = `TIJORI_URL=${cli.base} TIJORI_ADMIN_TOKEN=${cli.token} ${process.execPath} ${CLI} audit export > ${out}`;
    const tty = await promisify(execFile)('script', ['-qec', command, '/dev/null']);
    assert.match(tty.stdout, /tijori: exported \d+ records\r?\n/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.ok(lines.every((l) => l.startsWith('{"seq":')), 'the file holds records only');
  });
});
