import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, loadConfig } from './load-config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('applies defaults with units in the names', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.signatureToleranceSeconds, 300);
    assert.equal(config.bodyLimitBytes, 65536);
    assert.equal(config.databaseUrl, undefined);
  });

  it('reads conventional and TIJORI_ variables, coercing numbers', () => {
    const config = loadConfig({ PORT: '9000', TIJORI_SIGNATURE_TOLERANCE_SECONDS: '60', PATH: '/bin' });
    assert.equal(config.port, 9000);
    assert.equal(config.signatureToleranceSeconds, 60);
  });

  it('lets the environment override the file, and the file the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 7000, logLevel: 'warn' }));
    const config = loadConfig({ TIJORI_CONFIG_FILE: file, PORT: '7001' });
    assert.equal(config.port, 7001);
    assert.equal(config.logLevel, 'warn');
  });

  it('refuses an unknown TIJORI_ variable, naming it', () => {
    assert.throws(() => loadConfig({ TIJORI_SIGNATURE_TOLERANCE: '60' }), /Unknown setting TIJORI_SIGNATURE_TOLERANCE/);
  });

  it('refuses an unknown key in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ prot: 7000 }));
    assert.throws(() => loadConfig({ TIJORI_CONFIG_FILE: file }), /unknown key "prot"/);
  });

  it('refuses values out of range', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError);
    assert.throws(() => loadConfig({ TIJORI_SIGNATURE_TOLERANCE_SECONDS: '0' }), ConfigError);
    assert.throws(() => loadConfig({ TIJORI_MASTER_KEY: 'short' }), ConfigError);
  });

  it('requires an explicit master key when the database is PostgreSQL', () => {
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x' }), /TIJORI_MASTER_KEY/);
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', TIJORI_MASTER_KEY: KEY });
    assert.equal(config.masterKey?.reveal(), KEY);
    assert.equal(JSON.stringify(config).includes(KEY), false);
  });

  it('returns a frozen object', () => {
    assert.equal(Object.isFrozen(loadConfig({})), true);
  });
});

describe('the README configuration table', () => {
  it('lists every setting with its default', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    for (const setting of describeConfig()) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.variable}\` |`));
      assert.ok(row, `README must document ${setting.variable}`);
      if (setting.default !== undefined) assert.ok(row.includes(`\`${String(setting.default)}\``), `README must give ${setting.variable}'s default ${setting.default}`);
    }
  });
});
