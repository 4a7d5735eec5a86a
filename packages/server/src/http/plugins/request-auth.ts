import { checkTimestamp, describeSignedStrings, type TimestampCheck, type VerifyFailureCode, verifyRequest } from '@tijori/signing';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyResolver, ResolvedKey } from '../../core/api-key-resolver.js';
import { ApiError } from '../../errors/api-error.js';
import type { ErrorCode } from '../../errors/catalogue.js';
import { type Clock, nowSeconds } from '../../lib/clock.js';
import type { ReplayStore } from '../../replay/replay-store.js';
import { acceptsJson } from '../accepts-json.js';
import { INVALID_JSON } from '../json-body.js';

export interface RequestAuthOptions {
  resolver: ApiKeyResolver;
  replay: ReplayStore;
  clock: Clock;
  toleranceSeconds: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated API key; set for every /api/ handler. */
    apiKey: ResolvedKey | null;
  }
}

const AUTH_HEADERS = ['x-api-key', 'x-timestamp', 'x-signature'] as const;

const VERIFY_TO_ERROR: Record<VerifyFailureCode, ErrorCode> = {
  missing_signature: 'missing_auth_header',
  missing_timestamp: 'missing_auth_header',
  malformed_signature: 'malformed_signature',
  malformed_timestamp: 'malformed_timestamp',
  timestamp_in_milliseconds: 'timestamp_in_milliseconds',
  timestamp_outside_window: 'timestamp_outside_window',
  unsupported_version: 'unsupported_signature_version',
  scheme_not_allowed: 'signature_scheme_not_allowed',
  signature_mismatch: 'invalid_signature',
};

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function timestampError(check: Extract<TimestampCheck, { ok: false }>, now: number): ApiError {
  // The server's time lets an integrator see clock skew at once; it is no secret.
  return new ApiError(VERIFY_TO_ERROR[check.code], check.message, { server_time: now });
}

/**
 * Authenticates every request in its scope, in the order that costs an
 * attacker most and us least: headers and clock first (no I/O), then the key
 * (cached), then the signature over the body, then the replay claim. Nothing
 * reaches a handler unless all pass.
 */
export function registerRequestAuth(app: FastifyInstance, options: RequestAuthOptions): void {
  const { resolver, replay, clock, toleranceSeconds } = options;
  app.decorateRequest('apiKey', null);

  app.addHook('onRequest', async function authenticateHeaders(request) {
    if (!acceptsJson(request.headers.accept)) throw new ApiError('not_acceptable');
    const missing = AUTH_HEADERS.filter((name) => !header(request, name));
    if (missing.length > 0) {
      const names = missing.map((m) => m.toUpperCase());
      throw new ApiError('missing_auth_header', `Missing ${names.join(', ')}. Every /api/ call needs X-API-KEY, X-TIMESTAMP and X-SIGNATURE.`, {
        missing_headers: names,
      });
    }
    const now = nowSeconds(clock);
    const timestamp = checkTimestamp(header(request, 'x-timestamp'), now, toleranceSeconds);
    if (!timestamp.ok) throw timestampError(timestamp, now);

    const key = await resolver.resolve(header(request, 'x-api-key') as string);
    if (!key) throw new ApiError('unknown_api_key', 'The API key is not recognised. Check X-API-KEY, and that a sandbox key (pk_test_) is not sent to live or the reverse.');
    if (key.status === 'revoked') throw new ApiError('revoked_api_key');
    if (key.merchantStatus !== 'active') throw new ApiError('merchant_suspended');
    request.apiKey = key;
  });

  app.addHook('preValidation', async function verifySignature(request) {
    const key = request.apiKey as ResolvedKey;
    const now = nowSeconds(clock);
    const parsedBody = request.body === INVALID_JSON || request.rawBody === null ? undefined : request.body;
    // Built field by field (no spreads): this runs on every request.
    const input = {
      secrets: key.secretValues,
      signature: header(request, 'x-signature'),
      timestamp: header(request, 'x-timestamp'),
      version: header(request, 'x-signature-version'),
      rawBody: request.rawBody ?? '',
      parsedBody,
      method: request.method,
      path: request.url,
      nowSeconds: now,
      toleranceSeconds,
    };
    const result = verifyRequest(input);
    if (!result.ok) {
      if (result.code === 'signature_mismatch' && key.mode === 'test') {
        // Sandbox only: show what we signed (body as hash and length) so the
        // integrator can diff it against their own string. Never in live mode,
        // where it would help an attacker probe.
        throw new ApiError('invalid_signature', result.message, { signed_strings: describeSignedStrings(input), server_time: now });
      }
      const details = result.code.startsWith('timestamp') ? { server_time: now } : undefined;
      throw new ApiError(VERIFY_TO_ERROR[result.code], result.message, details);
    }
    const fresh = await replay.claim(`${key.keyId}:${result.signature}`, result.timestampSeconds + toleranceSeconds, now);
    if (!fresh) throw new ApiError('replayed_request');
    if (request.body === INVALID_JSON) throw new ApiError('invalid_json');
  });
}
