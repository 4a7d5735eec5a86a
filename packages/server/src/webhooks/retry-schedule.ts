/**
 * Seconds to wait after each failed attempt before the next: attempt 1 goes
 * at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 24 h, 24 h. Ten
 * attempts over about 3 days 4 hours, long enough to outlast a weekend
 * outage at the merchant (Standard Webhooks' and Svix's schedule, extended).
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400];

// Each wait is stretched by up to this fraction, at random, so that deliveries
// that failed together (a merchant outage) do not all retry in the same second.
const JITTER = 0.2;

// A receiver's Retry-After is honoured up to a day: longer would let one
// reply push a delivery past the rest of the schedule.
export const MAX_RETRY_AFTER_SECONDS = 86400;

/** "5,300,1800" → [5, 300, 1800]; the config schema has already checked the form. */
export function parseRetrySchedule(text: string): number[] {
  return text.split(',').map((part) => Number(part.trim()));
}

/**
 * How long to wait after failed attempt `attemptNumber` (1-based), or
 * undefined when it was the last. Never earlier than the published delay,
 * nor than the receiver's Retry-After.
 */
export function retryDelayMs(schedule: readonly number[], attemptNumber: number, random: () => number, retryAfterSeconds?: number): number | undefined {
  const base = schedule[attemptNumber - 1];
  if (base === undefined) return undefined;
  const jittered = base * 1000 * (1 + JITTER * random());
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000;
  return Math.round(Math.max(jittered, asked));
}
