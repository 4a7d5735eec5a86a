import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { BACKENDS } from '../test-support/backends.js';
import { startTestGateway, type TestGateway } from '../test-support/test-gateway.js';
import { DASHBOARD_CSP, DEFAULT_DASHBOARD_DIST, registerDashboardStatic } from './dashboard-static.js';
import { JSON_CSP } from './security-headers.js';

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function builtIndex(): string {
  const path = join(DEFAULT_DASHBOARD_DIST, 'index.html');
  // A missing build is a broken checkout of the suite, not a pass: `npm test` builds first.
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (it builds packages/dashboard) before these tests.`);
  return readFileSync(path, 'utf8');
}

/** The URLs of every script and stylesheet index.html loads. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
}

describe('the built dashboard page has nothing inline, so its policy needs no unsafe-inline', () => {
  it('index.html has no inline script, no <style> element and no style= or on*= attribute', () => {
    const html = builtIndex();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'index.html loads the app with a <script src>');
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', /\bsrc="\/dashboard\/assets\//, 'every script is a file under /dashboard/assets/ (the modulepreload polyfill is inline: vite.config.ts turns it off)');
      assert.equal((body ?? '').trim(), '', 'no script has an inline body');
    }
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /javascript:/i);
  });

  it('the build is only files: the page, and hashed scripts and stylesheets under assets/', () => {
    const html = builtIndex();
    const assets = readdirSync(join(DEFAULT_DASHBOARD_DIST, 'assets'));
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')));
    for (const name of assets) assert.match(name, /-[A-Za-z0-9_-]{8}\.(js|css|svg|png|woff2)$/, `${name} carries a content hash (it is served as immutable)`);
    for (const url of assetUrls(html)) assert.ok(assets.includes(url.replace('/dashboard/assets/', '')), `${url} is in the build`);
  });

  it('the stylesheet loads nothing from elsewhere', () => {
    for (const name of readdirSync(join(DEFAULT_DASHBOARD_DIST, 'assets')).filter((a) => a.endsWith('.css'))) {
      const css = readFileSync(join(DEFAULT_DASHBOARD_DIST, 'assets', name), 'utf8');
      assert.doesNotMatch(css, /@import|url\(\s*['"]?(https?:)?\/\//i);
    }
  });
});

describe('GET /dashboard serves the built page under its own policy', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway(BACKENDS[0]!);
  });
  after(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.gateway.app.inject({ method: 'GET', url, headers });

  for (const url of ['/dashboard', '/dashboard/', '/dashboard/security', '/dashboard/sign-in?next=%2Fkeys']) {
    it(`${url} answers index.html with the dashboard CSP, same-origin referrers and no cache`, async () => {
      const res = await get(url);
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.body, builtIndex());
      assert.equal(res.headers['content-security-policy'], EXPECTED_CSP);
      assert.equal(DASHBOARD_CSP, EXPECTED_CSP);
      assert.equal(res.headers['referrer-policy'], 'same-origin');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['cache-control'], 'no-cache');
    });
  }

  it('revalidating index.html with its ETag is a 304', async () => {
    const first = await get('/dashboard/');
    const again = await get('/dashboard/', { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  it('serves every script and stylesheet of the page with its type, cached for a year as immutable', async () => {
    const urls = assetUrls(builtIndex());
    assert.ok(urls.length >= 2);
    for (const url of urls) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('a missing asset is a 404, never the page (a browser would run HTML as a script)', async () => {
    for (const url of ['/dashboard/assets/index-00000000.js', '/dashboard/favicon.ico', '/dashboard/robots.txt']) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /<html/i);
    }
  });

  it('no URL reaches a file outside the build', async () => {
    const attempts = [
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/%2e%2e/package.json',
      '/dashboard/assets/..%2f..%2f..%2fpackage.json',
      '/dashboard/..%5c..%5cpackage.json',
      '/dashboard/assets/%2e%2e/index.html/../../../server/package.json',
      '/dashboard//etc/passwd',
      '/dashboard/%252e%252e/package.json',
    ];
    for (const url of attempts) {
      const res = await get(url);
      assert.doesNotMatch(res.body, /"name":\s*"@tijori|root:x:0/, `${url} leaked a file`);
      if (res.statusCode === 200) assert.equal(res.body, builtIndex(), `${url} answered something other than the page`);
    }
  });

  it('leaves /dashboard/api/ to the dashboard API: an unknown path there is a JSON 404, not the page', async () => {
    const res = await get('/dashboard/api/no-such-route-here');
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers['content-type']), /application\/json/);
  });

  it('does not change the headers of /api/ or /admin/ replies', async () => {
    for (const url of ['/api/v3/pg/order/status/x', '/admin/v1/merchants']) {
      const res = await get(url);
      assert.equal(res.headers['content-security-policy'], JSON_CSP, url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(res.headers['cache-control'], 'no-store', url);
    }
  });
});

describe('a gateway whose dashboard was never built', () => {
  it('answers /dashboard with a 503 JSON error that says to run npm run build, rather than failing to start', async () => {
    const app = Fastify();
    registerDashboardStatic(app, { distDir: mkdtempSync(join(tmpdir(), 'tijori-no-dashboard-')) });
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/security', '/dashboard/assets/index-abc.js']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 503, url);
      const body = res.json() as { error_code: string; message: string };
      assert.equal(body.error_code, 'service_unavailable');
      assert.match(body.message, /npm run build/);
    }
    await app.close();
  });
});
