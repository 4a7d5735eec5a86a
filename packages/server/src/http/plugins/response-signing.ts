import { contentDigest, signResponse } from '@tijori/signing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ActiveSigningKey } from '../../core/response-signing-keys.js';
import { type Clock, nowSeconds } from '../../lib/clock.js';

export interface ResponseSigningOptions {
  /** The key to sign with, read on every reply (main.ts swaps it after a rotation). */
  keys: { active(): ActiveSigningKey };
  clock: Clock;
  /** Which replies to sign, from the request URL. Default: everything under /api/. */
  signs?: (url: string) => boolean;
}

const underApi = (url: string): boolean => url.startsWith('/api/');

// What RFC 9421 can put in a signature base: one line of printable ASCII. A
// request whose X-SIGNATURE is anything else was refused as malformed anyway.
const PRINTABLE_ASCII = /^[\x20-\x7e]{1,1024}$/;

function requestSignature(request: FastifyRequest): string | undefined {
  const value = request.headers['x-signature'];
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text !== undefined && PRINTABLE_ASCII.test(text) ? text : undefined;
}

/**
 * Signs every reply under /api/ with the gateway's Ed25519 key (RFC 9421):
 * Content-Digest over the exact bytes sent, then Signature-Input and
 * Signature over the status, that digest and the request's X-SIGNATURE.
 *
 * Registered on the root, not in the merchant API's scope, and chosen by
 * URL: Fastify runs a scope's onSend hooks only for its own routes, so a 404
 * for an unknown /api/ path (the root's not-found handler) and refusals by
 * root hooks (https_required) would otherwise leave unsigned. onSend runs
 * after the error handler has rendered its envelope, so refusals by
 * request-auth and validation errors are signed like any other reply.
 * Nothing may change the payload after this hook; every other hook that
 * touches replies sets headers only. Replies to URLs Fastify cannot route
 * run no hook: the returned function signs them, called from the app's
 * frameworkErrors handler.
 */
export function registerResponseSigning(app: FastifyInstance, options: ResponseSigningOptions): (request: FastifyRequest, reply: FastifyReply, body: string) => void {
  const { keys, clock } = options;
  const signs = options.signs ?? underApi;

  function signInto(request: FastifyRequest, reply: FastifyReply, body: string | Buffer): void {
    try {
      const digest = contentDigest(body);
      const key = keys.active();
      // Synchronous: about 40 to 60 µs of Ed25519 on the event loop. crypto.sign's callback form would move it to
      // libuv's thread pool, which the webhook dispatcher's dns.lookup calls share: a slow resolver could then hold
      // every API reply. A dedicated worker thread is the way to take it off the loop.
      const signature = signResponse({
        status: reply.statusCode,
        contentDigest: digest,
        requestSignature: requestSignature(request),
        keyId: key.keyId,
        privateKey: key.privateKey,
        created: nowSeconds(clock),
      });
      reply.header('content-digest', digest);
      reply.header('signature-input', signature['signature-input']);
      reply.header('signature', signature.signature);
    } catch (err) {
      // Only a programmer error lands here. The reply still goes out: unsigned, it fails the merchant's check, which is the safe side.
      request.log.error({ err }, 'could not sign the reply');
    }
  }

  // A callback hook, not async: it runs on every reply and needs no promise.
  app.addHook('onSend', function signReply(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) {
    if (!signs(request.url)) return done(null, payload);
    let body: string | Buffer;
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) body = payload;
    else if (payload === null || payload === undefined) body = '';
    else {
      // Our replies are strings; a stream would have to be buffered to be digested.
      request.log.warn('reply body is a stream: sent without a response signature');
      return done(null, payload);
    }
    signInto(request, reply, body);
    done(null, payload);
  });

  // For replies no hook sees (a URL Fastify cannot route): the frameworkErrors handler signs its body through this.
  return function signUnhookedReply(request, reply, body) {
    if (signs(request.url)) signInto(request, reply, body);
  };
}
