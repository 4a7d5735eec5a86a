import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HSTS_HEADER_VALUE } from '../http/https-only.js';
import { freePort } from '../test-support/free-port.js';
import { createScratchDatabase, type GatewayFleet, type GatewayProcess, gatewayFleet, type ScratchDatabase, signedHeaders } from '../test-support/gateway-processes.js';

/** The committed file operators install; the test renders it, it never keeps a copy of its own. */
const COMMITTED_CONF = new URL('../../../../deploy/nginx/tijori.conf', import.meta.url).pathname;
const NGINX = '/usr/sbin/nginx';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORDER_CREATE = '/api/v3/pg/order/create';
const ORDER_STATUS = '/api/v3/pg/order/status';
// Linux routes all of 127.0.0.0/8 to the loopback interface: a client bound here is
// "somewhere else" than nginx (127.0.0.1), so the address the gateway reports tells them apart.
const CLIENT_ADDRESS = '127.0.0.2';
// A hang guard only: nothing here should take more than a second or two.
const REQUEST_GUARD_MS = 70_000;

interface Credentials {
  api_key: string;
  secret_key: string;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Replaces every occurrence, and fails loudly when the committed file no longer has the text the rendering relies on. */
function substitute(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `deploy/nginx/tijori.conf no longer contains ${JSON.stringify(from)}: update load-balancer.test.ts's rendering`);
  return text.split(from).join(to);
}

