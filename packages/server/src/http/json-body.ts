import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error.js';

/** The parsed body of a request whose bytes are not JSON; refused after the signature check. */
export const INVALID_JSON: unique symbol = Symbol('invalid-json');

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received: what v1 (raw form) and v2 signatures cover. */
    rawBody: Buffer | null;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** JSON is UTF-8 (RFC 8259); a body declared in another charset would be misread, so it is refused. */
function declaresOtherCharset(contentType: string | undefined): boolean {
  const charset = contentType ? CHARSET.exec(contentType)?.[1] : undefined;
  return charset !== undefined && !/^utf-?8$/i.test(charset);
}

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
    if (declaresOtherCharset(request.headers['content-type'])) {
      return done(new ApiError('unsupported_media_type', 'Content-Type must be application/json in UTF-8 (charset=utf-8 or no charset).'), undefined);
    }
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
