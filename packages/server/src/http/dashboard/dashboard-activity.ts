import type { FastifyInstance, FastifyRequest } from 'fastify';
import { alertView } from '../../core/security-alerts.js';
import { ApiError } from '../../errors/api-error.js';
import { acknowledgeAlert, findAlert } from '../../store/queries/security-alerts.js';
import { ALERT_PARAM, type AlertQuery, alertFilterOf, listAlertPage, QUERY as ALERT_QUERY } from '../admin/alert-admin-routes.js';
import { type AuditQuery, auditFilterOf, auditPage, FILTERS as AUDIT_FILTERS, LIMIT as AUDIT_LIMIT, limitOf as auditLimitOf, sendAuditExport } from '../admin/audit-admin-routes.js';
import type { DashboardApiDeps } from './dashboard-api.js';
import { MODE_FIELD, merchantOf, type ModeName, ownKey, storedMode } from './merchant-scope.js';

// The admin filters without merchant_id: the dashboard forces it to the user's merchant.
const { merchant_id: _auditMerchant, ...AUDIT_DASHBOARD_FILTERS } = AUDIT_FILTERS;
const { merchant_id: _alertMerchant, ...ALERT_DASHBOARD_FILTERS } = ALERT_QUERY.properties;

/**
 * The merchant's audit log (list and JSON-lines export) and security alerts
 * (list and acknowledge), through the admin routes' own filters and
 * shapes, with merchant_id forced to the signed-in user's merchant. A key_id
 * of another merchant is answered like an unknown one (key_not_found).
 */
export function dashboardActivityRoutes(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { db, clock } = deps;
  const audit = { db, flush: () => deps.integration.audit?.flush() ?? Promise.resolve() };
  const alerts = { db, clock, flush: () => deps.integration.alerts?.flush() ?? Promise.resolve() };
  const ownKeyId = (request: FastifyRequest) => async (ref: string) => (await ownKey(db, request, ref)).id;
  const auditFilter = async (request: FastifyRequest<{ Querystring: AuditQuery }>) =>
    auditFilterOf({ ...request.query, merchant_id: merchantOf(request) }, ownKeyId(request));

  app.get<{ Querystring: AuditQuery }>('/audit', {
    config: { dashboard: { permission: 'read' } },
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { ...AUDIT_DASHBOARD_FILTERS, limit: AUDIT_LIMIT } } },
    handler: async (request) => auditPage(audit, await auditFilter(request), auditLimitOf(request.query.limit)),
  });

  app.get<{ Querystring: AuditQuery }>('/audit/export', {
    config: { dashboard: { permission: 'read' } },
    schema: { querystring: { type: 'object', additionalProperties: false, properties: AUDIT_DASHBOARD_FILTERS } },
    handler: async (request, reply) => sendAuditExport(audit, await auditFilter(request), reply),
  });

  app.get<{ Querystring: AlertQuery & { mode: ModeName } }>('/alerts', {
    config: { dashboard: { permission: 'read' } },
    schema: { querystring: { type: 'object', additionalProperties: false, required: ['mode'], properties: { ...ALERT_DASHBOARD_FILTERS, mode: MODE_FIELD } } },
    handler: async (request) => {
      const { mode, ...q } = request.query;
      const filter = await alertFilterOf({ ...q, merchant_id: merchantOf(request) }, ownKeyId(request));
      return listAlertPage(alerts, { ...filter, mode: storedMode(mode) }, q.limit);
    },
  });

  app.post<{ Params: { alertId: string }; Body: { note?: string } | undefined }>('/alerts/:alertId/acknowledge', {
    config: { dashboard: { permission: 'write' } },
    schema: {
      params: ALERT_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', minLength: 1, maxLength: 500 } } },
    },
    handler: async (request) => {
      const found = await findAlert(db, request.params.alertId);
      // Another merchant's alert is answered as a missing one.
      if (!found || found.merchantId !== merchantOf(request)) throw new ApiError('alert_not_found');
      const alert = await acknowledgeAlert(db, found.id, new Date(clock.nowMs()), request.body?.note ?? null);
      if (!alert) throw new ApiError('alert_not_found');
      return { alert: alertView(alert) };
    },
  });
}
