import { performance } from 'node:perf_hooks';
import { signWebhook } from '@tijori/signing';
import type { Logger } from 'pino';
import type { Keyring } from '../core/keyring.js';
import { webhookSecretContext } from '../core/webhook-endpoints.js';
import { operatorEvent, recordEvents } from '../core/webhook-events.js';
import type { Clock } from '../lib/clock.js';
import type { WebhookOutcome } from '../lib/metrics.js';
import { ID_PREFIX, newId } from '../lib/ids.js';
import type { Db } from '../store/db.js';
import { type ClaimedDelivery, claimDueDeliveries, type DeliveryStatus, recordAttempt } from '../store/queries/webhook-deliveries.js';
import { activeSecrets, type DisabledReason, disableEndpoint, recordEndpointHealth } from '../store/queries/webhook-endpoints.js';
import { postWebhook, type WebhookResponse } from './post-webhook.js';
import { retryDelayMs } from './retry-schedule.js';
import type { EndpointPolicy } from './ssrf-guard.js';

export interface DispatcherOptions {
  /** Per attempt: connect, send, and the receiver's reply headers and start of body. */
  timeoutMs: number;
  /** Seconds between attempts (see retry-schedule.ts). */
  scheduleSeconds: readonly number[];
  /** Attempts in flight at once in this process; a hanging receiver holds only its own slot. */
  concurrency: number;
  /** Attempts in flight at once for any one endpoint in this process, so that one endpoint that hangs can never take every slot; default 5. */
  concurrencyPerEndpoint?: number;
  /** How often to look for due deliveries when nothing woke the dispatcher. */
  pollIntervalMs: number;
  policy: EndpointPolicy;
  /** An endpoint failing without a single success for this long is disabled. */
  disableAfterFailingMs: number;
  random?: () => number;
  /** The HTTP side; injectable so tests can observe what would be sent. */
  post?: typeof postWebhook;
  /** Called after each attempt is recorded (metrics); must not throw. */
  onAttempt?: (attempt: { outcome: WebhookOutcome; latencyMs: number }) => void;
}

// A claimed attempt that is not recorded within its timeout plus this margin
// is presumed lost with its process, and becomes due again for anyone.
const LEASE_MARGIN_MS = 60_000;
// A receiver that hangs holds a slot for the whole timeout: this many at most per endpoint, the rest serve the others.
const DEFAULT_CONCURRENCY_PER_ENDPOINT = 5;

/**
 * Delivers webhooks from the durable queue (webhook_deliveries): claims due
 * deliveries with SKIP LOCKED, signs each attempt at send time with every
 * secret then in force, posts it, records the attempt and schedules the
 * next. Several dispatchers (threads of one process, or many processes on
 * one PostgreSQL) never hold the same delivery at once.
 */
