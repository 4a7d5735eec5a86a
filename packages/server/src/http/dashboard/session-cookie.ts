import { readCookieValues } from '../cookie-values.js';

export const SESSION_COOKIE = 'tijori_session';

// 32 random bytes in base64url: what DashboardSessions issues, and nothing else is read.
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Our session cookie's well-formed values (each is tried: see readCookieValues). */
export function readSessionTokens(header: string | undefined): string[] {
  return readCookieValues(header, SESSION_COOKIE, TOKEN);
}

/**
 * HttpOnly: no script, ours or injected, can read the token. SameSite=Strict:
 * no other site's page makes the browser send it. Path=/: the dashboard's
 * pages and its API share it. Secure, except where no HTTPS can exist (a
 * sandbox gateway on the developer's own machine, see cookieMayBeInsecure).
 * No Max-Age: the server ends sessions (idle and absolute timeouts); the
 * browser forgets the cookie when it closes.
 */
export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A browser drops a Secure cookie set over plain http, so a sandbox gateway
 * reached at http://localhost could not be signed in to. Only that case goes
 * without Secure: sandbox mode, a plain socket, and a Host naming this
 * machine's loopback (browsers treat http://localhost as a secure context).
 */
export function cookieMayBeInsecure(mode: 'sandbox' | 'production', encrypted: boolean, hostHeader: string | undefined): boolean {
  if (mode !== 'sandbox' || encrypted || !hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : (hostHeader.split(':')[0] ?? '');
  return LOCAL_HOSTS.has(host.toLowerCase());
}
