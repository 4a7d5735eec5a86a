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

/** Whether any string (value or member name) in a parsed JSON value contains U+0000; iterative, so no nesting depth overflows it. */
function holdsNul(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\0')) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [name, member] of Object.entries(value)) {
        if (name.includes('\0')) return true;
        stack.push(member);
      }
    }
  }
  return false;
}

/**
 * The only body parser: application/json, kept as bytes for signature checks
 * and parsed once. A body that is not valid UTF-8 JSON (or, with
 * `refuseNul`, holds a string with U+0000) is not refused here:
 * refusing it before the signature is checked would answer unauthenticated
 * callers, so the auth plugin refuses it (invalid_json) once the caller is known.
 * Any other Content-Type is refused by Fastify (415).
 */
export function registerJsonBody(app: FastifyInstance, bodyLimitBytes: number, options: { refuseNul?: boolean } = {}): void {
  app.decorateRequest('rawBody', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, function parseJsonBody(request, body, done) {
    if (declaresOtherCharset(request.headers['content-type'])) {
      return done(new ApiError('unsupported_media_type', 'Content-Type must be application/json in UTF-8 (charset=utf-8 or no charset).'), undefined);
    }
    const bytes = body as Buffer;
    request.rawBody = bytes;
    done(null, parseJsonBytes(bytes, options.refuseNul ?? false));
  });
}

/**
 * The parsed value (undefined for no bytes), or INVALID_JSON for bytes that
 * are not UTF-8 JSON, or (with `refuseNul`) hold a string with U+0000.
 */
function parseJsonBytes(bytes: Buffer, refuseNul: boolean): unknown {
  if (bytes.length === 0) return undefined;
  try {
    const text = utf8.decode(bytes);
    const value: unknown = JSON.parse(text);
    // PostgreSQL text cannot hold U+0000: such a string would fail at the database as a 500. The merchant API's schemas refuse it
    // field by field (naming the field); the admin and dashboard APIs, with free-text fields, refuse it here. The substring test skips the walk.
    return refuseNul && text.includes('\\u0000') && holdsNul(value) ? INVALID_JSON : value;
  } catch {
    return INVALID_JSON;
  }
}

/**
 * The admin API's parser: the same rules, but its callers are authenticated
 * before the body is read (onRequest), so a bad body is refused at once
 * (400 invalid_json) rather than handed on.
 */
export function registerAdminJsonBody(app: FastifyInstance, bodyLimitBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, function parseAdminJsonBody(request, body, done) {
    if (declaresOtherCharset(request.headers['content-type'])) {
      return done(new ApiError('unsupported_media_type', 'Content-Type must be application/json in UTF-8 (charset=utf-8 or no charset).'), undefined);
    }
    const value = parseJsonBytes(body as Buffer, true);
    if (value === INVALID_JSON) return done(new ApiError('invalid_json'), undefined);
    done(null, value);
  });
}
