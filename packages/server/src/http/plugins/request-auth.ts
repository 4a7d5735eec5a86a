import { checkTimestamp, describeSignedStrings, type TimestampCheck, type VerifyFailureCode, verifyRequest } from '@tijori/signing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyResolver, ResolvedKey } from '../../core/api-key-resolver.js';
import { ApiError } from '../../errors/api-error.js';
import type { ErrorCode } from '../../errors/catalogue.js';
import { type Clock, nowSeconds } from '../../lib/clock.js';
import type { ReplayStore } from '../../replay/replay-store.js';
import type { AuthFailureGuard } from '../../core/auth-failure-guard.js';
import type { UsageTracker } from '../../core/usage-tracker.js';
import { rateLimitHeaders } from '../../rate-limit/rate-limit-headers.js';
import { type RateLimiter, RateLimiterUnavailable } from '../../rate-limit/rate-limiter.js';
import { acceptsJson } from '../accepts-json.js';
import type { ClientAddressResolver } from '../client-address.js';
import { INVALID_JSON } from '../json-body.js';

export interface RequestAuthOptions {
  resolver: ApiKeyResolver;
  replay: ReplayStore;
  clock: Clock;
  toleranceSeconds: number;
  clientAddress: ClientAddressResolver;
  rateLimiter: RateLimiter;
  failureGuard: AuthFailureGuard;
  usage: UsageTracker;
  /** Requests per minute for keys without their own limit; null turns per-key limits off. */
  defaultRateLimitPerMinute: number | null;
  keyRotationWarningDays: number;
  keyMaxAgeDays: number | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request names, once found (even if then refused); every /api/ handler sees an authenticated one. */
    apiKey: ResolvedKey | null;
    /** The client address (socket, or X-Forwarded-For through trusted proxies only). */
    clientIp: string;
    /** Let through in report-only mode although outside the key's allowlist. */
    outsideAllowlist: boolean;
    /** Passed every check (key, signature, replay, allowlist, budget): what the handler then answers is the handler's. */
    authenticated: boolean;
  }
}

const DAY_MS = 86_400_000;

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
  const { resolver, replay, clock, toleranceSeconds, usage, failureGuard } = options;
  app.decorateRequest('apiKey', null);
  app.decorateRequest('clientIp', '');
  app.decorateRequest('outsideAllowlist', false);
  app.decorateRequest('authenticated', false);

  app.addHook('onRequest', async function authenticateHeaders(request, reply) {
    request.clientIp = options.clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for']);
    const wait = failureGuard.retryAfterSeconds(request.clientIp, clock.nowMs());
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new ApiError('too_many_auth_failures');
    }
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
    // Named before the checks below, so the audit log and the anomaly rules see which key a refused request used.
    // Handlers never see it: a refusal ends the request here.
    request.apiKey = key;
    if (key.status === 'revoked') throw new ApiError('revoked_api_key');
    if (key.merchantStatus !== 'active') throw new ApiError('merchant_suspended');
    if (options.keyMaxAgeDays !== undefined && clock.nowMs() - key.secretIssuedAtMs > options.keyMaxAgeDays * DAY_MS) throw new ApiError('expired_api_key');
    // Checked before the signature, as the seeds prescribe: an address outside the list learns nothing more.
    if (!key.allowlist.allows(request.clientIp)) {
      if (key.allowlistMode === 'enforce') {
        throw new ApiError('ip_not_allowed', `The request came from ${request.clientIp}, which is not in this API key's IP allowlist.`, { client_ip: request.clientIp });
      }
      request.outsideAllowlist = true;
    }
  });

  app.addHook('preValidation', async function verifySignature(request, reply) {
    const key = request.apiKey as ResolvedKey;
    const now = nowSeconds(clock);
    const parsedBody = request.body === INVALID_JSON || request.rawBody === null ? undefined : request.body;
    // Built field by field (no spreads): this runs on every request.
    const input = {
      secrets: key.secretValues,
      publicKeys: key.publicKeys,
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
    const result = verifyRequest({ ...input, allowedSchemes: key.allowedSchemes });
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
    if (result.secretIndex === 1 && key.previousSecretExpiresAtMs !== null && clock.nowMs() > key.previousSecretExpiresAtMs) {
      throw new ApiError('rotated_secret_expired', `This request was signed with the secret that was replaced; its overlap ended at ${new Date(key.previousSecretExpiresAtMs).toISOString()}. Sign with the new secret.`);
    }
    // replayKey: the signature for HMAC; the signed message's digest for public keys, whose signatures may be randomised.
    const fresh = await replay.claim(`${key.keyId}:${result.replayKey}`, result.timestampSeconds + toleranceSeconds, now);
    if (!fresh) throw new ApiError('replayed_request');
    await takeFromBudget(request, reply, key);
    request.authenticated = true;
    // Only a caller who proved it holds the secret learns how old the secret is.
    const ageDays = (clock.nowMs() - key.secretIssuedAtMs) / DAY_MS;
    if (ageDays > options.keyRotationWarningDays) {
      reply.header('tijori-key-warning', `secret is ${Math.floor(ageDays)} days old; roll it (policy: every ${options.keyRotationWarningDays} days)`);
    }
    if (request.body === INVALID_JSON) throw new ApiError('invalid_json');
  });

  /** After authentication, so that knowing an API key (not its secret) cannot spend a merchant's budget. */
  async function takeFromBudget(request: FastifyRequest, reply: FastifyReply, key: ResolvedKey): Promise<void> {
    if (options.defaultRateLimitPerMinute === null) return;
    const perMinute = key.rateLimitPerMinute ?? options.defaultRateLimitPerMinute;
    let decision;
    try {
      decision = await options.rateLimiter.consume(`key:${key.keyId}`, { limit: perMinute, periodSeconds: 60 }, clock.nowMs());
    } catch (err) {
      // Rate limiting protects capacity; it is not what keeps requests authentic,
      // so a limiter outage lets traffic through (logged) rather than stop payments.
      if (!(err instanceof RateLimiterUnavailable)) throw err;
      request.log.error({ err }, 'rate limiter unavailable: request not limited');
      return;
    }
    reply.headers(rateLimitHeaders(decision));
    if (!decision.allowed) throw new ApiError('rate_limited');
  }

  app.addHook('onResponse', async function countUsage(request, reply) {
    const status = reply.statusCode;
    if (request.apiKey) {
      usage.record(request.apiKey.keyId, request.clientIp, { refused: !request.authenticated, outsideAllowlist: request.outsideAllowlist || status === 403 });
    }
    // An empty clientIp means authentication never ran (e.g. refused earlier as plain HTTP): not a failed login.
    if ((status === 401 || status === 403) && request.clientIp !== '') {
      await failureGuard.recordFailure(request.clientIp, clock.nowMs()).catch((err: unknown) => request.log.warn({ err }, 'could not count an authentication failure'));
    }
  });
}
