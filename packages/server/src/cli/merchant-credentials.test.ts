import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { type MerchantCredentials, resolveMerchantCredentials, resolveSigner } from './merchant-credentials.js';

const FILE = { merchant_id: 'mer_1', api_key: 'pk_test_fromthefile00000000000000', secret_key: 'sk_test_fromthefile_secret', base_url: 'http://127.0.0.1:9090' };

/** A working directory, with ./.tijori/sandbox-credentials.json when `file` is given. */
function cwdWith(file?: object, dir = '.tijori'): string {
  const cwd = mkdtempSync(join(tmpdir(), 'tijori-creds-'));
  if (file) {
    mkdirSync(join(cwd, dir));
    writeFileSync(join(cwd, dir, 'sandbox-credentials.json'), JSON.stringify(file));
  }
  return cwd;
}

function resolved(...args: Parameters<typeof resolveMerchantCredentials>): MerchantCredentials {
  const result = resolveMerchantCredentials(...args);
  assert.equal(result.ok, true, result.ok ? '' : result.message);
  return (result as { credentials: MerchantCredentials }).credentials;
}

function refused(args: Parameters<typeof resolveMerchantCredentials>, message: RegExp): void {
  const result = resolveMerchantCredentials(...args);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.message, message);
}

describe('resolveMerchantCredentials', () => {
  it('reads everything from ./.tijori/sandbox-credentials.json when no flag or variable is set', () => {
    const c = resolved({}, {}, cwdWith(FILE));
    assert.equal(c.apiKey, FILE.api_key);
    assert.equal(c.signer.kind === 'secret' && c.signer.secretKey.reveal(), FILE.secret_key);
    assert.equal(c.baseUrl, FILE.base_url);
    assert.match(c.source, /\.tijori\/sandbox-credentials\.json$/);
  });

  it('finds the file under TIJORI_DATA_DIR', () => {
    assert.equal(resolved({}, { TIJORI_DATA_DIR: 'data' }, cwdWith(FILE, 'data')).apiKey, FILE.api_key);
  });

  it('prefers the environment to the file, and flags to the environment', () => {
    const env = { TIJORI_API_KEY: 'pk_test_env', TIJORI_SECRET_KEY: 'sk_test_env_secret', TIJORI_URL: 'https://env.example/' };
    const fromEnv = resolved({}, env, cwdWith(FILE));
    assert.deepEqual([fromEnv.apiKey, fromEnv.signer.kind === 'secret' && fromEnv.signer.secretKey.reveal(), fromEnv.baseUrl], ['pk_test_env', 'sk_test_env_secret', 'https://env.example']);
    const fromFlags = resolved({ apiKey: 'pk_test_flag', secretKey: 'sk_test_flag_secret', url: 'https://pay.example/tijori/' }, env, cwdWith(FILE));
    assert.deepEqual([fromFlags.apiKey, fromFlags.signer.kind === 'secret' && fromFlags.signer.secretKey.reveal(), fromFlags.baseUrl], ['pk_test_flag', 'sk_test_flag_secret', 'https://pay.example/tijori']);
    assert.equal(fromFlags.source, 'API key from --api-key, secret key from --secret-key, URL from --url');
  });

  it("refuses the file's secret with another API key: they could only fail together", () => {
    refused([{ apiKey: 'pk_test_another' }, {}, cwdWith(FILE)], /secret key in .*sandbox-credentials\.json belongs to pk_test_fromthefile0+, not pk_test_another \(from --api-key\): set TIJORI_SECRET_KEY/);
  });

  it('refuses a sandbox key with a live secret, and the reverse', () => {
    refused([{ apiKey: 'pk_test_x', secretKey: 'sk_live_y_secret' }, {}, cwdWith()], /a test key \(pk_test_\) but the secret key is a live secret/);
    refused([{ apiKey: 'pk_live_x', secretKey: 'sk_test_y_secret' }, {}, cwdWith()], /a live key \(pk_live_\) but the secret key is a test secret/);
  });

  it('says where credentials can come from when there are none', () => {
    refused([{}, {}, cwdWith()], /no secret key: set TIJORI_SECRET_KEY \(or pass --secret-key\), or run where the gateway keeps \.tijori\/sandbox-credentials\.json \(not found: /);
    refused([{}, { TIJORI_SECRET_KEY: 'sk_test_s' }, cwdWith()], /no API key: pass --api-key or set TIJORI_API_KEY/);
  });

  it('refuses a secret with a newline around it, without quoting it', () => {
    const result = resolveMerchantCredentials({ apiKey: 'pk_test_x' }, { TIJORI_SECRET_KEY: 'sk_test_leaky_secret\n' }, cwdWith());
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /from TIJORI_SECRET_KEY has spaces or a newline around it/);
    assert.doesNotMatch(result.ok ? '' : result.message, /leaky/);
  });

  it('refuses an unusable URL', () => {
    refused([{ url: 'ftp://x' }, { TIJORI_API_KEY: 'pk_test_x', TIJORI_SECRET_KEY: 'sk_test_s' }, cwdWith()], /must start with http:\/\/ or https:\/\//);
    refused([{ url: 'https://u:p@x' }, { TIJORI_API_KEY: 'pk_test_x', TIJORI_SECRET_KEY: 'sk_test_s' }, cwdWith()], /must not contain a user or password/);
    refused([{ url: 'https://x/?a=1' }, { TIJORI_API_KEY: 'pk_test_x', TIJORI_SECRET_KEY: 'sk_test_s' }, cwdWith()], /must not contain a query/);
  });

  it('warns about a live secret on the command line, and never prints a secret', () => {
    const c = resolved({ apiKey: 'pk_live_x', secretKey: 'sk_live_do_not_print_me', url: 'https://x' }, {}, cwdWith());
    assert.match(c.warnings.join('\n'), /shell history .* set TIJORI_SECRET_KEY instead/);
    assert.doesNotMatch(`${JSON.stringify(c)} ${inspect(c, { depth: 5 })} ${String(c.signer.kind === 'secret' && c.signer.secretKey)}`, /do_not_print_me/);
  });

  it('reads a private key from a PEM file, and refuses anything else in its place', () => {
    const cwd = cwdWith();
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(cwd, 'merchant.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(cwd, 'not-a-key.pem'), 'hello');
    const signer = resolveSigner({ privateKey: 'merchant.pem' }, {}, cwd);
    assert.equal(signer.ok && signer.signer.kind, 'private_key');
    const bad = resolveSigner({ privateKey: 'not-a-key.pem' }, {}, cwd);
    assert.match(bad.ok ? '' : bad.message, /is not an unencrypted PEM private key/);
    const both = resolveSigner({ privateKey: 'merchant.pem', secretKey: 'sk_test_s' }, {}, cwd);
    assert.match(both.ok ? '' : both.message, /exclude each other/);
  });
});
