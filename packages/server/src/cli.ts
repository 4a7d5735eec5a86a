#!/usr/bin/env node
import { Command } from 'commander';
import { registerKeyCommands } from './cli/key-commands.js';
import { registerKekCommands } from './cli/kek-commands.js';
import { KeyringMismatchError } from './core/keyring.js';
import { MasterKeyError } from './core/master-key.js';
import { registerMerchantCommands } from './cli/merchant-commands.js';
import { registerWebhookCommands } from './cli/webhook-commands.js';
import { registerSigningKeyCommands } from './cli/signing-key-commands.js';
import { registerAuditCommands } from './cli/audit-commands.js';
import { registerAlertCommands } from './cli/alert-commands.js';
import { registerRequestCommand } from './cli/request-command.js';
import { registerSignCommand } from './cli/sign-command.js';
import { registerVerifyCommand } from './cli/verify-command.js';
import { registerListenCommand } from './cli/listen-command.js';
import { registerTriggerCommand } from './cli/trigger-command.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { Config } from './config/schema.js';
import type { Logger } from 'pino';
import { startBanner } from './start-banner.js';

const program = new Command()
  .name('tijori')
  .description('Tijori payment gateway')
  .showHelpAfterError();

/** Loads and checks the configuration, or says what is wrong and exits with EX_CONFIG. */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tijori: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** Starts a long-running process (serve, worker) and drains it on SIGTERM/SIGINT within the grace period. */
async function runUntilSignalled<T extends { logger: Logger; close(): Promise<void> }>(config: Config, start: () => Promise<T>): Promise<T> {
  let running: T;
  try {
    running = await start();
  } catch (err) {
    // Configuration found wrong only when used (a bad TLS certificate, a KEK that does not open the database's keys) is still a configuration error.
    if (err instanceof ConfigError || err instanceof KeyringMismatchError || err instanceof MasterKeyError) {
      process.stderr.write(`tijori: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'draining in-flight work, then closing storage');
    const timer = setTimeout(() => {
      running.logger.error('shutdown grace period over; exiting with work still open');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return running;
}

program
  .command('serve')
  .description('Run the gateway: merchant API, docs and health endpoints. Configured by TIJORI_* variables (see README).')
  .action(async () => {
    const config = configOrExit();
    // Loaded here, not at the top: the other commands are thin clients and should not pay for the whole gateway at every start.
    const gateway = await runUntilSignalled(config, async () => (await import('./main.js')).startGateway(config));
    process.stdout.write(startBanner(gateway.publicBaseUrl, gateway.sandboxCredentialsFile));
  });

program
  .command('worker')
  .description('Deliver webhooks and run the background jobs, without the merchant API: /healthz, /readyz and /metrics on PORT. Needs DATABASE_URL; same settings as serve.')
  .action(async () => {
    const config = configOrExit();
    if (config.databaseUrl === undefined) {
      process.stderr.write('tijori: tijori worker needs DATABASE_URL: the embedded database belongs to the one serve process that opened it, which dispatches webhooks itself.\n');
      process.exit(78);
    }
    await runUntilSignalled(config, async () => (await import('./worker.js')).startWorker(config));
  });

// The operator's commands: thin clients of the admin API (/admin/v1) of a running gateway.
registerMerchantCommands(program);
registerKeyCommands(program);
registerKekCommands(program);
registerWebhookCommands(program);
registerSigningKeyCommands(program);
// `audit verify` reads the database itself, so that verifying does not trust the gateway it checks.
registerAuditCommands(program);
registerAlertCommands(program);
// The merchant developer's commands: signed requests and signature debugging with merchant credentials, not the admin token.
registerRequestCommand(program);
registerSignCommand(program);
registerVerifyCommand(program);
registerListenCommand(program);
registerTriggerCommand(program);

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`tijori: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
