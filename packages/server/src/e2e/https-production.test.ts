import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { HSTS_HEADER_VALUE } from '../http/https-only.js';
import { createLogger } from '../lib/logger.js';
import { type Gateway, startGateway } from '../main.js';
import type { Db } from '../store/db.js';
import { openPgliteDb } from '../store/pglite-db.js';
import { assertRefused } from '../test-support/auth-refusal-suite.js';
import { BACKENDS } from '../test-support/backends.js';
import { orderBody, startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { signedHeaders } from '../test-support/gateway-processes.js';

const run = promisify(execFile);
const ORDER_CREATE = '/api/v3/pg/order/create';
// The built CLI, as `npm start` runs it (npm test builds first).
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

interface Credentials {
  api_key: string;
  secret_key: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, made by openssl as an operator would. */
function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

interface HttpsReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  protocol: string | null;
}

/** node:https with our certificate as the only trust anchor: verification stays on. */
function httpsRequest(options: https.RequestOptions, payload?: string): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(options, (res) => {
      const protocol = (res.socket as tls.TLSSocket).getProtocol();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Resolves with the negotiated protocol, or rejects with the handshake error. */
function handshake(options: tls.ConnectionOptions): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve(protocol);
    });
    socket.on('error', reject);
  });
}

describe('production mode serving HTTPS itself (TLS files, real clients)', () => {
  let dir: string;
  let cert: Buffer;
  let certFile: string;
  let db: Db;
  let gateway: Gateway;
  let port: number;
  let creds: Credentials;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tijori-https-'));
    ({ certFile } = selfSignedCertificate(dir));
    cert = readFileSync(certFile);
    db = await openPgliteDb(undefined);
    const config = loadConfig({
      PORT: '0',
      TIJORI_DATA_DIR: join(dir, 'data'),
      TIJORI_MASTER_KEY: randomBytes(32).toString('base64'),
      TIJORI_MODE: 'production',
      TLS_CERT_FILE: certFile,
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    gateway = await startGateway(config, { db, logger: createLogger('silent') });
    port = (gateway.app.server.address() as AddressInfo).port;
    creds = JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8')) as Credentials;
  });
  after(async () => {
    await gateway?.close();
    await db?.close();
  });

  it('takes a signed order from node:https verifying our certificate, and answers with HSTS', async () => {
    const payload = JSON.stringify(orderBody());
    const res = await httpsRequest({ host: '127.0.0.1', port, path: ORDER_CREATE, method: 'POST', ca: cert, headers: signedHeaders(creds, payload) }, payload);
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).return_data.order_id, JSON.parse(payload).order_id);
    assert.equal(res.headers['strict-transport-security'], HSTS_HEADER_VALUE);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(res.protocol === 'TLSv1.2' || res.protocol === 'TLSv1.3', String(res.protocol));
  });

  it('takes a signed order from curl --cacert, and answers with HSTS', async () => {
    const payload = JSON.stringify(orderBody());
    const headerArgs = Object.entries(signedHeaders(creds, payload)).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
    const { stdout } = await run('curl', ['-sS', '--cacert', certFile, '-D', '-', '--data-binary', payload, ...headerArgs, `https://127.0.0.1:${port}${ORDER_CREATE}`]);
    const [head = '', body = ''] = stdout.split(/\r\n\r\n/);
    assert.match(head, /^HTTP\/1\.1 200 /, stdout);
    assert.match(head, /^strict-transport-security: max-age=63072000; includeSubDomains\r?$/im);
    assert.equal(JSON.parse(body).return_data.order_id, JSON.parse(payload).order_id);
  });

  it('is not trusted by a client that verifies against the system store alone (verification really is on)', async () => {
    await assert.rejects(httpsRequest({ host: '127.0.0.1', port, path: '/healthz' }), (err: NodeJS.ErrnoException) => err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('refuses a TLS 1.1-only client in the handshake, and accepts TLS 1.2', async () => {
    // SECLEVEL=0 lets this client's OpenSSL offer TLS 1.1 at all, so the refusal seen is the server's alert, not the client's own policy.
    await assert.rejects(
      handshake({ host: '127.0.0.1', port, ca: cert, servername: 'localhost', minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    );
    assert.equal(await handshake({ host: '127.0.0.1', port, ca: cert, servername: 'localhost', maxVersion: 'TLSv1.2' }), 'TLSv1.2');
  });

  it('does not speak plain HTTP on the TLS port', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/healthz' }, resolve);
        req.on('error', reject);
      }),
    );
  });

  it('answers /healthz and /readyz over HTTPS', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await httpsRequest({ host: '127.0.0.1', port, path, ca: cert });
      assert.equal(res.status, 200, path);
    }
  });

  it('names https:// in the sandbox credentials file', () => {
    assert.match(JSON.parse(readFileSync(gateway.sandboxCredentialsFile as string, 'utf8')).base_url, /^https:\/\//);
  });
});

