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

  it('starts in sandbox mode, which needs no TLS', () => {
    assert.equal(loadConfig({}).mode, 'sandbox');
  });

  it('refuses production without TLS files or trusted proxies, saying exactly what to set', () => {
    assert.throws(
      () => loadConfig({ TIJORI_MODE: 'production' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          'TIJORI_MODE=production serves HTTPS only: set TLS_CERT_FILE and TLS_KEY_FILE (PEM certificate chain and private key) to terminate TLS in the gateway, or set TIJORI_TRUSTED_PROXIES to the addresses of the TLS-terminating proxy in front of it, which must send X-Forwarded-Proto: https.',
    );
    // A list of nothing but separators trusts no proxy either.
    assert.throws(() => loadConfig({ TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: ' , ' }), /TLS_CERT_FILE and TLS_KEY_FILE/);
  });

  it('loads production with TLS files', () => {
    const config = loadConfig({ TIJORI_MODE: 'production', TLS_CERT_FILE: '/etc/tijori/cert.pem', TLS_KEY_FILE: '/etc/tijori/key.pem' });
    assert.equal(config.mode, 'production');
    assert.equal(config.tlsCertFile, '/etc/tijori/cert.pem');
    assert.equal(config.tlsKeyFile, '/etc/tijori/key.pem');
  });

  it('loads production behind trusted proxies', () => {
    const config = loadConfig({ TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: '10.0.0.0/8' });
    assert.equal(config.mode, 'production');
    assert.equal(config.tlsCertFile, undefined);
  });

  it('refuses TLS_CERT_FILE without TLS_KEY_FILE, and the reverse, in any mode', () => {
    assert.throws(() => loadConfig({ TLS_CERT_FILE: '/etc/tijori/cert.pem' }), /TLS_CERT_FILE is set but TLS_KEY_FILE is not: set both/);
    assert.throws(() => loadConfig({ TIJORI_MODE: 'production', TLS_KEY_FILE: '/etc/tijori/key.pem' }), /TLS_KEY_FILE is set but TLS_CERT_FILE is not: set both/);
  });

  it('refuses an unknown mode', () => {
    assert.throws(() => loadConfig({ TIJORI_MODE: 'live' }), /mode \(TIJORI_MODE\) must be equal to one of the allowed values/);
  });

  it('refuses a plain-HTTP public base URL in production', () => {
    assert.throws(
      () => loadConfig({ TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: '10.0.0.1', TIJORI_PUBLIC_BASE_URL: 'http://pay.example.com' }),
      /TIJORI_PUBLIC_BASE_URL is http:\/\/pay\.example\.com, but TIJORI_MODE=production refuses plain HTTP/,
    );
    assert.equal(
      loadConfig({ TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: '10.0.0.1', TIJORI_PUBLIC_BASE_URL: 'https://pay.example.com' }).publicBaseUrl,
      'https://pay.example.com',
    );
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
