import type { Clock } from '../lib/clock.js';
import { ID_PREFIX, type Mode, newId, newWebhookSecret } from '../lib/ids.js';
import { Secret } from '../lib/secret.js';
import type { Db, Queryable } from '../store/db.js';
import {
  expireSecretsAt,
  findEndpoint,
  insertEndpoint,
  insertSecret,
  lockEndpoint,
  updateEndpoint,
  type WebhookEndpointRow,
} from '../store/queries/webhook-endpoints.js';
import { checkEndpointUrl, type EndpointPolicy } from '../webhooks/ssrf-guard.js';
import type { Keyring } from './keyring.js';
import { SUBSCRIBABLE_EVENT_TYPES } from './webhook-events.js';

export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

/** The AAD that binds a stored webhook secret to its own row. */
export function webhookSecretContext(secretId: string): string {
  return `webhook_secrets.secret_enc:${secretId}`;
}

export type EndpointFailure =
  | { ok: false; code: 'invalid_webhook_url'; message: string; reason: string }
  | { ok: false; code: 'webhook_endpoint_not_found'; message: string }
  | { ok: false; code: 'validation_failed'; message: string };

export interface EndpointInput {
  url: string;
  events?: readonly string[];
  description?: string | null;
}

function checkUrl(url: string, policy: EndpointPolicy): { ok: true; url: string } | EndpointFailure {
  const checked = checkEndpointUrl(url, policy);
  if (!checked.ok) return { ok: false, code: 'invalid_webhook_url', message: checked.message, reason: checked.code };
  return { ok: true, url: checked.url.href };
}

function checkEvents(events: readonly string[] | undefined): { ok: true; events: string[] } | EndpointFailure {
  if (events === undefined) return { ok: true, events: [...SUBSCRIBABLE_EVENT_TYPES] };
  const unknown = events.filter((e) => !(SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0 || events.length === 0) {
    return { ok: false, code: 'validation_failed', message: `events must be a non-empty list of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}; got ${unknown.join(', ') || 'none'}.` };
  }
  return { ok: true, events: [...new Set(events)] };
}

async function addSecret(tx: Queryable, keyring: Keyring, merchantId: string, endpointId: string, at: Date): Promise<Secret<string>> {
  const id = newId(ID_PREFIX.webhookSecret);
  const secret = new Secret(newWebhookSecret());
  await insertSecret(tx, { id, endpointId, secretEnc: await keyring.seal({ merchantId }, secret.reveal(), webhookSecretContext(id), tx), createdAt: at, expiresAt: null });
  return secret;
}

/**
 * Registers an endpoint with its first secret. The URL is checked here
 * against the SSRF rules as a courtesy; the rule that matters is applied
 * again to the resolved address at every delivery.
 */
export async function createEndpoint(
  db: Db,
  keyring: Keyring,
  clock: Clock,
  policy: EndpointPolicy,
  input: EndpointInput & { merchantId: string; mode: Mode },
): Promise<{ ok: true; endpoint: WebhookEndpointRow; secret: Secret<string> } | EndpointFailure> {
  const url = checkUrl(input.url, policy);
  if (!url.ok) return url;
  const events = checkEvents(input.events);
  if (!events.ok) return events;
  const id = newId(ID_PREFIX.webhookEndpoint);
  const now = new Date(clock.nowMs());
  const secret = await db.transaction(async (tx) => {
    await insertEndpoint(tx, { id, merchantId: input.merchantId, mode: input.mode, url: url.url, events: events.events, description: input.description ?? null, createdAt: now });
    return addSecret(tx, keyring, input.merchantId, id, now);
  });
  const endpoint = await findEndpoint(db, id);
  if (!endpoint) throw new Error('endpoint vanished after insert');
  return { ok: true, endpoint, secret };
}

/** Changes URL, events, description or the enabled flag; enabling clears a failing run so the 5-day clock starts afresh. */
export async function changeEndpoint(
  db: Db,
  clock: Clock,
  policy: EndpointPolicy,
  id: string,
  change: Partial<EndpointInput> & { enabled?: boolean },
): Promise<{ ok: true; endpoint: WebhookEndpointRow } | EndpointFailure> {
  const url = change.url === undefined ? undefined : checkUrl(change.url, policy);
  if (url && !url.ok) return url;
  const events = change.events === undefined ? undefined : checkEvents(change.events);
  if (events && !events.ok) return events;
  const now = new Date(clock.nowMs());
  const found = await db.transaction(async (tx) => {
    const current = await lockEndpoint(tx, id);
    if (!current) return false;
    const enabled = change.enabled ?? current.enabled;
    const turnedOff = current.enabled && !enabled;
    await updateEndpoint(
      tx,
      id,
      {
        url: url?.url ?? current.url,
        events: events?.events ?? current.events,
        description: change.description === undefined ? current.description : change.description,
        enabled,
        disabledReason: enabled ? null : turnedOff ? 'operator' : current.disabledReason,
        disabledAt: enabled ? null : turnedOff ? now : current.disabledAt,
        failingSince: enabled && !current.enabled ? null : current.failingSince,
      },
      now,
    );
    return true;
  });
  if (!found) return { ok: false, code: 'webhook_endpoint_not_found', message: `No webhook endpoint ${id}.` };
  return { ok: true, endpoint: (await findEndpoint(db, id)) as WebhookEndpointRow };
}

/**
 * Issues a new secret; the ones in force keep signing deliveries until the
 * overlap ends, so the merchant can deploy the new one without dropping a
 * webhook: during the overlap every delivery carries a signature for each.
 */
export async function rollEndpointSecret(
  db: Db,
  keyring: Keyring,
  clock: Clock,
  id: string,
  overlapSeconds: number,
): Promise<{ ok: true; secret: Secret<string>; previousValidUntil: Date } | EndpointFailure> {
  const now = new Date(clock.nowMs());
  const previousValidUntil = new Date(now.getTime() + overlapSeconds * 1000);
  const secret = await db.transaction(async (tx) => {
    const endpoint = await lockEndpoint(tx, id);
    if (!endpoint) return undefined;
    await expireSecretsAt(tx, id, previousValidUntil);
    return addSecret(tx, keyring, endpoint.merchantId, id, now);
  });
  if (!secret) return { ok: false, code: 'webhook_endpoint_not_found', message: `No webhook endpoint ${id}.` };
  return { ok: true, secret, previousValidUntil };
}
