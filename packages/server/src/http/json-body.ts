import type { FastifyInstance } from 'fastify';

/** The parsed body of a request whose bytes are not JSON; refused after the signature check. */
export const INVALID_JSON: unique symbol = Symbol('invalid-json');

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received: what v1 (raw form) and v2 signatures cover. */
    rawBody: Buffer | null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The only body parser: application/json, kept as bytes for signature checks
 * and parsed once. A body that is not valid UTF-8 JSON is not refused here:
 * refusing it before the signature is checked would answer unauthenticated
 * callers, so the auth plugin refuses it (invalid_json) once the caller is known.
 * Any other Content-Type is refused by Fastify (415).
 */
export function registerJsonBody(app: FastifyInstance, bodyLimitBytes: number): void {
  app.decorateRequest('rawBody', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, function parseJsonBody(request, body, done) {
    const bytes = body as Buffer;
    request.rawBody = bytes;
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(utf8.decode(bytes)));
    } catch {
      done(null, INVALID_JSON);
    }
  });
}
