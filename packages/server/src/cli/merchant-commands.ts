import type { Command } from 'commander';
import { activityTable, customerOrdersTable, keysTable, merchantFields, merchantsTable, newSecretFields } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';

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

  withConnectionOptions(
    merchant
      .command('erase')
      .description("Crypto-shred a merchant: destroy its data key so its customers' data and its secrets can never be decrypted again; revoke its keys, turn off its webhooks. Irreversible.")
      .argument('<merchant_id>', 'mer_…')
      .option('--yes', 'confirm: this cannot be undone'),
  ).action((merchantId: string, options: CommonOptions & { yes?: boolean }) => {
    if (!options.yes) return usageError(`erase: this destroys ${merchantId}'s data for good; add --yes to confirm.`);
    return runAdminCommand(
      options,
      (client) => client.eraseMerchant(merchantId),
      (r) =>
        `Erased ${r.merchant.id} at ${r.merchant.erased_at ?? 'now'}: destroyed data key ${r.destroyed_data_keys.join(', ') || '(none)'}, revoked ${r.revoked_api_keys.length} API key(s).\n` +
        'Its stored customer data and secrets can no longer be decrypted, here or in any backup.\n',
    );
  });

  withConnectionOptions(
    merchant
      .command('orders')
      .description("A merchant's orders for one customer, found by a keyed blind index of the email or phone (no plaintext is stored)")
      .argument('<merchant_id>', 'mer_…')
      .option('--email <email>', "the customer's email")
      .option('--phone <phone>', "the customer's phone"),
  ).action((merchantId: string, options: CommonOptions & { email?: string; phone?: string }) => {
    if ((options.email === undefined) === (options.phone === undefined)) return usageError('orders: give --email or --phone (one of them).');
    const query = options.email !== undefined ? { customer_email: options.email } : { customer_phone: options.phone as string };
    return runAdminCommand(options, (client) => client.findCustomerOrders(merchantId, query), ({ orders }) => customerOrdersTable(orders));
  });
}
