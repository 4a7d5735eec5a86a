import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.js';
import type { Mode } from '../lib/ids.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { AlertSeverity } from '../store/queries/security-alerts.js';

/** The rules, by the stable names alerts carry (documented in README "Anomaly alerts"). */
export const ALERT_RULES = ['signature_failures', 'outside_allowlist', 'revoked_key_used', 'expired_key_used', 'new_address', 'request_rate_spike'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface AnomalyThresholds {
  /** This many failed signatures for one key within `signatureFailureWindowSeconds` raise an alert (at least 2). */
  signatureFailures: number;
  signatureFailureWindowSeconds: number;
  /** A repeating rule (all but new_address) raises at most one alert per subject per this many seconds; repeats count as occurrences. */
  repeatSeconds: number;
  /** Alert when a key is used successfully from an address it never was before (the first address a key is used from is its baseline). */
  newAddress: boolean;
  /** A merchant's requests in one minute at least this many times its average over the baseline minutes... */
  rateSpikeFactor: number;
  /** ...and at least this many, raise request_rate_spike. */
  rateSpikeMinPerMinute: number;
  rateBaselineMinutes: number;
}

/** One answered /api/ request, as far as authentication got. */
export interface RequestOutcome {
  /** The key the request named, once found (revoked and expired ones included); null when unknown or never read. */
  key: { keyId: string; apiKey: string; merchantId: string; mode: Mode } | null;
  clientIp: string;
  /** Passed authentication (whatever the handler then answered): the key was used, not just named. */
  authenticated: boolean;
  errorCode: string | null;
  /** Let through although outside the key's allowlist (report-only mode). */
  outsideAllowlist: boolean;
}

/** An anomaly seen once; the alert store folds repeats with the same dedupe key into one alert. */
export interface Observation {
  rule: AlertRule;
  severity: AlertSeverity;
  merchantId: string;
  mode: Mode;
  keyId: string | null;
  clientIp: string | null;
  summary: string;
  details: Record<string, unknown>;
  dedupeKey: string;
  at: Date;
}

export interface AnomalyDetectorDeps {
  clock: Clock;
  /** Counts signature failures per key; the Redis limiter makes the count one across processes. */
  limiter: RateLimiter;
  /** The addresses a key has been used from successfully, from the usage table (every process's flushed counts). */
  knownAddresses(keyId: string, limit: number): Promise<readonly string[]>;
  raise(observation: Observation): void;
  onError(err: unknown): void;
}

// Failures that mean "someone holds the API key but not its current secret".
const SIGNATURE_FAILURES = new Set(['invalid_signature', 'malformed_signature', 'rotated_secret_expired']);
// Beyond this many addresses, "never seen" stops meaning anything for a key: the rule stands aside for it.
const MAX_ADDRESSES_PER_KEY = 1000;
// Keys whose addresses are held in memory; the least recently used are re-read when next seen.
const MAX_KEYS_TRACKED = 10_000;
const MAX_MERCHANTS_TRACKED = 100_000;
const MINUTE_MS = 60_000;

interface RateWindow {
  minute: number;
  count: number;
  /** Requests in each of the last rateBaselineMinutes complete minutes, oldest first. */
  history: number[];
  alertedMinute: number;
}

/**
 * Watches every answered /api/ request and reports anomalies to `raise`.
 * `observe` runs after the reply is sent and never waits: counting is in
 * memory, except signature failures (the shared limiter) and the first look
 * at a key's known addresses (one query per key, then cached).
 *
 * Per-process by design where noted: the request-rate baseline is each
 * process's own share of a merchant's traffic, which behind a load balancer
 * rises and falls with the whole.
 */
export class AnomalyDetector {
  readonly #addresses = new LRUCache<string, Set<string> | Promise<Set<string>>>({ max: MAX_KEYS_TRACKED });
  readonly #rates = new Map<string, RateWindow>();
  readonly #startMinute: number;
  // Rule work still running after observe returned (the limiter, address look-ups), so idle() can wait for it.
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly thresholds: AnomalyThresholds,
    private readonly deps: AnomalyDetectorDeps,
  ) {
    this.#startMinute = Math.floor(deps.clock.nowMs() / MINUTE_MS);
  }

  observe(outcome: RequestOutcome): void {
    const key = outcome.key;
    if (!key) return;
    const nowMs = this.deps.clock.nowMs();
    const code = outcome.errorCode;
    if (code !== null && SIGNATURE_FAILURES.has(code)) this.#countSignatureFailure(outcome, key, nowMs);
    else if (code === 'ip_not_allowed' || outcome.outsideAllowlist) this.#outsideAllowlist(outcome, key, nowMs);
    else if (code === 'revoked_api_key') this.#keyRefused('revoked_key_used', 'revoked', outcome, key, nowMs);
    else if (code === 'expired_api_key') this.#keyRefused('expired_key_used', 'expired', outcome, key, nowMs);
    if (outcome.authenticated && this.thresholds.newAddress) this.#checkAddress(outcome.clientIp, key, nowMs);
    this.#countRate(key, nowMs);
  }

  /** Resolves when every observation made so far has been judged (and raised, if it is an anomaly). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(work: Promise<unknown>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #window(nowMs: number): number {
    return Math.floor(nowMs / (this.thresholds.repeatSeconds * 1000));
  }

  #raise(o: Omit<Observation, 'at'>, nowMs: number): void {
    this.deps.raise({ ...o, at: new Date(nowMs) });
  }

  #countSignatureFailure(outcome: RequestOutcome, key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    const { signatureFailures: n, signatureFailureWindowSeconds: seconds } = this.thresholds;
    // A bucket of n-1 that refills over the window: the n-th failure in quick succession, or a sustained n per window, is refused.
    const policy = { limit: n - 1, periodSeconds: seconds, burst: n - 1 };
    const judged = this.deps.limiter.consume(`alert:sigfail:${key.keyId}`, policy, nowMs).then(
      (decision) => {
        if (decision.allowed) return;
        this.#raise(
          {
            rule: 'signature_failures',
            severity: 'high',
            merchantId: key.merchantId,
            mode: key.mode,
            keyId: key.keyId,
            clientIp: outcome.clientIp,
            summary: `${n} or more requests with a wrong signature for ${key.apiKey} within ${seconds} s: someone may hold the API key without its secret, or an integration signs wrongly.`,
            details: { api_key: key.apiKey, threshold: n, window_seconds: seconds, last_error_code: outcome.errorCode },
            dedupeKey: `signature_failures:${key.keyId}:${this.#window(nowMs)}`,
          },
          nowMs,
        );
      },
      (err: unknown) => this.deps.onError(err),
    );
    this.#track(judged);
  }

  #outsideAllowlist(outcome: RequestOutcome, key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    const refused = outcome.errorCode === 'ip_not_allowed';
    this.#raise(
      {
        rule: 'outside_allowlist',
        severity: refused ? 'high' : 'medium',
        merchantId: key.merchantId,
        mode: key.mode,
        keyId: key.keyId,
        clientIp: outcome.clientIp,
        summary: refused
          ? `A request for ${key.apiKey} came from ${outcome.clientIp}, outside the key's IP allowlist, and was refused.`
          : `A request for ${key.apiKey} came from ${outcome.clientIp}, outside the key's IP allowlist; it was let through because the allowlist is in report-only mode.`,
        details: { api_key: key.apiKey, allowlist_enforced: refused },
        dedupeKey: `outside_allowlist:${key.keyId}:${outcome.clientIp}:${this.#window(nowMs)}`,
      },
      nowMs,
    );
  }

  #keyRefused(rule: 'revoked_key_used' | 'expired_key_used', state: string, outcome: RequestOutcome, key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    this.#raise(
      {
        rule,
        severity: rule === 'revoked_key_used' ? 'high' : 'medium',
        merchantId: key.merchantId,
        mode: key.mode,
        keyId: key.keyId,
        clientIp: outcome.clientIp,
        summary: `The ${state} API key ${key.apiKey} was used from ${outcome.clientIp}; the request was refused.`,
        details: { api_key: key.apiKey },
        dedupeKey: `${rule}:${key.keyId}:${outcome.clientIp}:${this.#window(nowMs)}`,
      },
      nowMs,
    );
  }

  #checkAddress(ip: string, key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    const known = this.#addresses.get(key.keyId);
    if (known instanceof Set) {
      this.#judgeAddress(known, ip, key, nowMs);
      return;
    }
    const loading =
      known ??
      this.deps.knownAddresses(key.keyId, MAX_ADDRESSES_PER_KEY).then(
        (list) => {
          const set = new Set(list);
          this.#addresses.set(key.keyId, set);
          return set;
        },
        (err: unknown) => {
          this.#addresses.delete(key.keyId);
          throw err;
        },
      );
    if (!known) this.#addresses.set(key.keyId, loading);
    this.#track(
      loading.then(
        (set) => this.#judgeAddress(set, ip, key, nowMs),
        (err: unknown) => this.deps.onError(err),
      ),
    );
  }

  #judgeAddress(known: Set<string>, ip: string, key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    if (known.has(ip) || known.size >= MAX_ADDRESSES_PER_KEY) return;
    const baseline = known.size === 0;
    known.add(ip);
    if (baseline) return;
    this.#raise(
      {
        rule: 'new_address',
        severity: 'medium',
        merchantId: key.merchantId,
        mode: key.mode,
        keyId: key.keyId,
        clientIp: ip,
        summary: `The API key ${key.apiKey} was used successfully from ${ip}, an address it had never been used from.`,
        details: { api_key: key.apiKey, known_addresses: known.size - 1 },
        // Once per key and address, ever: a second process (or a restart) that has not yet seen it raises nothing new.
        dedupeKey: `new_address:${key.keyId}:${ip}`,
      },
      nowMs,
    );
  }

  #countRate(key: NonNullable<RequestOutcome['key']>, nowMs: number): void {
    const { rateBaselineMinutes: baselineMinutes, rateSpikeFactor, rateSpikeMinPerMinute } = this.thresholds;
    const minute = Math.floor(nowMs / MINUTE_MS);
    const id = `${key.merchantId}:${key.mode}`;
    let w = this.#rates.get(id);
    if (!w) {
      if (this.#rates.size >= MAX_MERCHANTS_TRACKED) this.#pruneRates(minute);
      // A merchant first seen now was quiet in every minute this process watched.
      w = { minute, count: 0, history: new Array<number>(baselineMinutes).fill(0), alertedMinute: -1 };
      this.#rates.set(id, w);
    } else if (minute > w.minute) {
      const quiet = Math.min(minute - w.minute - 1, baselineMinutes);
      w.history.push(w.count, ...new Array<number>(quiet).fill(0));
      w.history.splice(0, w.history.length - baselineMinutes);
      w.minute = minute;
      w.count = 0;
    }
    w.count++;
    // Until this process has watched a whole baseline, it cannot tell a rise from its own start.
    if (minute - this.#startMinute < baselineMinutes || w.alertedMinute === minute) return;
    const average = w.history.reduce((a, b) => a + b, 0) / baselineMinutes;
    const threshold = Math.max(rateSpikeMinPerMinute, Math.ceil(rateSpikeFactor * average));
    if (w.count < threshold) return;
    w.alertedMinute = minute;
    this.#raise(
      {
        rule: 'request_rate_spike',
        severity: 'medium',
        merchantId: key.merchantId,
        mode: key.mode,
        keyId: null,
        clientIp: null,
        summary: `${w.count} requests in the current minute against an average of ${average.toFixed(1)} per minute over the previous ${baselineMinutes} (this gateway process).`,
        details: { requests_this_minute: w.count, baseline_per_minute: Number(average.toFixed(2)), baseline_minutes: baselineMinutes, factor: rateSpikeFactor },
        dedupeKey: `request_rate_spike:${key.merchantId}:${key.mode}:${this.#window(nowMs)}`,
      },
      nowMs,
    );
  }

  #pruneRates(minute: number): void {
    for (const [id, w] of this.#rates) if (minute - w.minute > this.thresholds.rateBaselineMinutes) this.#rates.delete(id);
    if (this.#rates.size >= MAX_MERCHANTS_TRACKED) this.#rates.clear();
  }
}
