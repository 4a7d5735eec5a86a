import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { merchantCall } from './merchant-call.js';
import { type MerchantCredentialOptions, resolveMerchantCredentials } from './merchant-credentials.js';
import { maskSecrets, type MerchantIo, printWarnings, processMerchantIo, withMerchantOptions } from './merchant-command.js';
import { EXIT, exitTwoOnUsageErrors, usageError } from './run-admin-command.js';

/** The events `trigger` can cause, and the sandbox outcome that causes each. */
export const TRIGGERS = { 'payment.processing': 'processing', 'payment.success': 'success', 'payment.failed': 'failed' } as const;
type TriggerEvent = keyof typeof TRIGGERS;
const METHODS = ['UPI', 'CARD', 'NET_BANKING'];

interface TriggerOptions extends MerchantCredentialOptions {
  paymentMethod?: string;
  json?: boolean;
}

/**
 * `tijori trigger <event>`: makes a sandbox event happen for real, through
 * the merchant API (create an order, then simulate the payment outcome), so
 * that it reaches every endpoint and `tijori listen` exactly as a customer's
 * payment would.
 */
export function registerTriggerCommand(program: Command): void {
  const command = exitTwoOnUsageErrors(program.command('trigger'))
    .description(`Fire a sandbox event through the merchant API (a new order paid, failed or left processing): ${Object.keys(TRIGGERS).join(', ')}`)
    .argument('<event>', Object.keys(TRIGGERS).join(' | '))
    .option('--payment-method <method>', `${METHODS.join(', ')} (default: UPI)`);
  withMerchantOptions(command).action((event: string, options: TriggerOptions) => runTrigger(event, options, processMerchantIo()));
}

export async function runTrigger(event: string, options: TriggerOptions, io: MerchantIo): Promise<void> {
  if (!(event in TRIGGERS)) return usageError(`<event>: one of ${Object.keys(TRIGGERS).join(', ')}, not "${event}".`, io);
  const method = (options.paymentMethod ?? 'UPI').toUpperCase();
  if (!METHODS.includes(method)) return usageError(`--payment-method: one of ${METHODS.join(', ')}.`, io);
  const resolved = resolveMerchantCredentials(options, io.env, io.cwd);
  if (!resolved.ok) return usageError(resolved.message, io);
  const { credentials } = resolved;
  if (!credentials.apiKey.startsWith('pk_test_')) return usageError('trigger works with sandbox keys (pk_test_…) only: it simulates a payment.', io);
  const safe = maskSecrets(io, [credentials.signer.kind === 'secret' ? credentials.signer.secretKey.reveal() : undefined]);
  printWarnings(safe, credentials.warnings);

  const orderId = `tijori-trigger-${randomBytes(6).toString('hex')}`;
  const created = await merchantCall<{ gateway_order_id?: string; order_id?: string }>(credentials, '/api/v3/pg/order/create', {
    order_id: orderId,
    order_amount: '1.00',
    order_currency: 'INR',
    order_note: `tijori trigger ${event}`,
    service_type: 'DIGITAL',
    customer: { name: 'Tijori CLI', email: 'trigger@example.com', phone: '9999999999' },
  });
  if (!created.ok) {
    safe.stderr(`tijori: could not create the order: ${created.message}\n`);
    return io.setExitCode(created.exitCode);
  }
  const outcome = TRIGGERS[event as TriggerEvent];
  const simulated = await merchantCall<{ order_status?: string }>(credentials, '/api/v3/sandbox/order/simulate', { order_id: orderId, outcome, payment_method: method });
  if (!simulated.ok) {
    safe.stderr(`tijori: could not simulate the payment: ${simulated.message}\n`);
    return io.setExitCode(simulated.exitCode);
  }
  const status = simulated.data.order_status ?? outcome.toUpperCase();
  if (options.json) {
    safe.stdout(`${JSON.stringify({ event, order_id: orderId, gateway_order_id: created.data.gateway_order_id ?? null, order_status: status }, null, 2)}\n`);
  } else {
    safe.stdout(`Triggered ${io.out.bold(event)}: order ${orderId} (${created.data.gateway_order_id ?? '?'}) is ${status}; the event is on its way to your webhook endpoints and listeners.\n`);
  }
  io.setExitCode(EXIT.ok);
}
