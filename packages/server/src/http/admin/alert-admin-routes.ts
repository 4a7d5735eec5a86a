import type { FastifyInstance } from 'fastify';
import { ALERT_RULES } from '../../core/anomaly-detector.js';
import { alertView } from '../../core/security-alerts.js';
import { ApiError } from '../../errors/api-error.js';
import type { Clock } from '../../lib/clock.js';
import type { Db } from '../../store/db.js';
import { KEY_ID_FILTER, keyIdOf } from './key-filter.js';
import { acknowledgeAlert, type AlertFilter, findAlert, listAlerts } from '../../store/queries/security-alerts.js';

export interface AlertAdminDeps {
  db: Db;
  clock: Clock;
  /** Writes this process's pending alerts first, so a listing includes what was just observed. */
  flush(): Promise<void>;
}

export interface AlertQuery {
  merchant_id?: string;
  key_id?: string;
  rule?: string;
  state?: 'open' | 'acknowledged';
  from?: string;
  to?: string;
  limit?: string;
}

export const ALERT_PARAM = { type: 'object', required: ['alertId'], properties: { alertId: { type: 'string', pattern: '^alr_[0-9a-f]{24}$' } } } as const;

// Query strings stay strings (the app's validator neither coerces nor fills in defaults).
export const QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    merchant_id: { type: 'string', pattern: '^mer_[0-9a-f]{24}$' },
    key_id: KEY_ID_FILTER,
    rule: { type: 'string', enum: [...ALERT_RULES] },
    state: { type: 'string', enum: ['open', 'acknowledged'] },
    from: { type: 'string', format: 'date-time', description: 'first seen at or after (inclusive)' },
    to: { type: 'string', format: 'date-time', description: 'first seen before (exclusive); page back with the previous reply\'s next_to' },
    limit: { type: 'string', pattern: '^(1000|[1-9][0-9]{0,2})$', description: '1-1000, default 100' },
  },
} as const;

/**
 * Security alerts under /admin/v1, in the admin API's scope (its token check
 * applies): list (newest first, filtered), show, and acknowledge.
 */
export function alertAdminRoutes(app: FastifyInstance, deps: AlertAdminDeps): void {
  const { db } = deps;

  app.get<{ Querystring: AlertQuery }>('/admin/v1/alerts', {
    schema: { summary: 'List security alerts, newest first, by merchant, key, rule, state and time', tags: ['admin', 'alerts'], querystring: QUERY },
    handler: async (request) => listAlertPage(deps, await alertFilterOf(request.query, (ref) => keyIdOf(db, ref)), request.query.limit),
  });

  app.get<{ Params: { alertId: string } }>('/admin/v1/alerts/:alertId', {
    schema: { summary: 'Show a security alert', tags: ['admin', 'alerts'], params: ALERT_PARAM },
    handler: async (request) => {
      const alert = await findAlert(db, request.params.alertId);
      if (!alert) throw new ApiError('alert_not_found');
      return { alert: alertView(alert) };
    },
  });

  app.post<{ Params: { alertId: string }; Body: { note?: string } | undefined }>('/admin/v1/alerts/:alertId/acknowledge', {
    schema: {
      summary: 'Acknowledge a security alert (it leaves the open list; acknowledging again changes nothing)',
      tags: ['admin', 'alerts'],
      params: ALERT_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', minLength: 1, maxLength: 500 } } },
    },
    handler: async (request) => {
      const alert = await acknowledgeAlert(db, request.params.alertId, new Date(deps.clock.nowMs()), request.body?.note ?? null);
      if (!alert) throw new ApiError('alert_not_found');
      return { alert: alertView(alert) };
    },
  });
}

/** The query's filters; `resolveKey` turns a key_id given as either form into the key_… id alerts carry. */
export async function alertFilterOf(q: AlertQuery, resolveKey: (ref: string) => Promise<string>): Promise<AlertFilter> {
  const filter: AlertFilter = {};
  if (q.merchant_id !== undefined) filter.merchantId = q.merchant_id;
  if (q.key_id !== undefined) filter.keyId = await resolveKey(q.key_id);
  if (q.rule !== undefined) filter.rule = q.rule;
  if (q.state !== undefined) filter.state = q.state;
  if (q.from !== undefined) filter.from = new Date(q.from);
  if (q.to !== undefined) filter.to = new Date(q.to);
  return filter;
}

/** One page, newest first (shared with the dashboard, which forces merchant_id and mode). */
export async function listAlertPage(deps: AlertAdminDeps, filter: AlertFilter, limitText: string | undefined) {
  const limit = limitText === undefined ? 100 : Number(limitText);
  await deps.flush();
  const alerts = await listAlerts(deps.db, filter, limit);
  const last = alerts[alerts.length - 1];
  return { alerts: alerts.map(alertView), next_to: alerts.length === limit && last ? last.firstSeenAt.toISOString() : null };
}
