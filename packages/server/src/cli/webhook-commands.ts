import type { Command } from 'commander';
import { MAX_SECRET_OVERLAP_SECONDS } from '../core/webhook-endpoints.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../core/webhook-events.js';
import { parseDuration } from './duration.js';
import { attemptsTable, deliveriesTable, endpointFields, endpointsTable, eventsTable } from './human-views.js';
import { type CommonOptions, exitTwoOnUsageErrors, runAdminCommand, usageError, withConnectionOptions } from './run-admin-command.js';

const ENDPOINT_ARG = ['<endpoint_id>', 'we_…'] as const;

function eventsOption(text: string | undefined): { ok: true; events?: string[] } | { ok: false; message: string } {
  if (text === undefined) return { ok: true };
  const events = text.split(',').map((e) => e.trim()).filter(Boolean);
  const unknown = events.filter((e) => !(SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(e));
  if (events.length === 0 || unknown.length > 0) return { ok: false, message: `--events: use a comma-separated list of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}.` };
  return { ok: true, events };
}

/** `tijori webhook …`: endpoints, secrets, events, deliveries and resends through the admin API. */
export function registerWebhookCommands(program: Command): void {
  const webhook = exitTwoOnUsageErrors(program.command('webhook').description('Manage webhook endpoints, inspect deliveries and resend events (admin API)'));

  withConnectionOptions(
    webhook
      .command('create')
      .description('Register a webhook endpoint for a merchant; its secret is printed once')
      .argument('<merchant_id>', 'mer_…')
      .argument('<url>', 'https://… (http://localhost allowed in sandbox mode)')
      .option('--live', 'for live orders (default: sandbox)')
      .option('--events <list>', `comma-separated, default all: ${SUBSCRIBABLE_EVENT_TYPES.join(',')}`)
      .option('--description <text>', 'a note for the merchant'),
  ).action((merchantId: string, url: string, options: CommonOptions & { live?: boolean; events?: string; description?: string }) => {
    const events = eventsOption(options.events);
    if (!events.ok) return usageError(events.message);
    return runAdminCommand(
      options,
      (client) =>
        client.createWebhookEndpoint(merchantId, {
          url,
          mode: options.live ? 'live' : 'sandbox',
          ...(events.events ? { events: events.events } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
        }),
      ({ endpoint, secret }) => `Registered ${endpoint.id}.\n\n${endpointFields(endpoint, secret)}`,
    );
  });

  withConnectionOptions(webhook.command('list').description("List a merchant's webhook endpoints").argument('<merchant_id>', 'mer_…')).action((merchantId: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.listWebhookEndpoints(merchantId), ({ endpoints }) => endpointsTable(endpoints)),
  );

  withConnectionOptions(webhook.command('show').description('Show a webhook endpoint (never its secret)').argument(...ENDPOINT_ARG)).action((id: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.showWebhookEndpoint(id), ({ endpoint }) => endpointFields(endpoint)),
  );

  withConnectionOptions(
    webhook
      .command('update')
      .description('Change an endpoint: URL, events, description; --enable resumes its pending deliveries, --disable pauses them')
      .argument(...ENDPOINT_ARG)
      .option('--new-url <url>', 'the new endpoint URL (--url names the gateway)')
      .option('--events <list>', 'comma-separated event types')
      .option('--description <text>', 'new note')
      .option('--enable', 'turn deliveries on')
      .option('--disable', 'turn deliveries off: pending ones pause, new events are not queued for it'),
  ).action((id: string, options: CommonOptions & { newUrl?: string; events?: string; description?: string; enable?: boolean; disable?: boolean }) => {
    if (options.enable && options.disable) return usageError('update: --enable or --disable, not both.');
    const events = eventsOption(options.events);
    if (!events.ok) return usageError(events.message);
    const body = {
      ...(options.newUrl !== undefined ? { url: options.newUrl } : {}),
      ...(events.events ? { events: events.events } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
    };
    if (Object.keys(body).length === 0) return usageError('update: give at least one of --new-url, --events, --description, --enable, --disable.');
    return runAdminCommand(options, (client) => client.updateWebhookEndpoint(id, body), ({ endpoint }) => endpointFields(endpoint));
  });

  withConnectionOptions(
    webhook
      .command('roll-secret')
      .description('Issue a new webhook secret; deliveries carry a signature for the old one too until the overlap ends')
      .argument(...ENDPOINT_ARG)
      .option('--overlap <duration>', 'how long the previous secret keeps signing: 30m, 24h, 7d; at most 7d (default: 24h)'),
  ).action((id: string, options: CommonOptions & { overlap?: string }) => {
    let overlapSeconds: number | undefined;
    if (options.overlap !== undefined) {
      const parsed = parseDuration(options.overlap, MAX_SECRET_OVERLAP_SECONDS);
      if (!parsed.ok) return usageError(`--overlap: ${parsed.message}`);
      overlapSeconds = parsed.seconds;
    }
    return runAdminCommand(
      options,
      (client) => client.rollWebhookSecret(id, overlapSeconds),
      ({ endpoint, secret, previous_secret_valid_until: until }) =>
        `Rolled the secret of ${endpoint.id}.\n\n${endpointFields(endpoint, secret)}` +
        (overlapSeconds === 0 ? 'The previous secret stopped signing at once.\n' : `Deliveries are signed with both secrets until ${until}: deploy the new one before then.\n`),
    );
  });

  withConnectionOptions(
    webhook
      .command('events')
      .description("List a merchant's events, newest first")
      .argument('<merchant_id>', 'mer_…')
      .option('--type <event>', 'only this type, e.g. payment.success')
      .option('--limit <n>', 'at most this many (1-500, default 50)'),
  ).action((merchantId: string, options: CommonOptions & { type?: string; limit?: string }) =>
    runAdminCommand(
      options,
      (client) => client.listWebhookEvents(merchantId, { type: options.type, limit: options.limit === undefined ? undefined : Number(options.limit) }),
      ({ events }) => eventsTable(events),
    ),
  );

  withConnectionOptions(
    webhook
      .command('deliveries')
      .description("List a merchant's webhook deliveries, newest first")
      .argument('<merchant_id>', 'mer_…')
      .option('--endpoint <endpoint_id>', 'only to this endpoint')
      .option('--event <event_id>', 'only of this event')
      .option('--status <status>', 'pending, delivered or failed')
      .option('--limit <n>', 'at most this many (1-500, default 50)'),
  ).action((merchantId: string, options: CommonOptions & { endpoint?: string; event?: string; status?: string; limit?: string }) =>
    runAdminCommand(
      options,
      (client) =>
        client.listWebhookDeliveries(merchantId, {
          endpoint_id: options.endpoint,
          event_id: options.event,
          status: options.status,
          limit: options.limit === undefined ? undefined : Number(options.limit),
        }),
      ({ deliveries }) => deliveriesTable(deliveries),
    ),
  );

  withConnectionOptions(webhook.command('delivery').description('Show a delivery and all its attempts').argument('<delivery_id>', 'whd_…')).action((id: string, options: CommonOptions) =>
    runAdminCommand(
      options,
      (client) => client.showWebhookDelivery(id),
      ({ delivery: d, attempts }) => `Delivery ${d.id} of ${d.event_id} (${d.event_type}) to ${d.endpoint_id}: ${d.status}${d.next_attempt_at ? `, next attempt ${d.next_attempt_at}` : ''}\n\n${attemptsTable(attempts)}`,
    ),
  );

  withConnectionOptions(webhook.command('resend').description('Deliver an event again to every enabled endpoint subscribed to it').argument('<event_id>', 'evt_…')).action((id: string, options: CommonOptions) =>
    runAdminCommand(options, (client) => client.resendWebhookEvent(id), ({ event_id, deliveries }) => `Queued ${event_id} for ${deliveries.length} endpoint(s): ${deliveries.join(', ') || 'none subscribed'}.\n`),
  );
}
