import type { Command } from 'commander';
import { ALERT_RULES } from '../core/anomaly-detector.js';
import { alertFields, alertsTable } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';

interface ListOptions extends CommonOptions {
  merchant?: string;
  key?: string;
  rule?: string;
  open?: boolean;
  acknowledged?: boolean;
  from?: string;
  to?: string;
  limit?: string;
}

/** `tijori alert …`: security alerts raised by the anomaly rules (/admin/v1/alerts). */
export function registerAlertCommands(program: Command): void {
  const alert = exitTwoOnUsageErrors(program.command('alert').description('Security alerts: bursts of bad signatures, revoked or expired keys in use, requests from outside allowlists or new addresses, request-rate spikes'));

  withConnectionOptions(
    alert
      .command('list')
      .description('Alerts, newest first')
      .option('--merchant <id>', 'only this merchant (mer_…)')
      .option('--key <key>', 'only this key (pk_test_…, pk_live_… or key_…)')
      .option('--rule <rule>', `only this rule: ${ALERT_RULES.join(', ')}`)
      .option('--open', 'only alerts not acknowledged yet')
      .option('--acknowledged', 'only acknowledged alerts')
      .option('--from <time>', 'first seen at or after (ISO 8601)')
      .option('--to <time>', 'first seen before (ISO 8601)')
      .option('--limit <n>', '1-1000 (default 100)'),
  ).action((options: ListOptions) => {
    if (options.open && options.acknowledged) return usageError('--open and --acknowledged exclude each other.');
    if (options.rule !== undefined && !(ALERT_RULES as readonly string[]).includes(options.rule)) return usageError(`--rule: one of ${ALERT_RULES.join(', ')}.`);
    if (options.limit !== undefined && !/^(1000|[1-9][0-9]{0,2})$/.test(options.limit)) return usageError('--limit: a whole number from 1 to 1000.');
    return runAdminCommand(
      options,
      (client) =>
        client.listAlerts({
          merchant_id: options.merchant,
          key_id: options.key,
          rule: options.rule,
          state: options.open ? 'open' : options.acknowledged ? 'acknowledged' : undefined,
          from: options.from,
          to: options.to,
          limit: options.limit === undefined ? undefined : Number(options.limit),
        }),
      ({ alerts, next_to }) => alertsTable(alerts) + (next_to ? `More: add --to ${next_to}\n` : ''),
    );
  });

  withConnectionOptions(alert.command('show').description('One alert in full').argument('<alert-id>', 'alr_…')).action((alertId: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.showAlert(alertId), ({ alert: a }) => alertFields(a)),
  );

  withConnectionOptions(
    alert.command('ack').description('Acknowledge an alert: it leaves the open list').argument('<alert-id>', 'alr_…').option('--note <text>', 'what was done (up to 500 characters)'),
  ).action((alertId: string, options: CommonOptions & { note?: string }) =>
    runAdminCommand(options, (client) => client.acknowledgeAlert(alertId, options.note), ({ alert: a }) => `Acknowledged ${a.alert_id} at ${a.acknowledged_at}.\n`),
  );
}
