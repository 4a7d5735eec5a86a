import { canonicalJson } from '@tijori/signing';
import type { Logger } from 'pino';
import { ID_PREFIX, newId } from '../lib/ids.js';
import type { Db } from '../store/db.js';
import { type AlertCandidate, type AlertRow, upsertAlerts } from '../store/queries/security-alerts.js';
import { enqueueEvents, type NewEvent } from '../store/queries/webhook-deliveries.js';
import type { Observation } from './anomaly-detector.js';
import { SECURITY_ALERT_EVENT } from './webhook-events.js';


// Distinct anomalies held between flushes; beyond it new ones are counted as dropped, never grown into.
const MAX_PENDING = 10_000;
// Flushed sooner than the interval once this many are waiting.
const FLUSH_AT = 500;

export interface SecurityAlertsOptions {
  onError(err: unknown): void;
  /** Called once per alert created (not for repeats folded into one). */
  onRaised?(alert: AlertRow): void;
}

/** The alert as merchants and operators see it: in the admin API, the CLI and the security.alert webhook. */
export function alertView(a: AlertRow) {
  return {
    alert_id: a.id,
    rule: a.rule,
    severity: a.severity,
    merchant_id: a.merchantId,
    mode: a.mode === 'test' ? 'sandbox' : 'live',
    key_id: a.keyId,
    client_ip: a.clientIp,
    summary: a.summary,
    details: a.details,
    occurrences: a.occurrences,
    first_seen_at: a.firstSeenAt.toISOString(),
    last_seen_at: a.lastSeenAt.toISOString(),
    acknowledged_at: a.acknowledgedAt?.toISOString() ?? null,
    acknowledged_note: a.acknowledgedNote,
  };
}

function alertEvent(a: AlertRow): NewEvent {
  const id = newId(ID_PREFIX.webhookEvent);
  const { acknowledged_at: _a, acknowledged_note: _n, merchant_id: _m, ...data } = alertView(a);
  const payload = canonicalJson({ event: SECURITY_ALERT_EVENT, event_id: id, created_at: a.firstSeenAt.toISOString(), data });
  return { id, merchantId: a.merchantId, mode: a.mode, type: SECURITY_ALERT_EVENT, orderId: null, payload, createdAt: a.firstSeenAt };
}

/**
 * Where observations become alerts. Repeats of one anomaly (same dedupe key)
 * are folded in memory and written in one batch per interval; a new alert's
 * row and its security.alert webhook events are written in one transaction,
 * so an alert is announced exactly when it is stored. Repeats found already
 * stored (by another process, or before a restart) only add occurrences.
 *
 * At a crash, observations not yet flushed (at most one interval's) are lost:
 * the anomaly, if it goes on, is observed again.
 */
export class SecurityAlerts {
  #pending = new Map<string, AlertCandidate>();
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: SecurityAlertsOptions,
  ) {}

  raise(o: Observation): void {
    const seen = this.#pending.get(o.dedupeKey);
    if (seen) {
      seen.occurrences++;
      if (o.at > seen.lastSeenAt) seen.lastSeenAt = o.at;
      return;
    }
    if (this.#pending.size >= MAX_PENDING) {
      this.#dropped++;
      return;
    }
    this.#pending.set(o.dedupeKey, {
      id: newId(ID_PREFIX.securityAlert),
      merchantId: o.merchantId,
      mode: o.mode,
      keyId: o.keyId,
      rule: o.rule,
      severity: o.severity,
      clientIp: o.clientIp,
      summary: o.summary,
      details: o.details,
      dedupeKey: o.dedupeKey,
      occurrences: 1,
      firstSeenAt: o.at,
      lastSeenAt: o.at,
    });
    if (this.#pending.size >= FLUSH_AT) void this.flush();
  }

  /** Writes what is waiting; concurrent calls run one after another. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    if (this.#dropped > 0) {
      this.logger.error({ dropped: this.#dropped }, 'too many distinct anomalies at once: some observations were not recorded');
      this.#dropped = 0;
    }
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    let created: AlertRow[];
    try {
      created = await this.db.transaction(async (tx) => {
        const rows = await upsertAlerts(tx, batch);
        await enqueueEvents(tx, rows.map(alertEvent));
        return rows;
      });
    } catch (err) {
      // Put back what was not written (newer repeats merged in), to try again next interval.
      for (const c of batch) {
        const later = this.#pending.get(c.dedupeKey);
        if (later) {
          later.occurrences += c.occurrences;
          later.firstSeenAt = c.firstSeenAt;
          later.id = c.id;
        } else if (this.#pending.size < MAX_PENDING) this.#pending.set(c.dedupeKey, c);
      }
      this.options.onError(err);
      return;
    }
    for (const alert of created) {
      this.logger.warn({ alert: { id: alert.id, rule: alert.rule, severity: alert.severity, merchant_id: alert.merchantId, key_id: alert.keyId, client_ip: alert.clientIp } }, `security alert: ${alert.summary}`);
      this.options.onRaised?.(alert);
    }
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
