import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './lib/logger.js';
import { loadMigrations } from './store/migrate.js';
import { startGateway } from './main.js';
import { BACKENDS } from './test-support/backends.js';

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('start-up on the embedded default', () => {
  it('creates the data dir, a 0600 master key and 0600 sandbox credentials on first start, and nothing new on the second', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tijori-start-')), 'data');
    const config = loadConfig({ TIJORI_DATA_DIR: dataDir, PORT: '0' });
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });

    const first = await startGateway(config, { logger, listen: false });
    assert.equal(first.sandboxCredentialsFile, join(dataDir, 'sandbox-credentials.json'));
    await first.close();
    assert.equal(mode(join(dataDir, 'master.key')), 0o600);
    assert.equal(mode(join(dataDir, 'sandbox-credentials.json')), 0o600);
    const creds = JSON.parse(readFileSync(join(dataDir, 'sandbox-credentials.json'), 'utf8'));
    assert.deepEqual(Object.keys(creds).sort(), ['api_key', 'base_url', 'merchant_id', 'secret_key']);
    assert.match(creds.api_key, /^pk_test_[0-9a-f]{24}$/);
    assert.match(creds.secret_key, /^sk_test_[A-Za-z0-9_-]{43}$/);
    assert.ok(lines.some((l) => l.includes('production must supply TIJORI_MASTER_KEY')), 'warns that the key sits beside the data');
    assert.equal(lines.join('').includes(creds.secret_key), false, 'the secret is never logged');

    const second = await startGateway(config, { logger, listen: false });
    assert.equal(second.sandboxCredentialsFile, undefined, 'the store already has a merchant');
    const merchants = await second.db.query<{ n: number | string }>('SELECT count(*) AS n FROM merchants');
    assert.equal(Number(merchants[0]?.n), 1);
    await second.close();
  });

  it('refuses to start with a master key other than the one the database was written with', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tijori-start-'));
    const quiet = createLogger('silent');
    const first = await startGateway(loadConfig({ TIJORI_DATA_DIR: dataDir }), { logger: quiet, listen: false });
    await first.close();
    const other = loadConfig({ TIJORI_DATA_DIR: dataDir, TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
    // Each data key names the KEK that wrapped it: a different master key is a different KEK, said at start-up.
    await assert.rejects(startGateway(other, { logger: quiet, listen: false }), /wrapped by KEK local:[0-9a-f]+, which this process does not have/);
  });

  it('does not generate a key file when a master key is supplied', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tijori-start-'));
    const config = loadConfig({ TIJORI_DATA_DIR: dataDir, TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
    const gateway = await startGateway(config, { logger: createLogger('silent'), listen: false });
    await gateway.close();
    assert.equal(existsSync(join(dataDir, 'master.key')), false);
  });
});

for (const backend of BACKENDS) {
  describe(`storage on ${backend.name}`, () => {
    it('applies migrations once; a second start applies none and keeps the data', async () => {
      const opened = await backend.open();
      try {
        const config = loadConfig({ TIJORI_DATA_DIR: mkdtempSync(join(tmpdir(), 'tijori-mig-')), TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
        const lines: string[] = [];
        const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
        const a = await startGateway(config, { db: opened.db, logger, listen: false });
        await a.close();
        const b = await startGateway(config, { db: opened.db, logger, listen: false });
        await b.close();
        assert.equal(lines.filter((l) => l.includes('applied migrations')).length, 1);
        const versions = await opened.db.query<{ version: number }>('SELECT version FROM tijori_migrations');
        const shipped = (await loadMigrations()).map((m) => m.version);
        assert.ok(shipped.length >= 5);
        assert.deepEqual(versions.map((v) => Number(v.version)).sort((x, y) => x - y), shipped);
        const merchants = await opened.db.query<{ n: number | string }>('SELECT count(*) AS n FROM merchants');
        assert.equal(Number(merchants[0]?.n), 1);
      } finally {
        await opened.cleanup();
      }
    });

    it('stores merchant secrets only as ciphertext', async () => {
      const opened = await backend.open();
      try {
        const dataDir = mkdtempSync(join(tmpdir(), 'tijori-sec-'));
        const config = loadConfig({ TIJORI_DATA_DIR: dataDir, TIJORI_MASTER_KEY: randomBytes(32).toString('base64') });
        const gateway = await startGateway(config, { db: opened.db, logger: createLogger('silent'), listen: false });
        await gateway.close();
        const secret = JSON.parse(readFileSync(join(dataDir, 'sandbox-credentials.json'), 'utf8')).secret_key as string;
        const rows = await opened.db.query<Record<string, unknown>>('SELECT * FROM api_keys');
        const dump = JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') + Buffer.from(v).toString('base64') + Buffer.from(v).toString('hex') : v));
        assert.equal(dump.includes(secret), false);
        assert.equal(dump.includes(secret.slice(8)), false);
      } finally {
        await opened.cleanup();
      }
    });
  });
}
