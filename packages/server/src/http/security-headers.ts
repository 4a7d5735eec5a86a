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

/**
 * The hosted checkout pages are plain HTML forms: one same-origin
 * stylesheet, no script at all (so no 'unsafe-inline' anywhere), never
 * framed (clickjacking a pay button), and forms post only back to us.
 * form-action is separate because Chromium also applies it to the redirect
 * that follows a form POST: a page whose order returns to a merchant site
 * gets that site's origin added (checkoutCspWithFormTarget).
 */
const CHECKOUT_CSP_BASE = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";
export const CHECKOUT_CSP = `${CHECKOUT_CSP_BASE}; form-action 'self'`;

// What a CSP host-source can spell (RFC 3986 reg-name letters, digits, dot,
// hyphen, and a port). URL accepts hosts with ';' or ',' in them, which
// would end the directive and inject another: such an origin is never added.
const CSP_SAFE_ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/;

/** CHECKOUT_CSP allowing the form's redirect to `origin` too; undefined when the origin cannot be written safely in a policy. */
export function checkoutCspWithFormTarget(origin: string): string | undefined {
  return CSP_SAFE_ORIGIN.test(origin) ? `${CHECKOUT_CSP_BASE}; form-action 'self' ${origin}` : undefined;
}

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
  checkout: HeaderList;
  other: HeaderList;
}

/** The sets, built once: signed API and admin replies, the docs page, the hosted checkout, and everything else (health, /openapi.json, 404s). */
export const SECURITY_HEADERS: SecurityHeaderSets = Object.freeze({
  // Merchant and operator replies hold order and key data: no cache, shared or private, may keep them.
  api: Object.freeze([...ALWAYS, ['content-security-policy', JSON_CSP], ['cache-control', 'no-store']] as const),
  docs: Object.freeze([...ALWAYS, ['content-security-policy', DOCS_CSP]] as const),
  checkout: Object.freeze([
    ['x-content-type-options', 'nosniff'],
    // Not no-referrer, on purpose: under no-referrer Chromium sends
    // `Origin: null` with the page's own form POST (Fetch's origin
    // serialisation), and the checkout's Origin check must refuse null.
    // same-origin still sends nothing to any other site, so the token in
    // the URL never leaks to the merchant's return_url or anywhere else.
    ['referrer-policy', 'same-origin'],
    ['x-frame-options', 'DENY'],
    ['content-security-policy', CHECKOUT_CSP],
    // The page shows an order's state and embeds a CSRF field: no cache may keep or replay it.
    ['cache-control', 'no-store'],
  ] as const),
  other: Object.freeze([...ALWAYS, ['content-security-policy', JSON_CSP]] as const),
});

/** Which set a request gets, from its URL alone (so 404s under /api/ are covered too). */
export function securityHeadersFor(url: string): HeaderList {
  if (url.startsWith('/api/') || url.startsWith('/admin/')) return SECURITY_HEADERS.api;
  if (url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?')) return SECURITY_HEADERS.docs;
  if (url.startsWith('/checkout/')) return SECURITY_HEADERS.checkout;
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