export class WebhookDispatcher {
  readonly #db: Db;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #o: Required<DispatcherOptions>;
  #inFlight = new Set<Promise<void>>();
  /** Attempts in flight per endpoint id, for the per-endpoint cap (entries leave at zero). */
  #inFlightByEndpoint = new Map<string, number>();
  #stopped = true;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(db: Db, keyring: Keyring, clock: Clock, logger: Logger, options: DispatcherOptions) {
    this.#db = db;
    this.#keyring = keyring;
    this.#clock = clock;
    this.#log = logger;
    this.#o = { random: Math.random, post: postWebhook, onAttempt: () => {}, concurrencyPerEndpoint: DEFAULT_CONCURRENCY_PER_ENDPOINT, ...options };
  }

  /** Claims what is due (up to the free slots) and delivers it; resolves when those attempts are recorded. Returns how many. */
  async deliverDue(limit = this.#o.concurrency): Promise<number> {
    const claimed = await this.#claim(limit);
    await Promise.all(claimed.map((d) => this.#track(d)));
    return claimed.length;
  }

  /** Delivers until nothing is due (tests, and draining at shutdown). */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.deliverDue(); n > 0; n = await this.deliverDue()) total += n;
    return total;
  }

  /** Something was just enqueued: look now instead of at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops claiming; attempts in flight finish and are recorded (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let claimed = 0;
      const free = this.#o.concurrency - this.#inFlight.size;
      if (free > 0) {
        try {
          const batch = await this.#claim(free);
          claimed = batch.length;
          for (const d of batch) void this.#track(d);
        } catch (err) {
          this.#log.warn({ err }, 'could not claim webhook deliveries; retrying at the next poll');
        }
      }
      // A full batch means more may be due: go round again at once (when a slot is free).
      if (claimed > 0 && claimed === free) {
        await Promise.race([new Promise((r) => setImmediate(r)), ...(this.#inFlight.size >= this.#o.concurrency ? this.#inFlight : [])]);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.pollIntervalMs);
        timer.unref();
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Claims a batch and reads, in one more statement, the secrets in force for its endpoints. */
  async #claim(limit: number): Promise<Array<ClaimedDelivery & { secrets: string[] }>> {
    const now = this.#clock.nowMs();
    const busy = [...this.#inFlightByEndpoint].map(([endpointId, inFlight]) => ({ endpointId, inFlight }));
    const claimed = await claimDueDeliveries(this.#db, new Date(now), new Date(now + this.#o.timeoutMs + LEASE_MARGIN_MS), limit, this.#o.concurrencyPerEndpoint, busy);
    if (claimed.length === 0) return [];
    const secrets = new Map<string, string[]>();
    for (const s of await activeSecrets(this.#db, [...new Set(claimed.map((d) => d.endpointId))], new Date(now))) {
      const list = secrets.get(s.endpointId) ?? [];
      list.push(await this.#keyring.unseal(s.secretEnc, webhookSecretContext(s.id)));
      secrets.set(s.endpointId, list);
    }
    return claimed.map((d) => ({ ...d, secrets: secrets.get(d.endpointId) ?? [] }));
  }

  #track(d: ClaimedDelivery & { secrets: string[] }): Promise<void> {
    this.#inFlightByEndpoint.set(d.endpointId, (this.#inFlightByEndpoint.get(d.endpointId) ?? 0) + 1);
    const p = this.#attempt(d)
      .catch((err) => this.#log.error({ err, delivery: d.id }, 'webhook attempt failed to run; its lease will expire and it will be retried'))
      .finally(() => {
        const left = (this.#inFlightByEndpoint.get(d.endpointId) ?? 1) - 1;
        if (left > 0) this.#inFlightByEndpoint.set(d.endpointId, left);
        else this.#inFlightByEndpoint.delete(d.endpointId);
        this.#inFlight.delete(p);
        this.#wake?.();
      });
    this.#inFlight.add(p);
    return p;
  }

  async #attempt(d: ClaimedDelivery & { secrets: string[] }): Promise<void> {
    const attemptedAt = new Date(this.#clock.nowMs());
    const secrets = d.secrets;
    const started = performance.now();
    let result: WebhookResponse;
    if (secrets.length === 0) {
      // Cannot happen through our API (a roll always adds one); never send unsigned.
      result = { kind: 'error', code: 'connection_failed', message: 'the endpoint has no secret in force', latencyMs: 0 };
    } else {
      const headers = {
        ...signWebhook({ secrets, eventId: d.eventId, timestamp: Math.floor(attemptedAt.getTime() / 1000), body: d.payload }),
        'content-type': 'application/json',
        'user-agent': 'Tijori-Webhooks/0.1',
        'x-tijori-event': d.eventType,
        'x-tijori-delivery': d.id,
        'x-tijori-attempt': String(d.attemptNumber),
      };
      result = await this.#o.post({ url: d.url, headers, body: d.payload, timeoutMs: this.#o.timeoutMs, policy: this.#o.policy, clock: this.#clock });
    }
    const latencyMs = Math.round(result.kind === 'response' ? result.latencyMs : performance.now() - started);
    const now = new Date(this.#clock.nowMs());
    const delivered = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.kind === 'response' && result.statusCode === 410;
    let status: DeliveryStatus = 'delivered';
    let nextAttemptAt = now;
    if (!delivered) {
      const delay = gone ? undefined : retryDelayMs(this.#o.scheduleSeconds, d.attemptNumber, this.#o.random, result.kind === 'response' ? result.retryAfterSeconds : undefined);
      status = delay === undefined ? 'failed' : 'pending';
      nextAttemptAt = delay === undefined ? now : new Date(now.getTime() + delay);
    }
    await recordAttempt(
      this.#db,
      {
        id: newId(ID_PREFIX.webhookAttempt),
        deliveryId: d.id,
        attemptNumber: d.attemptNumber,
        attemptedAt,
        statusCode: result.kind === 'response' ? result.statusCode : null,
        errorCode: result.kind === 'error' ? result.code : null,
        latencyMs,
        responseBody: result.kind === 'response' ? result.body : null,
      },
      { status, nextAttemptAt, deliveredAt: delivered ? now : null },
    );
    this.#o.onAttempt({ outcome: delivered ? 'delivered' : gone ? 'gone' : status === 'failed' ? 'failed' : 'retry', latencyMs });
    // The endpoint's health changes only at the edges of a failing run: a success after a success writes nothing.
    const failingSince = delivered === (d.failingSince === null) ? d.failingSince : await recordEndpointHealth(this.#db, d.endpointId, delivered, attemptedAt);
    if (gone) await this.#disable(d, 'gone', now);
    else if (failingSince && now.getTime() - failingSince.getTime() >= this.#o.disableAfterFailingMs) await this.#disable(d, 'failing', now);
    const outcome = result.kind === 'response' ? { status_code: result.statusCode } : { error: result.code };
    if (delivered) this.#log.info({ delivery: d.id, event: d.eventId, attempt: d.attemptNumber, latency_ms: latencyMs }, 'webhook delivered');
    else this.#log.warn({ delivery: d.id, event: d.eventId, endpoint: d.endpointId, attempt: d.attemptNumber, ...outcome, next: status === 'pending' ? nextAttemptAt.toISOString() : null }, 'webhook attempt failed');
  }

  async #disable(d: ClaimedDelivery, reason: DisabledReason, at: Date): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const owner = await disableEndpoint(tx, d.endpointId, reason, at);
      if (owner) await recordEvents(tx, [operatorEvent(owner.merchantId, owner.mode, 'webhook_endpoint.disabled', { endpoint_id: d.endpointId, reason }, at)]);
    });
    this.#log.warn({ endpoint: d.endpointId, reason }, 'webhook endpoint disabled');
  }
}