describe('production mode behind a trusted TLS-terminating proxy', () => {
  const pglite = BACKENDS.find((b) => b.name === 'pglite');
  if (!pglite) throw new Error('the PGlite back-end is missing');
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(pglite, { TIJORI_MODE: 'production', TIJORI_TRUSTED_PROXIES: '127.0.0.1' });
  });
  after(() => gw?.close());

  it('refuses a request from the proxy without X-Forwarded-Proto: https (403 https_required), writing nothing', async () => {
    const before = await gw.orderCount();
    for (const proto of [undefined, 'http']) {
      const res = await gw.send({ path: ORDER_CREATE, body: orderBody(), remoteAddress: '127.0.0.1', headers: { 'x-forwarded-proto': proto } });
      const body = assertRefused(res, 403, 'https_required');
      assert.match(String(body.message), /https:\/\//);
    }
    assert.equal(await gw.orderCount(), before);
  });

  it('takes a request the proxy marks https, and checks its authentication as usual', async () => {
    const ok = await gw.send({ path: ORDER_CREATE, body: orderBody(), remoteAddress: '127.0.0.1', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.headers['strict-transport-security'], HSTS_HEADER_VALUE);
    const forged = await gw.send({ path: ORDER_CREATE, body: orderBody(), remoteAddress: '127.0.0.1', headers: { 'x-forwarded-proto': 'https' }, signWith: { secret: 'sk_test_wrong' } });
    assertRefused(forged, 401, 'invalid_signature');
    const unsigned = await gw.send({ path: ORDER_CREATE, body: orderBody(), remoteAddress: '127.0.0.1', headers: { 'x-forwarded-proto': 'https', 'x-signature': undefined } });
    assertRefused(unsigned, 401, 'missing_auth_header');
  });

  it('does not believe X-Forwarded-Proto: https from a peer that is not a trusted proxy', async () => {
    const res = await gw.send({ path: ORDER_CREATE, body: orderBody(), remoteAddress: '198.51.100.1', headers: { 'x-forwarded-proto': 'https' } });
    assertRefused(res, 403, 'https_required');
    assert.equal(res.headers['strict-transport-security'], undefined);
  });

  it('refuses plain HTTP on the admin API and the docs as well', async () => {
    const admin = await gw.gateway.app.inject({ method: 'GET', url: '/admin/v1/merchants', remoteAddress: '198.51.100.1', headers: { authorization: 'Bearer x' } });
    assertRefused(admin, 403, 'https_required');
    const docs = await gw.gateway.app.inject({ method: 'GET', url: '/docs/', remoteAddress: '198.51.100.1' });
    assert.equal(docs.statusCode, 403);
  });

  it('answers /healthz and /readyz over plain HTTP, for load-balancer probes', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await gw.gateway.app.inject({ method: 'GET', url, remoteAddress: '198.51.100.1' });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  });
});

describe('production start-up refusals', () => {
  it('refuses a certificate file it cannot use with a ConfigError naming it, before opening storage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-https-bad-'));
    const { keyFile } = selfSignedCertificate(dir);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const config = loadConfig({ TIJORI_DATA_DIR: join(dir, 'data'), TIJORI_MODE: 'production', TLS_CERT_FILE: junk, TLS_KEY_FILE: keyFile });
    await assert.rejects(startGateway(config, { logger: createLogger('silent'), listen: false }), (err: unknown) => err instanceof ConfigError && /^TLS_CERT_FILE .*junk\.pem does not hold a PEM certificate/.test(err.message));
  });

  it('the CLI prints the sentence, not a stack trace, for a missing TLS setting and for an unreadable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tijori-https-cli-'));
    const env = { PATH: process.env.PATH ?? '', TIJORI_DATA_DIR: join(dir, 'data'), PORT: '0', TIJORI_MODE: 'production' };
    const serve = (extra: Record<string, string>) => run(process.execPath, [CLI, 'serve'], { env: { ...env, ...extra } });

    const missing = await serve({}).then(
      () => assert.fail('production without TLS or proxies must not start'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /^tijori: TIJORI_MODE=production serves HTTPS only: set TLS_CERT_FILE and TLS_KEY_FILE/);

    const unreadable = await serve({ TLS_CERT_FILE: join(dir, 'nope.pem'), TLS_KEY_FILE: join(dir, 'nope-key.pem') }).then(
      () => assert.fail('a missing certificate must not start'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(unreadable.code, 78, 'a configuration error, found when the file is read');
    assert.match(unreadable.stderr, /^tijori: Cannot read TLS_CERT_FILE .*nope\.pem: there is no such file\./);
    assert.doesNotMatch(unreadable.stderr, /\n\s+at /, 'no stack trace');
  });
});
