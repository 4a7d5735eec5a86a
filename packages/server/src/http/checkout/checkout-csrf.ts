import { randomBytes } from 'node:crypto';
import type { Keyring } from '../../core/keyring.js';
import { readCookieValues } from '../cookie-values.js';

/**
 * Signed double-submit CSRF for the checkout form. The page sets a random
 * cookie and embeds HMAC(cookie, order id) as a hidden field (Keyring
 * signs); a POST must bring both, matching. A foreign site can make the
 * browser send the cookie (SameSite=Strict already stops that in current
 * browsers) but cannot read the page to learn the field, and cannot compute
 * it without the key even if it manages to plant a cookie of its own.
 */
export const CSRF_COOKIE = 'tijori_checkout';

// 32 random bytes in base64url: what newCsrfCookieValue makes, and nothing else is accepted.
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export function newCsrfCookieValue(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Our cookie's well-formed values from a Cookie header. Only this one cookie
 * is ever read, so a few lines replace a cookie-parsing plugin. There may be
 * several (one planted for a parent domain by a sibling site, say): none is
 * preferred, because a planted value only fails the signature check, and
 * picking just one would let a planted cookie lock the customer out.
 */
export function readCsrfCookies(header: string | undefined): string[] {
  return readCookieValues(header, CSRF_COOKIE, COOKIE_VALUE);
}

/**
 * HttpOnly: no script needs it (there is none). SameSite=Strict: no other
 * site's form can make the browser send it. Path=/checkout/: the API never
 * sees it. Secure when customers reach us over https (decided from the
 * public base URL: behind a TLS-terminating proxy our own socket is plain).
 * No Max-Age: it lasts the browser session, which outlives any order.
 */
export function csrfCookieHeader(value: string, secure: boolean): string {
  return `${CSRF_COOKIE}=${value}; Path=/checkout/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export interface CsrfInput {
  cookieHeader: string | undefined;
  originHeader: string | undefined;
  field: string | undefined;
  orderId: string;
}

export type CsrfCheck = { ok: true } | { ok: false; reason: 'foreign_origin' | 'missing_cookie' | 'missing_field' | 'mismatch' };

/** Builds the check once per app: the expected origin is the public base URL's. */
export function createCsrfCheck(keyring: Keyring, publicBaseUrl: string): (input: CsrfInput) => CsrfCheck {
  const expectedOrigin = new URL(publicBaseUrl).origin;
  return function checkCsrf(input) {
    // Browsers send Origin on every form POST; when it names another site
    // (or is "null": a sandboxed frame, a privacy-stripped origin) the
    // request did not come from our page, whatever else it carries.
    if (input.originHeader !== undefined && input.originHeader !== expectedOrigin) return { ok: false, reason: 'foreign_origin' };
    const cookies = readCsrfCookies(input.cookieHeader);
    if (cookies.length === 0) return { ok: false, reason: 'missing_cookie' };
    const field = input.field;
    if (!field) return { ok: false, reason: 'missing_field' };
    return cookies.some((cookie) => keyring.verifyCheckoutCsrfToken(cookie, input.orderId, field)) ? { ok: true } : { ok: false, reason: 'mismatch' };
  };
}
