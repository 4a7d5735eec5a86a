import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerErrorHandling } from './error-handler.js';
import { createHttpsDetector, HSTS_HEADER_VALUE, registerHttpsOnly } from './https-only.js';
import { createTrustedPeerCheck } from './trusted-peer.js';

const PROXY = '10.0.0.2';
const isHttps = createHttpsDetector(createTrustedPeerCheck([PROXY, '192.0.2.0/24']));

describe('createHttpsDetector', () => {
  it('counts a TLS socket as HTTPS whatever the headers say', () => {
    assert.equal(isHttps({ encrypted: true, remoteAddress: '198.51.100.1' }, undefined), true);
    assert.equal(isHttps({ encrypted: true, remoteAddress: '198.51.100.1' }, 'http'), true);
  });

  it('believes X-Forwarded-Proto: https from a trusted proxy', () => {
    assert.equal(isHttps({ remoteAddress: PROXY }, 'https'), true);
    assert.equal(isHttps({ remoteAddress: '192.0.2.77' }, 'HTTPS'), true);
    assert.equal(isHttps({ remoteAddress: `::ffff:${PROXY}` }, 'https'), true);
  });

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', () => {
    assert.equal(isHttps({ remoteAddress: '198.51.100.1' }, 'https'), false);
    assert.equal(isHttps({ remoteAddress: undefined }, 'https'), false);
    assert.equal(createHttpsDetector(createTrustedPeerCheck([]))({ remoteAddress: PROXY }, 'https'), false);
  });

  it('refuses a trusted proxy that says http, or says nothing', () => {
    assert.equal(isHttps({ remoteAddress: PROXY }, 'http'), false);
    assert.equal(isHttps({ remoteAddress: PROXY }, undefined), false);
    assert.equal(isHttps({ remoteAddress: PROXY }, ''), false);
    assert.equal(isHttps({ remoteAddress: PROXY }, 'https-ish'), false);
  });

  it('reads the last value, the one our proxy wrote, when a proxy appends', () => {
    // The client claimed https; our proxy received plain HTTP and appended "http".
    assert.equal(isHttps({ remoteAddress: PROXY }, 'https, http'), false);
    assert.equal(isHttps({ remoteAddress: PROXY }, 'http,https'), true);
    assert.equal(isHttps({ remoteAddress: PROXY }, ['https', 'http']), false);
    assert.equal(isHttps({ remoteAddress: PROXY }, ['http', ' https ']), true);
  });
});

async function productionApp(): Promise<FastifyInstance> {
  const app = Fastify();
  registerErrorHandling(app, 1024);
  registerHttpsOnly(app, { isHttps, plainHttpRoutes: ['/healthz'] });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/api/v3/thing', async () => ({ done: true }));
  await app.ready();
  return app;
}

describe('registerHttpsOnly (production)', () => {
  it('refuses a plain-HTTP request with 403 https_required, saying to use https://', async () => {
    const app = await productionApp();
    const res = await app.inject({ method: 'POST', url: '/api/v3/thing', remoteAddress: PROXY });
    assert.equal(res.statusCode, 403);
    const body = res.json();
    assert.equal(body.error_code, 'https_required');
    assert.equal(body.status, 'failed');
    assert.match(body.message, /https:\/\//);
    assert.equal(res.headers['strict-transport-security'], undefined, 'RFC 6797 §7.2: no HSTS over plain HTTP');
  });

  it('refuses a plain-HTTP request to an unknown path too (no route probing in clear)', async () => {
    const app = await productionApp();
    const res = await app.inject({ method: 'GET', url: '/nowhere', remoteAddress: PROXY });
    assert.equal(res.json().error_code, 'https_required');
  });

  it('lets an HTTPS request through and marks the reply with HSTS', async () => {
    const app = await productionApp();
    const res = await app.inject({ method: 'POST', url: '/api/v3/thing', remoteAddress: PROXY, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['strict-transport-security'], HSTS_HEADER_VALUE);
    assert.equal(HSTS_HEADER_VALUE, 'max-age=63072000; includeSubDomains');
  });

  it('does not believe the header from a client that is not a trusted proxy', async () => {
    const app = await productionApp();
    const res = await app.inject({ method: 'POST', url: '/api/v3/thing', remoteAddress: '198.51.100.1', headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.json().error_code, 'https_required');
  });

  it('answers the listed health route over plain HTTP, for load-balancer probes, with query strings and HEAD too', async () => {
    const app = await productionApp();
    for (const [method, url] of [['GET', '/healthz'], ['GET', '/healthz?probe=1'], ['HEAD', '/healthz']] as const) {
      const res = await app.inject({ method, url, remoteAddress: '198.51.100.1' });
      assert.equal(res.statusCode, 200, `${method} ${url}`);
    }
  });

  it('does not let a path that merely starts like a health route through', async () => {
    const app = await productionApp();
    for (const url of ['/healthz/x', '/healthzz', '//healthz']) {
      const res = await app.inject({ method: 'GET', url, remoteAddress: '198.51.100.1' });
      assert.equal(res.json().error_code, 'https_required', url);
    }
  });
});
