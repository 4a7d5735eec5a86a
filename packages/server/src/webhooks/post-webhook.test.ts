import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ManualClock } from '../lib/clock.js';
import { freePort } from '../test-support/free-port.js';
import { parseRetryAfter, postWebhook, type ResolvedAddress, type WebhookRequest, type WebhookResponse } from './post-webhook.js';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Receiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  received: Received[];
}

const servers: Server[] = [];

/** A real HTTP receiver on 127.0.0.1 that records every request it reads in full before handing it on. */
async function receiver(reply: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok')): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, body: Buffer.concat(chunks) });
    reply(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, port, received };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    // Drops the sockets of receivers that never answer, so close() can finish.
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function post(overrides: Partial<WebhookRequest> & { url: string }): Promise<WebhookResponse> {
  return postWebhook({ headers: {}, body: '{"type":"payment.succeeded"}', timeoutMs: 5_000, policy: 'sandbox', ...overrides });
}

function response(result: WebhookResponse): Extract<WebhookResponse, { kind: 'response' }> {
  assert.equal(result.kind, 'response', result.kind === 'error' ? `${result.code}: ${result.message}` : '');
  return result as Extract<WebhookResponse, { kind: 'response' }>;
}

function error(result: WebhookResponse): Extract<WebhookResponse, { kind: 'error' }> {
  assert.equal(result.kind, 'error', result.kind === 'response' ? `got HTTP ${result.statusCode}` : '');
  return result as Extract<WebhookResponse, { kind: 'error' }>;
}

/** A resolver stub that answers every name with the given addresses and counts its calls. */
function resolverOf(...addresses: string[]) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

/** Counts client sockets opened while `work` runs: the proof that a refusal came before any connection. */
async function socketsOpenedDuring(work: () => Promise<unknown>): Promise<number> {
  let opened = 0;
  const count = () => opened++;
  subscribe('net.client.socket', count);
  try {
    await work();
  } finally {
    unsubscribe('net.client.socket', count);
  }
  return opened;
}

describe('postWebhook: replies', () => {
  it('records a 2xx reply, keeping only the first 1024 bytes of a 1 MB body', async () => {
    const { origin } = await receiver((_req, res) => res.end('x'.repeat(1024 * 1024)));
    const result = response(await post({ url: `${origin}/hook` }));
    assert.equal(result.statusCode, 200);
    assert.equal(result.body, 'x'.repeat(1024));
    assert.equal(result.retryAfterSeconds, undefined);
    assert.ok(Number.isInteger(result.latencyMs) && result.latencyMs >= 0);
    assert.equal('location' in result, false);
  });

  it('keeps up to maxResponseBytes, cutting before a character split by the cap', async () => {
    const { origin } = await receiver((_req, res) => res.end('é'.repeat(100))); // 2 bytes each
    assert.equal(response(await post({ url: origin, maxResponseBytes: 5 })).body, 'éé');
    assert.equal(response(await post({ url: origin, maxResponseBytes: 0 })).body, '');
  });

  it('keeps a short body whole', async () => {
    const { origin } = await receiver((_req, res) => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end('accepted ✓');
    });
    const result = response(await post({ url: origin }));
    assert.equal(result.statusCode, 202);
    assert.equal(result.body, 'accepted ✓');
  });

  it('reads Retry-After in seconds from a 503', async () => {
    const { origin } = await receiver((_req, res) => {
      res.writeHead(503, { 'retry-after': '120' });
      res.end('busy');
    });
    const result = response(await post({ url: origin }));
    assert.equal(result.statusCode, 503);
    assert.equal(result.retryAfterSeconds, 120);
  });

  it('reads Retry-After as an HTTP-date against the injected clock', async () => {
    const { origin } = await receiver((_req, res) => {
      res.writeHead(429, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end();
    });
    const clock = new ManualClock(Date.UTC(2015, 9, 21, 7, 26, 30));
    assert.equal(response(await post({ url: origin, clock })).retryAfterSeconds, 90);
  });

  it('does not follow a redirect: a 302 is just a non-2xx reply', async () => {
    const target = await receiver();
    const { origin } = await receiver((_req, res) => {
      res.writeHead(302, { location: `${target.origin}/elsewhere` });
      res.end();
    });
    const result = response(await post({ url: origin }));
    assert.equal(result.statusCode, 302);
    assert.equal(target.received.length, 0);
  });

  it('delivers the body and headers byte for byte', async () => {
    const rx = await receiver();
    const body = '{"amount":"₹1,000.50","note":"tab\\there, emoji 🧾, nul \\u0000"}  \n';
    const headers = { 'webhook-id': 'evt_01J9Z', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,abc=', 'X-Tijori-Event': 'payment.succeeded' };
    response(await post({ url: `${rx.origin}/hooks/tijori?shop=7`, headers, body }));
    const [got] = rx.received;
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hooks/tijori?shop=7');
    assert.deepEqual(got.body, Buffer.from(body, 'utf8'));
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['user-agent'], 'Tijori-Webhooks/0.1');
    assert.equal(got.headers['transfer-encoding'], undefined);
    for (const [name, value] of Object.entries(headers)) {
      const at = got.rawHeaders.indexOf(name);
      assert.ok(at >= 0 && at % 2 === 0, `${name} arrives with its own spelling`);
      assert.equal(got.rawHeaders[at + 1], value);
    }
  });

  it('keeps the caller’s content-type and user-agent but always sends the body’s own length', async () => {
    const rx = await receiver();
    const body = '{"a":"é"}';
    response(await post({ url: rx.origin, body, headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Shop/2', 'Content-Length': '1' } }));
    const [got] = rx.received;
    assert.equal(got?.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got?.headers['user-agent'], 'Shop/2');
    assert.equal(got?.headers['content-length'], String(Buffer.byteLength(body)));
    assert.deepEqual(got?.body, Buffer.from(body));
  });
});

describe('postWebhook: failures are values', () => {
  it('times out on a receiver that never answers', async () => {
    const rx = await receiver(() => {});
    const result = error(await post({ url: rx.origin, timeoutMs: 200 }));
    assert.equal(result.code, 'timeout');
    assert.equal(rx.received.length, 1, 'the request did arrive');
  });

  it('times out on a body that never ends, even after the status line', async () => {
    const { origin } = await receiver((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    assert.equal(error(await post({ url: origin, timeoutMs: 200 })).code, 'timeout');
  });

  it('reports a closed port as connection_failed', async () => {
    const port = await freePort();
    const result = error(await post({ url: `http://127.0.0.1:${port}/` }));
    assert.equal(result.code, 'connection_failed');
    assert.match(result.message, /ECONNREFUSED/);
  });

  it('reports DNS failures as dns_failed', async () => {
    const notFound = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
    };
    assert.equal(error(await post({ url: 'https://nowhere.example/', resolve: notFound })).code, 'dns_failed');
    assert.equal(error(await post({ url: 'https://nowhere.example/', resolve: resolverOf().resolve })).code, 'dns_failed');
    const throwsAtOnce = (): Promise<ResolvedAddress[]> => {
      throw new Error('resolver bug');
    };
    assert.equal(error(await post({ url: 'https://nowhere.example/', resolve: throwsAtOnce })).code, 'dns_failed');
  });

  it('counts a resolver that never answers against the timeout', async () => {
    const hangs = () => new Promise<ResolvedAddress[]>(() => {});
    assert.equal(error(await post({ url: 'https://slow-dns.example/', resolve: hangs, timeoutMs: 200 })).code, 'timeout');
  });

  it('refuses http:// in production before connecting', async () => {
    const rx = await receiver();
    const result = error(await post({ url: rx.origin, policy: 'production' }));
    assert.equal(result.code, 'insecure_scheme');
    assert.equal(rx.received.length, 0);
  });

  it('refuses a URL the registration check would refuse', async () => {
    assert.equal(error(await post({ url: 'https://user:pw@hooks.example/' })).code, 'credentials_in_url');
    assert.equal(error(await post({ url: 'not a url' })).code, 'invalid_url');
  });

  it('throws for a programming error, not a network one', async () => {
    await assert.rejects(post({ url: 'https://hooks.example/', timeoutMs: 0 }), RangeError);
    await assert.rejects(post({ url: 'https://hooks.example/', maxResponseBytes: -1 }), RangeError);
  });
});

describe('postWebhook: SSRF', () => {
  for (const address of ['169.254.169.254', '10.0.0.1', 'fd00::1', '::ffff:169.254.169.254']) {
    it(`refuses a hostname resolving to ${address} without opening a connection`, async () => {
      const { resolve, calls } = resolverOf(address);
      for (const policy of ['production', 'sandbox'] as const) {
        let result: WebhookResponse | undefined;
        const opened = await socketsOpenedDuring(async () => (result = await post({ url: 'https://evil.example/hook', resolve, policy })));
        assert.equal(error(result as WebhookResponse).code, 'forbidden_address');
        assert.match((result as { message: string }).message, new RegExp(`evil\\.example resolves to ${address.replaceAll('.', '\\.')}`));
        assert.equal(opened, 0);
      }
      assert.deepEqual(calls, ['evil.example', 'evil.example']);
    });
  }

  it('refuses a hostname with one public and one private address', async () => {
    for (const addresses of [['8.8.8.8', '10.0.0.1'], ['10.0.0.1', '8.8.8.8'], ['2606:4700::1111', '169.254.169.254']]) {
      let result: WebhookResponse | undefined;
      const opened = await socketsOpenedDuring(async () => (result = await post({ url: 'https://mixed.example/', resolve: resolverOf(...addresses).resolve, policy: 'production' })));
      assert.equal(error(result as WebhookResponse).code, 'forbidden_address', addresses.join(', '));
      assert.equal(opened, 0);
    }
  });

  it('refuses an allowed address listed beside a forbidden one, and the allowed host sees nothing', async () => {
    const rx = await receiver();
    const result = error(await post({ url: `http://mixed.example:${rx.port}/`, resolve: resolverOf('127.0.0.1', '10.0.0.1').resolve }));
    assert.equal(result.code, 'forbidden_address');
    assert.equal(rx.received.length, 0);
  });

  it('refuses loopback resolved for a production endpoint', async () => {
    const result = error(await post({ url: 'https://rebind.example/', resolve: resolverOf('127.0.0.1').resolve, policy: 'production' }));
    assert.equal(result.code, 'forbidden_address');
  });

  it('refuses a forbidden literal host without DNS', async () => {
    const { resolve, calls } = resolverOf('8.8.8.8');
    for (const url of ['https://169.254.169.254/latest/meta-data/', 'https://[::ffff:a9fe:a9fe]/', 'https://2852039166/']) {
      assert.equal(error(await post({ url, resolve })).code, 'forbidden_address', url);
    }
    assert.deepEqual(calls, []);
  });

  it('connects to the checked address, resolving once, and keeps the hostname in the Host header', async () => {
    const rx = await receiver();
    // hooks.test exists in no DNS: the request can only arrive through the pinned address.
    const { resolve, calls } = resolverOf('127.0.0.1');
    const opened = await socketsOpenedDuring(async () => response(await post({ url: `http://hooks.test:${rx.port}/in`, resolve })));
    assert.equal(opened, 1, 'one socket per attempt, and the socket counter the refusal tests rely on sees it');
    assert.deepEqual(calls, ['hooks.test']);
    assert.equal(rx.received[0]?.headers.host, `hooks.test:${rx.port}`);
  });

  it('falls back to the next checked address when the first refuses the connection', async () => {
    // localhost often resolves to ::1 first while a developer's receiver listens on 127.0.0.1 only.
    const rx = await receiver();
    const { resolve, calls } = resolverOf('::1', '127.0.0.1');
    response(await post({ url: `http://localhost:${rx.port}/`, resolve }));
    assert.deepEqual(calls, ['localhost']);
    assert.equal(rx.received.length, 1);
  });

  it('does not consult the resolver for a literal address', async () => {
    const rx = await receiver();
    const { resolve, calls } = resolverOf('10.0.0.1');
    response(await post({ url: `${rx.origin}/`, resolve }));
    assert.deepEqual(calls, []);
    assert.equal(rx.received.length, 1);
  });
});

describe('postWebhook: TLS', () => {
  let dir: string;
  let tls: { cert: Buffer; key: Buffer };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tijori-post-webhook-'));
    // Self-signed, so no client trusts it: the handshake must fail as tls_failed.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=hooks.test', '-addext', 'subjectAltName=DNS:hooks.test'], { stdio: 'ignore' });
    tls = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('presents the original hostname for SNI while dialling the pinned address, and reports an untrusted certificate as tls_failed', async () => {
    const sniNames: string[] = [];
    let requests = 0;
    const server = createTlsServer(
      {
        ...tls,
        SNICallback: (name, done) => {
          sniNames.push(name);
          done(null, undefined);
        },
      },
      (_req, res) => {
        requests++;
        res.end('ok');
      },
    );
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };

    const result = error(await post({ url: `https://hooks.test:${port}/`, resolve: resolverOf('127.0.0.1').resolve }));
    assert.equal(result.code, 'tls_failed');
    assert.match(result.message, /certificate/);
    assert.deepEqual(sniNames, ['hooks.test']);
    assert.equal(requests, 0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0); // Wed, 21 Oct 2015 07:28:00 GMT

  it('reads delta-seconds, with surrounding whitespace', () => {
    assert.equal(parseRetryAfter('120', now), 120);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
  });

  it('clamps a negative count to 0', () => {
    assert.equal(parseRetryAfter('-30', now), 0);
  });

  it('reads all three HTTP-date forms, rounding up to whole seconds', () => {
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:30:00 GMT', now), 120);
    assert.equal(parseRetryAfter('Wednesday, 21-Oct-15 07:30:00 GMT', now), 120);
    assert.equal(parseRetryAfter('Wed Oct 21 07:30:00 2015', now), 120);
    assert.equal(parseRetryAfter('Wed Oct  1 07:30:00 2015', Date.UTC(2015, 9, 1, 7, 29, 0)), 60);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:01 GMT', now + 500), 1);
  });

  it('clamps a date in the past to 0', () => {
    assert.equal(parseRetryAfter('Tue, 20 Oct 2015 07:28:00 GMT', now), 0);
  });

  it('ignores garbage rather than guessing', () => {
    for (const value of [undefined, '', 'soon', '1.5', '120s', '1e3', '2015-10-21T07:30:00Z', 'Wed, 31 Feb 2015 07:30:00 GMT', 'Wed, 21 Oct 2015 25:30:00 GMT', 'Wed, 21 Oct 2015 07:30:00 PST', '9'.repeat(400)]) {
      assert.equal(parseRetryAfter(value, now), undefined, JSON.stringify(value));
    }
  });
});
