import type { Command } from 'commander';
import { kekStatusText } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, withConnectionOptions } from './run-admin-command.js';

/** `tijori keys …`: the key-encryption key (KEK) behind every data key; `tijori key …` is API keys. */
export function registerKekCommands(program: Command): void {
  const keys = exitTwoOnUsageErrors(program.command('keys').description('Key-encryption key (KEK) status and rotation (admin API); for API keys see `tijori key`'));

  withConnectionOptions(keys.command('kek-status').description('The current KEK, the KEKs the gateway can unwrap with, and how many data keys each wraps')).action((options: CommonOptions) =>
    runAdminCommand(options, (client) => client.kekStatus(), (s) => kekStatusText(s)),
  );

  withConnectionOptions(
    keys
      .command('rotate-kek')
      .description('Rewrap every data key under the current KEK, online (rows are not re-encrypted); afterwards remove the old KEK from the configuration'),
  ).action((options: CommonOptions) =>
    runAdminCommand(
      options,
      (client) => client.rotateKek(),
      (s) => {
        const left = s.data_keys_by_kek.filter((k) => k.kek_id !== s.current_kek).reduce((n, k) => n + k.data_keys, 0);
        return `Rewrapped ${s.rewrapped} data key(s) under ${s.current_kek}.\n${left === 0 ? 'No data key needs an older KEK any more: remove it from the configuration (TIJORI_PREVIOUS_MASTER_KEYS or TIJORI_PKCS11_PREVIOUS_KEY_LABELS) and restart.\n' : `${left} data key(s) still under an older KEK: run it again.\n`}\n${kekStatusText(s)}`;
      },
    ),
  );
}
