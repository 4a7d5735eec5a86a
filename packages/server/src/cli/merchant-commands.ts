import type { Command } from 'commander';
import { activityTable, keysTable, merchantFields, merchantsTable, newSecretFields } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, withConnectionOptions } from './run-admin-command.js';

/** `tijori merchant …`: wraps /admin/v1/merchants. */
export function registerMerchantCommands(program: Command): void {
  const merchant = exitTwoOnUsageErrors(program.command('merchant').description('Create, list, inspect, suspend and reactivate merchants (admin API)'));

  withConnectionOptions(
    merchant
      .command('create')
      .description('Create a merchant with its first API key; the secret is printed once')
      .requiredOption('--name <name>', "the merchant's name")
      .option('--live', 'issue a live key (pk_live_) instead of a sandbox key'),
  ).action((options: CommonOptions & { name: string; live?: boolean }) =>
    runAdminCommand(
      options,
      (client) => client.createMerchant({ name: options.name, mode: options.live ? 'live' : 'sandbox' }),
      ({ merchant: m, key }) => `Created merchant ${m.id} (${m.name}).\n\n${newSecretFields(key)}`,
    ),
  );

  withConnectionOptions(merchant.command('list').description('List merchants')).action((options: CommonOptions) =>
    runAdminCommand(options, (client) => client.listMerchants(), ({ merchants }) => merchantsTable(merchants)),
  );

  withConnectionOptions(merchant.command('show').description('Show a merchant and its keys (never their secrets)').argument('<merchant_id>', 'mer_…')).action(
    (merchantId: string, options: CommonOptions) =>
      runAdminCommand(options, (client) => client.showMerchant(merchantId), ({ merchant: m, keys }) => `${merchantFields(m)}\n${keysTable(keys)}`),
  );

  for (const [action, active, what] of [
    ['suspend', false, 'Suspend a merchant: its keys stop working at once, on every process'],
    ['activate', true, 'Reactivate a suspended merchant: its active keys work again'],
  ] as const) {
    withConnectionOptions(merchant.command(action).description(what).argument('<merchant_id>', 'mer_…')).action((merchantId: string, options: CommonOptions) =>
      runAdminCommand(
        options,
        (client) => client.setMerchantActive(merchantId, active),
        ({ merchant: m }) => `Merchant ${m.id} (${m.name}) is now ${m.status}.\n`,
      ),
    );
  }

  withConnectionOptions(
    merchant
      .command('activity')
      .description("A merchant's recent API activity: per key and client address, requests, refusals and requests from outside the allowlist")
      .argument('<merchant_id>', 'mer_…'),
  ).action((merchantId: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.merchantActivity(merchantId), ({ activity }) => activityTable(activity)),
  );
}
