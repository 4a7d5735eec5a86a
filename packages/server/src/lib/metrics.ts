import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What became of one webhook attempt: `retry` means another is scheduled, `failed` that the schedule is spent. */
export type WebhookOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

/** Pending webhook deliveries: `due` (a subset of `pending`) are those a dispatcher would claim now. */
export interface QueueDepth {
  due: number;
  pending: number;
}

export interface GatewayMetricsOptions {
  /** Read once per scrape (one query); absent, the queue gauges stay empty. */
  webhookQueueDepth?: () => Promise<QueueDepth>;
  /** A scrape-time read failed; the scrape still answers, without those gauges. */
  onCollectError?: (err: unknown) => void;
}

// Seconds, as Prometheus names them, with most buckets where this API lives:
// a status read takes 1-5 ms, a create 5-20 ms, anything past 1 s is an incident.
const HTTP_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// Up to the longest webhookTimeoutMs (60 s): a receiver that never answers lands in the last bucket.
const WEBHOOK_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every metric the gateway exports, in one registry of its own (never
 * prom-client's global one, so that several gateways in one process, as in
 * the tests, keep separate counts). Label values are bounded by
 * construction: route patterns, methods, statuses, catalogue error codes and
 * fixed outcome names; never a merchant, key, order or raw URL.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'route' | 'method' | 'status' | 'error_code'>;
  readonly #requestSeconds: Histogram<'route'>;
  readonly #authFailures: Counter<'reason'>;
  readonly #rateLimitRefusals: Counter<'reason'>;
  readonly #webhookAttempts: Counter<'outcome'>;
  readonly #webhookAttemptSeconds: Histogram<'outcome'>;
  readonly #securityAlerts: Counter<'rule' | 'severity'>;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: 'tijori_http_requests_total',
      help: 'HTTP requests answered, by route pattern ("unmatched" for no route), method, status and error_code ("" on success).',
      labelNames: ['route', 'method', 'status', 'error_code'],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'tijori_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its reply, by route pattern.',
      labelNames: ['route'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers,
    });
    this.#authFailures = new Counter({
      name: 'tijori_auth_failures_total',
      help: 'Requests refused by authentication (merchant signature checks, IP allowlists, the admin token), by error code.',
      labelNames: ['reason'],
      registers,
    });
    this.#rateLimitRefusals = new Counter({
      name: 'tijori_rate_limit_refusals_total',
      help: 'Requests refused with 429: rate_limited (a key over its budget) or too_many_auth_failures (an address failing authentication).',
      labelNames: ['reason'],
      registers,
    });
    this.#webhookAttempts = new Counter({
      name: 'tijori_webhook_attempts_total',
      help: 'Webhook attempts recorded by this process, by outcome: delivered, retry (another attempt scheduled), failed (schedule spent), gone (410, endpoint disabled).',
      labelNames: ['outcome'],
      registers,
    });
    this.#webhookAttemptSeconds = new Histogram({
      name: 'tijori_webhook_attempt_duration_seconds',
      help: 'Time of one webhook attempt (connect, send, reply), by outcome.',
      labelNames: ['outcome'],
      buckets: WEBHOOK_BUCKETS_SECONDS,
      registers,
    });
    this.#securityAlerts = new Counter({
      name: 'tijori_security_alerts_total',
      help: 'Security alerts raised by this process, by rule and severity (repeats folded into an alert are not counted).',
      labelNames: ['rule', 'severity'],
      registers,
    });

    const read = options.webhookQueueDepth;
    if (read) {
      // prom-client collects every metric at once; both gauges share one query per scrape.
      let inFlight: Promise<QueueDepth | undefined> | undefined;
      const depth = () =>
        (inFlight ??= read()
          .catch((err: unknown) => {
            options.onCollectError?.(err);
            return undefined;
          })
          .finally(() => {
            inFlight = undefined;
          }));
      new Gauge({
        name: 'tijori_webhook_deliveries_pending',
        help: 'Webhook deliveries waiting for an attempt (all processes: read from the database at scrape time).',
        registers,
        async collect() {
          const d = await depth();
          // A failed read exports nothing rather than a stale figure.
          if (d) this.set(d.pending);
          else this.reset();
        },
      });
      new Gauge({
        name: 'tijori_webhook_deliveries_due',
        help: 'Pending webhook deliveries whose attempt is due now on an enabled endpoint (a backlog when it stays above zero).',
        registers,
        async collect() {
          const d = await depth();
          if (d) this.set(d.due);
          else this.reset();
        },
      });
    }
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered HTTP request: the hot path, one counter and one histogram. */
  request(route: string, method: string, status: number, errorCode: string, seconds: number): void {
    this.#requests.inc({ route, method, status, error_code: errorCode });
    this.#requestSeconds.observe({ route }, seconds);
  }

  authFailure(reason: string): void {
    this.#authFailures.inc({ reason });
  }

  rateLimitRefusal(reason: string): void {
    this.#rateLimitRefusals.inc({ reason });
  }

  webhookAttempt(outcome: WebhookOutcome, seconds: number): void {
    this.#webhookAttempts.inc({ outcome });
    this.#webhookAttemptSeconds.observe({ outcome }, seconds);
  }

  securityAlert(rule: string, severity: string): void {
    this.#securityAlerts.inc({ rule, severity });
  }

  /** The Prometheus text exposition of everything above. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
