import { randomBytes } from 'node:crypto';
import { isWebhookSecret } from '@tijori/signing';
import type { Command } from 'commander';
import { SUBSCRIBABLE_EVENT_TYPES } from '../core/webhook-events.js';
import { merchantCall } from './merchant-call.js';
import { type MerchantCredentialOptions, resolveMerchantCredentials } from './merchant-credentials.js';
import { maskSecrets, type MerchantIo, printWarnings, processMerchantIo, withMerchantOptions } from './merchant-command.js';
import { EXIT, exitTwoOnUsageErrors, usageError } from './run-admin-command.js';
import { type ForwardResult, type ListenReply, WebhookForwarder } from './webhook-forwarder.js';

interface ListenOptions extends MerchantCredentialOptions {
  forwardTo?: string;
  events?: string;
  secret?: string;
  json?: boolean;
}

const LISTEN_PATH = '/api/v3/webhooks/listen';
// Each poll waits this long on the gateway; the request's own timeout leaves room for the reply.
const WAIT_SECONDS = 20;
const POLL_TIMEOUT_MS = (WAIT_SECONDS + 15) * 1000;
const MAX_BACKOFF_MS = 30_000;

class ListenRefused extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

/**
 * `tijori listen --forward-to <url>`: the merchant's sandbox events, received
 * over the gateway's authenticated long poll (no public URL needed) and
 * re-sent to a local server with valid signatures, one line per event.
 */
export function registerListenCommand(program: Command): void {
  const command = exitTwoOnUsageErrors(program.command('listen'))
    .description("Receive your sandbox events from the gateway and forward them, signed, to a local URL (like a webhook endpoint, without exposing one); Ctrl-C stops")
    .requiredOption('--forward-to <url>', 'where to POST each event, e.g. http://localhost:3000/webhooks')
    .option('--events <list>', `comma-separated, default all: ${SUBSCRIBABLE_EVENT_TYPES.join(',')}`)
    .option('--secret <whsec>', 'sign forwarded events with this whsec_ secret (default: $TIJORI_WEBHOOK_SECRET, else a new one for this session, printed at start)');
  withMerchantOptions(command).action(async (options: ListenOptions) => {
    await runListen(options, processMerchantIo(), stopSignal());
    // A poll may still be waiting on the gateway (up to 20 s): stopping means now.
    process.exit();
  });
}

/** Resolves at the first SIGINT or SIGTERM. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function runListen(options: ListenOptions, io: MerchantIo, stop: Promise<void>): Promise<void> {
  let forwardTo: URL;
  try {
    forwardTo = new URL(options.forwardTo ?? '');
  } catch {
    return usageError(`--forward-to: a URL such as http://localhost:3000/webhooks, not "${options.forwardTo}".`, io);
  }
  if (forwardTo.protocol !== 'http:' && forwardTo.protocol !== 'https:') return usageError('--forward-to: an http:// or https:// URL.', io);
  const events = options.events?.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const unknown = events?.filter((e) => !(SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(e)) ?? [];
  if (events !== undefined && (events.length === 0 || unknown.length > 0)) return usageError(`--events: a comma-separated list of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}.`, io);
  const given = options.secret ?? io.env.TIJORI_WEBHOOK_SECRET;
  if (given !== undefined && !isWebhookSecret(given)) return usageError('--secret: a webhook secret, whsec_ followed by base64 (as the gateway issues them).', io);
  const secret = given ?? `whsec_${randomBytes(32).toString('base64')}`;
  const resolved = resolveMerchantCredentials(options, io.env, io.cwd);
  if (!resolved.ok) return usageError(resolved.message, io);
  const { credentials } = resolved;
  const safe = maskSecrets(io, [credentials.signer.kind === 'secret' ? credentials.signer.secretKey.reveal() : undefined]);
  printWarnings(safe, credentials.warnings);

  const forwarder = new WebhookForwarder({
    async listen(body) {
      const result = await merchantCall<ListenReply>(credentials, LISTEN_PATH, body, POLL_TIMEOUT_MS);
      if (!result.ok) throw new ListenRefused(result.exitCode, result.message, result.failure?.error_code);
      return result.data;
    },
    forwardTo,
    secret,
    ...(events ? { events } : {}),
    waitSeconds: WAIT_SECONDS,
    onForwarded: (r) => safe.stdout(options.json ? `${JSON.stringify(forwardedJson(r))}\n` : forwardedLine(r, io)),
  });

  let listenerId: string;
  try {
    listenerId = await forwarder.open();
  } catch (err) {
    if (!(err instanceof ListenRefused)) throw err;
    safe.stderr(`tijori: ${err.message}\n`);
    return io.setExitCode(err.exitCode);
  }
  // The session's secret is printed: the developer's local server needs it, and it signs nothing but these forwards.
  if (options.json) {
    safe.stdout(`${JSON.stringify({ type: 'ready', listener_id: listenerId, forward_to: forwardTo.href, api_key: credentials.apiKey, webhook_secret: secret })}\n`);
  } else {
    safe.stdout(
      `${io.out.green('Ready.')} Forwarding sandbox events for ${credentials.apiKey} to ${forwardTo.href} (listener ${listenerId}).\n` +
        `Webhook signing secret for this session: ${io.out.bold(secret)}${given ? '' : ' (set TIJORI_WEBHOOK_SECRET or --secret to keep one)'}\n` +
        `Ctrl-C to stop.\n`,
    );
  }

  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });
  let backoffMs = 1000;
  while (!stopping) {
    try {
      const round = await Promise.race([forwarder.pollOnce(), stop.then(() => undefined)]);
      if (round === undefined) break;
      backoffMs = 1000;
      // The local server is down: its events stay queued; do not spin on them.
      if (round.unreachable > 0) await Promise.race([sleep(2000), stop]);
    } catch (err) {
      if (!(err instanceof ListenRefused)) throw err;
      if (err.errorCode === 'listener_not_found') {
        // Closed or expired on the gateway (e.g. the laptop slept past its idle time): open a new one; what was queued is lost.
        safe.stderr(`tijori: the listener was closed on the gateway; opening a new one\n`);
        try {
          await forwarder.open();
        } catch {
          /* reported by the next poll */
        }
        continue;
      }
      if (err.exitCode === EXIT.refused) {
        safe.stderr(`tijori: ${err.message}\n`);
        return io.setExitCode(EXIT.refused);
      }
      safe.stderr(`tijori: ${err.message}; retrying in ${Math.round(backoffMs / 1000)} s\n`);
      await Promise.race([sleep(backoffMs), stop]);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
  try {
    await forwarder.close();
  } catch {
    // Not reachable at exit: the listener stops receiving on its own after 10 idle minutes.
  }
  if (!options.json) safe.stderr('Stopped.\n');
  io.setExitCode(EXIT.ok);
}

function forwardedJson(r: ForwardResult) {
  return { type: 'forwarded', event_id: r.event.event_id, event: r.event.type, status: r.status, error: r.error, latency_ms: r.latencyMs };
}

function forwardedLine(r: ForwardResult, io: MerchantIo): string {
  const outcome =
    r.status === null ? io.out.red(`not forwarded: ${r.error}; will retry`) : (r.status < 300 ? io.out.green : io.out.red)(`[${r.status}]`) + ` ${r.latencyMs} ms`;
  return `${new Date().toISOString()}  ${r.event.type.padEnd(18)}  ${r.event.event_id}  → ${outcome}\n`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
