import type { FastifyInstance } from 'fastify';

/**
 * The API answers JSON only: nothing in a reply should ever load, run or be
 * framed, so the policy allows nothing at all. It matters if a reply is ever
 * opened in a browser, e.g. an error that echoes part of the request.
 */
export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The API reference (swagger-ui under /docs) loads its own scripts, styles
 * and the spec from this origin and nothing else; its page has no inline
 * script or style (@fastify/swagger-ui's static/csp.json lists no hashes),
 * so it works without 'unsafe-inline'. data: images are swagger-ui's inline
 * SVG icons; no validator badge is fetched (validatorUrl is null).
 */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'";

type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

const ALWAYS: HeaderList = [
  // Browsers must not guess a type: a JSON error echoing input is not HTML.
  ['x-content-type-options', 'nosniff'],
  // Payment-link URLs carry tokens; they must not leak to other sites as a Referer.
  ['referrer-policy', 'no-referrer'],
  // For browsers that predate CSP frame-ancestors: no clickjacking by framing.
  ['x-frame-options', 'DENY'],
];

export interface SecurityHeaderSets {
  api: HeaderList;
  docs: HeaderList;
  other: HeaderList;
}

/** The three sets, built once: signed API and admin replies, the docs page, and everything else (health, /openapi.json, 404s). */
export const SECURITY_HEADERS: SecurityHeaderSets = Object.freeze({
  // Merchant and operator replies hold order and key data: no cache, shared or private, may keep them.
  api: Object.freeze([...ALWAYS, ['content-security-policy', JSON_CSP], ['cache-control', 'no-store']] as const),
  docs: Object.freeze([...ALWAYS, ['content-security-policy', DOCS_CSP]] as const),
  other: Object.freeze([...ALWAYS, ['content-security-policy', JSON_CSP]] as const),
});

/** Which set a request gets, from its URL alone (so 404s under /api/ are covered too). */
export function securityHeadersFor(url: string): HeaderList {
  if (url.startsWith('/api/') || url.startsWith('/admin/')) return SECURITY_HEADERS.api;
  if (url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?')) return SECURITY_HEADERS.docs;
  return SECURITY_HEADERS.other;
}

/**
 * Sets the security headers on every reply, errors included, in one onRequest
 * hook: the sets are precomputed, so a request costs a prefix test and four
 * or five header writes. Registered at the root before any route or plugin
 * so that every scope inherits it. Strict-Transport-Security is not here: it
 * belongs to replies that went out over HTTPS (see https-only.ts).
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onRequest', function setSecurityHeaders(request, reply, done) {
    for (const [name, value] of securityHeadersFor(request.url)) reply.header(name, value);
    done();
  });
}
