import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import type { TrustedPeerCheck } from './trusted-peer.js';

/**
 * Two years, subdomains included: long enough that a browser which has seen
 * the gateway once never tries plain HTTP to it again (and to its
 * subdomains, where a cookie-stealing plain-HTTP sibling could otherwise
 * live). No `preload`: that is a commitment the operator makes for the whole
 * domain, not one software should make for them.
 */
export const HSTS_HEADER_VALUE = 'max-age=63072000; includeSubDomains';

/** What the transport tells us: whether the socket is TLS, and who is at its other end. */
export interface SocketView {
  encrypted?: boolean;
  remoteAddress?: string | undefined;
}

/** True when the request reached us over HTTPS, as far as we can know. */
export type HttpsDetector = (socket: SocketView, forwardedProto: string | string[] | undefined) => boolean;

/**
 * Decides whether a request arrived over HTTPS. A TLS socket is proof. A
 * plain socket counts only when its peer is one of our TLS-terminating
 * proxies and that proxy says `X-Forwarded-Proto: https`; from anyone else
 * the header is the client's own claim and is ignored. Of several values
 * (a proxy that appends rather than overwrites) the last is the one our
 * proxy wrote: the scheme of the hop it received.
 */
export function createHttpsDetector(isTrustedPeer: TrustedPeerCheck): HttpsDetector {
  return function arrivedOverHttps(socket, forwardedProto) {
    if (socket.encrypted === true) return true;
    if (forwardedProto === undefined || !isTrustedPeer(socket.remoteAddress)) return false;
    const text = Array.isArray(forwardedProto) ? (forwardedProto[forwardedProto.length - 1] ?? '') : forwardedProto;
    return text.slice(text.lastIndexOf(',') + 1).trim().toLowerCase() === 'https';
  };
}

export interface HttpsOnlyOptions {
  isHttps: HttpsDetector;
  /** Route URLs (as registered, e.g. "/healthz") still answered over plain HTTP. */
  plainHttpRoutes: readonly string[];
}

/**
 * Production's transport rule, registered at the root so that it runs before
 * any authentication: a request that did not arrive over HTTPS is refused
 * (403 https_required) before its API key or signature is looked at, and
 * every HTTPS reply carries Strict-Transport-Security. The header is not
 * sent on plain-HTTP replies: RFC 6797 §7.2 forbids it there, and a browser
 * ignores it anyway. The signature has already crossed the network in clear
 * by then; refusing still stops the request from taking effect and tells the
 * integrator, loudly, to fix the URL before a secret-bearing habit sets in.
 */
export function registerHttpsOnly(app: FastifyInstance, options: HttpsOnlyOptions): void {
  const { isHttps } = options;
  const plainHttpRoutes = new Set(options.plainHttpRoutes);
  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onRequest', function requireHttps(request, reply, done) {
    if (isHttps(request.socket, request.headers['x-forwarded-proto'])) {
      reply.header('strict-transport-security', HSTS_HEADER_VALUE);
      done();
    } else if (request.routeOptions.url !== undefined && plainHttpRoutes.has(request.routeOptions.url)) {
      done();
    } else {
      done(new ApiError('https_required'));
    }
  });
}
