import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ConfigError } from '../config/load-config.js';
import { loadTlsFiles } from './tls-files.js';

/** A self-signed certificate for localhost made by openssl, as an operator would. */
function selfSigned(dir: string, name: string, extra: string[] = []): { cert: string; key: string } {
  const cert = join(dir, `${name}-cert.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', ...extra], { stdio: 'ignore' });
  return { cert, key };
}

function refusedWith(pattern: RegExp) {
  return (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n    at ');
}

describe('loadTlsFiles', () => {
  let dir: string;
  let good: { cert: string; key: string };
  let other: { cert: string; key: string };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tijori-tls-'));
    good = selfSigned(dir, 'good');
    other = selfSigned(dir, 'other');
  });

  it('loads a certificate and its key, for TLS 1.2 and later only', async () => {
    const tls = await loadTlsFiles(good.cert, good.key);
    assert.equal(tls.options.minVersion, 'TLSv1.2');
    assert.ok(tls.options.cert.toString().startsWith('-----BEGIN CERTIFICATE-----'));
    assert.equal(tls.subject, 'CN=localhost');
    const hoursLeft = (tls.notAfter.getTime() - Date.now()) / 3_600_000;
    assert.ok(hoursLeft > 23 && hoursLeft <= 24, `a one-day certificate, not ${hoursLeft} hours`);
  });

  it('refuses a file that does not exist, naming the variable', async () => {
    await assert.rejects(loadTlsFiles(join(dir, 'missing.pem'), good.key), refusedWith(/^Cannot read TLS_CERT_FILE .*missing\.pem: there is no such file\. Give the path of a PEM certificate chain/));
    await assert.rejects(loadTlsFiles(good.cert, join(dir, 'missing.pem')), refusedWith(/^Cannot read TLS_KEY_FILE .*missing\.pem: there is no such file/));
  });

  it('refuses a directory in place of a file', async () => {
    await assert.rejects(loadTlsFiles(dir, good.key), refusedWith(/^Cannot read TLS_CERT_FILE /));
  });

  it('refuses a certificate file that is not PEM', async () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    await assert.rejects(loadTlsFiles(junk, good.key), refusedWith(/^TLS_CERT_FILE .*junk\.pem does not hold a PEM certificate/));
  });

  it('refuses the key given as the certificate and the reverse', async () => {
    await assert.rejects(loadTlsFiles(good.key, good.key), refusedWith(/^TLS_CERT_FILE .* does not hold a PEM certificate/));
    await assert.rejects(loadTlsFiles(good.cert, good.cert), refusedWith(/^TLS_KEY_FILE .* does not hold a PEM private key/));
  });

  it('refuses a key that belongs to another certificate', async () => {
    await assert.rejects(loadTlsFiles(good.cert, other.key), refusedWith(/^TLS_KEY_FILE .*other-key\.pem is not the private key of the certificate in TLS_CERT_FILE .*good-cert\.pem \(CN=localhost\)/));
  });

  it('refuses a passphrase-protected key, saying how to remove the passphrase', async () => {
    const encrypted = join(dir, 'encrypted-key.pem');
    execFileSync('openssl', ['pkey', '-in', good.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    await assert.rejects(loadTlsFiles(good.cert, encrypted), refusedWith(/^TLS_KEY_FILE .* is protected by a passphrase.*openssl pkey/));
    const traditional = join(dir, 'traditional-key.pem');
    execFileSync('openssl', ['rsa', '-in', good.key, '-aes256', '-traditional', '-passout', 'pass:secret', '-out', traditional], { stdio: 'ignore' });
    await assert.rejects(loadTlsFiles(good.cert, traditional), refusedWith(/^TLS_KEY_FILE .* is protected by a passphrase/));
  });
});