/** Counts of tijori_http_requests_total for one route (and status), read from the process's own /metrics. */
async function answered(metricsPort: number, route: string, status?: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('tijori_http_requests_total{')) continue;
    if (!line.includes(`route="${route}"`)) continue;
    if (status !== undefined && !line.includes(`status="${status}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * Local TCP ports with an established connection holding bytes nobody has read
 * (/proc/net/tcp's rx_queue): a stopped process's port shows here once a
 * request has been written to it.
 */
function portsWithUnreadBytes(): Set<number> {
  const ports = new Set<number>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const [, local = '', , state = '', queues = ''] = fields;
    const rxQueue = parseInt(queues.split(':')[1] ?? '0', 16);
    // 01: ESTABLISHED, which includes connections still waiting in the accept queue.
    if (state === '01' && rxQueue > 0) ports.add(parseInt(local.split(':')[1] ?? '0', 16));
  }
  return ports;
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function orderPayload(orderId: string): string {
  return JSON.stringify({
    order_id: orderId,
    order_amount: '105.00',
    order_currency: 'INR',
    service_type: 'DIGITAL',
    customer: { name: 'Ajay', email: 'developer@example.com', phone: '9816512345' },
  });
}

/**
 * deploy/nginx/tijori.conf in front of three `tijori serve` processes in
 * production mode: nginx terminates TLS, and the gateways believe its
 * X-Forwarded-* headers only because it connects from a trusted address.
 */
describe('deploy/nginx/tijori.conf in front of three gateway processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tijori-lb-'));
  let database: ScratchDatabase | undefined;
  let fleet: GatewayFleet | undefined;
  let nginx: ChildProcess | undefined;
  let nginxOutput = '';
  let httpsPort = 0;
  let httpPort = 0;
  let cert: Buffer;
  const metricsPorts = new Map<GatewayProcess, number>();
  let gateways: GatewayProcess[] = [];

  before(async () => {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: this test runs the real nginx (Debian's package: apt-get install -y nginx).`);
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    httpsPort = await freePort();
    httpPort = await freePort();

    database = await createScratchDatabase('tijori_lb');
    fleet = gatewayFleet({
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      env: {
        TIJORI_MODE: 'production',
        TIJORI_TRUSTED_PROXIES: '127.0.0.1',
        TIJORI_PUBLIC_BASE_URL: `https://localhost:${httpsPort}`,
      },
    });
    for (let i = 0; i < 3; i++) {
      // /metrics on a port of its own per process: how the test knows which process answered.
      const metricsPort = await freePort();
      const gateway = await fleet.start({ TIJORI_METRICS_PORT: String(metricsPort) });
      metricsPorts.set(gateway, metricsPort);
    }
    gateways = [...fleet.processes];

    let conf = readFileSync(COMMITTED_CONF, 'utf8');
    for (const [i, gateway] of gateways.entries()) conf = substitute(conf, `127.0.0.1:${3001 + i}`, `127.0.0.1:${gateway.port}`);
    conf = substitute(conf, 'listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`);
    conf = substitute(conf, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
    conf = substitute(conf, 'listen [::]:443 ssl;', '');
    conf = substitute(conf, 'listen [::]:80;', '');
    conf = substitute(conf, '/etc/ssl/tijori/fullchain.pem', join(dir, 'cert.pem'));
    conf = substitute(conf, '/etc/ssl/tijori/privkey.pem', join(dir, 'key.pem'));
    conf = substitute(conf, '/var/log/nginx/', `${dir}/`);
    writeFileSync(join(dir, 'tijori.conf'), conf);
    // The main context a distribution's nginx.conf provides, with everything it writes kept in the temporary prefix.
    // One worker: its round robin is the whole balancer, so "spread over all three" cannot be luck of several workers.
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'user root;',
        'worker_processes 1;',
        `error_log ${dir}/error.log info;`,
        'events { worker_connections 256; }',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`),
        `  access_log ${dir}/default-access.log;`,
        `  include ${dir}/tijori.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${dir}/nginx.pid;`];
    execFileSync(NGINX, ['-t', ...args], { stdio: 'pipe' });
    nginx = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout?.on('data', (d) => (nginxOutput += d));
    nginx.stderr?.on('data', (d) => (nginxOutput += d));
    await until('nginx to listen', async () => {
      if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${nginxOutput}`);
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect(httpsPort, '127.0.0.1');
        socket.on('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      return ok || undefined;
    });
  });

  after(async () => {
    // A stopped process would hold SIGTERM until continued.
    for (const gateway of gateways) if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGCONT');
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      // SIGTERM, not SIGKILL: the master then stops its worker, which would otherwise be left holding the ports.
      const exited = once(nginx, 'exit');
      nginx.kill('SIGTERM');
      const guard = setTimeout(() => nginx?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(guard);
    }
    await fleet?.stopAll();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One request on a connection of its own, from `from` (default CLIENT_ADDRESS), over HTTPS to nginx unless `plain`. */
  function send(options: { method: string; path: string; headers?: Record<string, string>; body?: string; from?: string; plain?: boolean }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const common = { host: '127.0.0.1', method: options.method, path: options.path, headers: options.headers ?? {}, localAddress: options.from ?? CLIENT_ADDRESS, agent: false as const };
      const onReply = (res: http.IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      };
      const req = options.plain
        ? http.request({ ...common, port: httpPort }, onReply)
        : https.request({ ...common, port: httpsPort, ca: cert, servername: 'localhost' }, onReply);
      req.setTimeout(REQUEST_GUARD_MS, () => req.destroy(new Error(`${options.method} ${options.path} hung`)));
      req.on('error', reject);
      req.end(options.body);
    });
  }

  async function adminCall(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
    const reply = await send({
      method,
      path,
      headers: { authorization: `Bearer ${fleet?.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: reply.status, body: JSON.parse(reply.body) as Record<string, any> };
  }

  /** A fresh merchant's key, with its IP allowlist set before any process has seen (and cached) it. */
  async function newKey(allowlist?: string[]): Promise<Credentials & { merchantId: string }> {
    const created = await adminCall('POST', '/admin/v1/merchants', { name: `LB ${randomBytes(3).toString('hex')}` });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.key as Credentials;
    if (allowlist) {
      const set = await adminCall('PUT', `/admin/v1/keys/${key.api_key}/ip-allowlist`, { entries: allowlist, mode: 'enforce' });
      assert.equal(set.status, 200, JSON.stringify(set.body));
    }
    return { api_key: key.api_key, secret_key: key.secret_key, merchantId: created.body.merchant.id as string };
  }


  function signed(key: Credentials, path: string, payload: string, options: { from?: string; headers?: Record<string, string>; plain?: boolean } = {}): Promise<Reply> {
    return send({ method: 'POST', path, body: payload, headers: { ...signedHeaders(key, payload), ...options.headers }, ...(options.from ? { from: options.from } : {}), ...(options.plain ? { plain: true } : {}) });
  }

  const live = () => gateways.filter((g) => g.child.exitCode === null && g.child.signalCode === null);

  async function createsPerProcess(processes: GatewayProcess[]): Promise<number[]> {
    return Promise.all(processes.map((g) => answered(metricsPorts.get(g) as number, ORDER_CREATE, 200)));
  }

  /** Creates each process counted since `before`, once they add up to `total`: a reply is counted just after it is sent, so the last may lag the client by a moment. */
  async function createsSince(processes: GatewayProcess[], before: number[], total: number): Promise<number[]> {
    let counted: number[] = [];
    try {
      return await until(`${total} creates to be counted`, async () => {
        counted = (await createsPerProcess(processes)).map((n, i) => n - (before[i] ?? 0));
        return counted.reduce((a, b) => a + b, 0) === total ? counted : undefined;
      }, 5_000);
    } catch {
      assert.fail(`creates per process: ${counted.join(', ')}; expected ${total} in all`);
    }
  }

  it('serves signed requests over HTTPS in production mode and spreads them over all three processes', async () => {
    const key = await newKey();
    // Production mode is in force: without the proxy's word, even a request from a trusted address is refused.
    const direct = await fetch(`${gateways[0]?.base}${ORDER_CREATE}`, { method: 'POST', headers: signedHeaders(key, orderPayload('direct')), body: orderPayload('direct') });
    assert.equal(direct.status, 403);
    assert.equal(((await direct.json()) as Record<string, unknown>).error_code, 'https_required');

    const before = await createsPerProcess(gateways);
    for (let i = 0; i < 12; i++) {
      const reply = await signed(key, ORDER_CREATE, orderPayload(`spread-${i}`));
      assert.equal(reply.status, 200, reply.body);
      assert.equal(JSON.parse(reply.body).return_data.order_status, 'UN_PAID');
      assert.equal(reply.headers['strict-transport-security'], HSTS_HEADER_VALUE, 'exactly one HSTS header, nginx\'s');
    }
    const counted = await createsSince(gateways, before, 12);
    for (const n of counted) assert.ok(n >= 1, `every process answered some: ${counted.join(', ')}`);
  });

  it("hands the gateway the client's address, not its own", async () => {
    const admitted = await newKey([`${CLIENT_ADDRESS}/32`]);
    const reply = await signed(admitted, ORDER_CREATE, orderPayload('from-client'));
    assert.equal(reply.status, 200, reply.body);

    // 127.0.0.1 is where nginx connects from: were the gateway seeing the proxy, this key would work.
    const proxyOnly = await newKey(['127.0.0.1/32']);
    const refused = await signed(proxyOnly, ORDER_CREATE, orderPayload('from-proxy'));
    assert.equal(refused.status, 403, refused.body);
    const body = JSON.parse(refused.body);
    assert.equal(body.error_code, 'ip_not_allowed');
    assert.equal(body.details.client_ip, CLIENT_ADDRESS);
  });

  it('replaces a client\'s X-Forwarded-For rather than appending to it, even for a client on a trusted address', async () => {
    // From 127.0.0.1, a trusted proxy address: an appended header would read "10.1.2.3, 127.0.0.1",
    // and the gateway, skipping the trusted hop, would believe 10.1.2.3.
    const forged = { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https' };
    const privateRange = await newKey(['10.0.0.0/8']);
    const refused = await signed(privateRange, ORDER_CREATE, orderPayload('forged'), { from: '127.0.0.1', headers: forged });
    assert.equal(refused.status, 403, refused.body);
    assert.equal(JSON.parse(refused.body).details.client_ip, '127.0.0.1');

    const local = await newKey(['127.0.0.1/32']);
    const admitted = await signed(local, ORDER_CREATE, orderPayload('local'), { from: '127.0.0.1', headers: forged });
    assert.equal(admitted.status, 200, admitted.body);
  });

  it('sends browsers on plain HTTP to HTTPS and lets the gateway refuse API calls there, whatever X-Forwarded-Proto they claim', async () => {
    const page = await send({ method: 'GET', path: '/dashboard/', plain: true });
    assert.equal(page.status, 301);
    assert.match(String(page.headers.location), /^https:\/\/[^/]+\/dashboard\/$/);

    const key = await newKey();
    const reply = await signed(key, ORDER_CREATE, orderPayload('plain'), { plain: true, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(reply.status, 403, reply.body);
    assert.equal(JSON.parse(reply.body).error_code, 'https_required');
    const status = await signed(key, ORDER_STATUS, JSON.stringify({ order_id: 'plain' }));
    assert.equal(JSON.parse(status.body).error_code, 'order_not_found', 'the plain-HTTP create did not run');
  });

  it("passes a body at the gateway's limit and refuses a larger one itself, in the gateway's envelope", async () => {
    const key = await newKey();
    const padded = (size: number) => {
      const base = orderPayload('big');
      return `${base.slice(0, -1)},"order_note":"${'x'.repeat(size - base.length - 16)}"}`;
    };
    const atLimit = padded(65_536);
    assert.equal(Buffer.byteLength(atLimit), 65_536);
    const reached = await signed(key, ORDER_CREATE, atLimit);
    assert.equal(reached.status, 400, reached.body);
    assert.ok(reached.headers['x-request-id'], 'the gateway answered (its validation refuses a 65 KB note)');

    const tooLarge = await signed(key, ORDER_CREATE, padded(65_537));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.headers['x-request-id'], undefined, 'nginx answered');
    assert.equal(JSON.parse(tooLarge.body).error_code, 'payload_too_large');
  });

  it('keeps the checkout token out of its access log', async () => {
    const key = await newKey();
    const created = await signed(key, ORDER_CREATE, orderPayload('checkout'));
    const link = new URL(JSON.parse(created.body).return_data.payment_link as string);
    const token = link.pathname.split('/')[3] as string;
    const page = await send({ method: 'GET', path: link.pathname });
    assert.equal(page.status, 200);
    // nginx logs a request just after sending its reply.
    const redacted = `/checkout/${link.pathname.split('/')[2]}/[redacted]`;
    const log = await until('the checkout request to be logged', () => {
      const text = readFileSync(join(dir, 'tijori-access.log'), 'utf8');
      return text.includes(redacted) ? text : undefined;
    }, 5_000);
    assert.ok(!log.includes(token), 'the token is not logged');
  });

  it('keeps serving through the other processes when one is killed', async () => {
    const victim = gateways[2] as GatewayProcess;
    await victim.kill('SIGKILL');
    const survivors = live();
    assert.equal(survivors.length, 2);
    const key = await newKey();
    const before = await createsPerProcess(survivors);
    for (let i = 0; i < 12; i++) {
      const reply = await signed(key, ORDER_CREATE, orderPayload(`survive-${i}`));
      assert.equal(reply.status, 200, reply.body);
    }
    const counted = await createsSince(survivors, before, 12);
    for (const n of counted) assert.ok(n >= 1, `both survivors answered: ${counted.join(', ')}`);
  });

  it('does not re-send a POST to another process when the one it reached dies before answering', async () => {
    const key = await newKey();
    const processes = live();
    assert.ok(processes.length >= 2, 'needs a process to die and one to take a retry');
    const before = await createsPerProcess(processes);
    // Stopped processes take connections (the kernel accepts them) but read nothing: the
    // request sits, written, in the receive queue of whichever one nginx chose.
    for (const g of processes) g.child.kill('SIGSTOP');
    const pending = signed(key, ORDER_CREATE, orderPayload('orphan'));
    const holder = await until('the request to reach a gateway', () => {
      const ports = portsWithUnreadBytes();
      return processes.find((g) => ports.has(g.port));
    });
    const others = processes.filter((g) => g !== holder);
    // The others run again first, so a retry, were nginx to make one, would succeed.
    for (const g of others) g.child.kill('SIGCONT');
    await holder.kill('SIGKILL');

    const reply = await pending;
    assert.equal(reply.status, 502, reply.body);
    assert.equal(reply.headers['x-request-id'], undefined, 'nginx answered, not a gateway');
    const status = await signed(key, ORDER_STATUS, JSON.stringify({ order_id: 'orphan' }));
    assert.equal(JSON.parse(status.body).error_code, 'order_not_found', 'no other process executed it');
    const after = await createsPerProcess(others);
    assert.deepEqual(after, others.map((g) => before[processes.indexOf(g)]), 'no other process received it');
  });
});
