/**
 * When to try a request again, and how long to wait first.
 *
 * Retried: no reply (a network error or a timeout), 429, and 5xx. Nothing
 * else: a 4xx other than 429 says the request itself is wrong, and sending
 * it again changes nothing. Every attempt is signed afresh (http-client.ts).
 */

/** The defaults, and the bounds the options are checked against. */
export const RETRY_DEFAULTS = {
  maxRetries: 2,
  // 0.5 s, 1 s, 2 s, ... doubled per retry up to 8 s: most 5xx and dropped
  // connections are over within a second or two, and a caller waits no more than ~20 s in all.
  initialDelayMs: 500,
  maxDelayMs: 8000,
  // A Retry-After longer than this is not waited out: the call fails with it
  // (TijoriRateLimitError.retryAfter) so the caller can reschedule the work.
  maxRetryAfterMs: 60_000,
} as const;

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The wait before retry number `retry` (1 for the first): exponential, capped,
 * with "equal jitter": half the step fixed, half random, so that clients that
 * failed together do not retry together, and no wait is ever near zero.
 */
export function backoffDelayMs(retry: number, random: () => number): number {
  const step = Math.min(RETRY_DEFAULTS.maxDelayMs, RETRY_DEFAULTS.initialDelayMs * 2 ** (retry - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from now: delay-seconds or
 * an HTTP-date. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
