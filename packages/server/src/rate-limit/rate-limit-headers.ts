import type { RateLimitDecision } from './rate-limiter.js';

/**
 * Response headers for a decision, as in the IETF draft
 * draft-ietf-httpapi-ratelimit-headers (the RateLimit-Limit / -Remaining /
 * -Reset form): integer seconds, never a date, so a client with a wrong clock
 * still waits the right time. Retry-After (RFC 9110) only on a refusal, where
 * it tells the client when one request will be allowed; RateLimit-Reset is
 * when the whole bucket is full again, usually later.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return headers;
}
