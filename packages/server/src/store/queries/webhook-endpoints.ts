import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../db.js';

export type DisabledReason = 'operator' | 'gone' | 'failing';

export interface WebhookEndpointRow {
  id: string;
  merchantId: string;
  mode: Mode;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookSecretRow {
  id: string;
  endpointId: string;
  secretEnc: Uint8Array;
  createdAt: Date;
  expiresAt: Date | null;
}

// events travel as a comma-joined string: both drivers agree on text, not on array parameters.
const COLUMNS = `id, merchant_id, mode, url, array_to_string(events, ',') AS events, description, enabled,
  disabled_reason, disabled_at, failing_since, created_at, updated_at`;

function toEndpoint(r: Record<string, unknown>): WebhookEndpointRow {
  return {
    id: r.id as string,
    merchantId: r.merchant_id as string,
    mode: r.mode as Mode,
    url: r.url as string,
    events: (r.events as string).split(',').filter(Boolean),
    description: (r.description as string | null) ?? null,
    enabled: r.enabled as boolean,
    disabledReason: (r.disabled_reason as DisabledReason | null) ?? null,
    disabledAt: (r.disabled_at as Date | null) ?? null,
    failingSince: (r.failing_since as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

export async function insertEndpoint(db: Queryable, e: Omit<WebhookEndpointRow, 'enabled' | 'disabledReason' | 'disabledAt' | 'failingSince' | 'updatedAt'>): Promise<void> {
  await db.query(
    `INSERT INTO webhook_endpoints (id, merchant_id, mode, url, events, description, created_at, updated_at)
     VALUES ($1, $2, $3, $4, string_to_array($5, ','), $6, $7, $7)`,
    [e.id, e.merchantId, e.mode, e.url, e.events.join(','), e.description, e.createdAt],
  );
}

export async function insertSecret(db: Queryable, s: WebhookSecretRow): Promise<void> {
  await db.query('INSERT INTO webhook_secrets (id, endpoint_id, secret_enc, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    s.id,
    s.endpointId,
    s.secretEnc,
    s.createdAt,
    s.expiresAt,
  ]);
}

/** Ends the life of every secret still valid at `until` (a roll's overlap): the new one is inserted separately. */
export async function expireSecretsAt(db: Queryable, endpointId: string, until: Date): Promise<void> {
  await db.query(
    'UPDATE webhook_secrets SET expires_at = $2 WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2)',
    [endpointId, until],
  );
}

export async function findEndpoint(db: Queryable, id: string): Promise<WebhookEndpointRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1`, [id]);
  return rows[0] && toEndpoint(rows[0]);
}

/** Locks the endpoint so that two rolls (or a roll and an update) cannot interleave. */
export async function lockEndpoint(db: Queryable, id: string): Promise<WebhookEndpointRow | undefined> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] && toEndpoint(rows[0]);
}

export async function listEndpoints(db: Queryable, merchantId: string): Promise<WebhookEndpointRow[]> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY created_at, id`, [merchantId]);
  return rows.map(toEndpoint);
}

export async function updateEndpoint(
  db: Queryable,
  id: string,
  change: { url: string; events: string[]; description: string | null; enabled: boolean; disabledReason: DisabledReason | null; disabledAt: Date | null; failingSince: Date | null },
  at: Date,
): Promise<void> {
  await db.query(
    `UPDATE webhook_endpoints SET url = $2, events = string_to_array($3, ','), description = $4, enabled = $5,
            disabled_reason = $6, disabled_at = $7, failing_since = $8, updated_at = $9
      WHERE id = $1`,
    [id, change.url, change.events.join(','), change.description, change.enabled, change.disabledReason, change.disabledAt, change.failingSince, at],
  );
}

/** Secrets in force at `now` for each of the endpoints, newest first: the ones a delivery is signed with. */
export async function activeSecrets(db: Queryable, endpointIds: readonly string[], now: Date): Promise<WebhookSecretRow[]> {
  if (endpointIds.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, endpoint_id, secret_enc, created_at, expires_at FROM webhook_secrets
      WHERE endpoint_id = ANY (string_to_array($1, ',')) AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at DESC, id DESC`,
    [endpointIds.join(','), now],
  );
  return rows.map((r) => ({
    id: r.id as string,
    endpointId: r.endpoint_id as string,
    secretEnc: r.secret_enc as Uint8Array,
    createdAt: r.created_at as Date,
    expiresAt: (r.expires_at as Date | null) ?? null,
  }));
}

/**
 * Records the result of an attempt on the endpoint's health in one
 * statement: a success clears the failing run; a failure starts one (or
 * keeps its start). Returns when the current failing run began.
 */
export async function recordEndpointHealth(db: Queryable, id: string, succeeded: boolean, at: Date): Promise<Date | null> {
  const rows = await db.query<{ failing_since: Date | null }>(
    `UPDATE webhook_endpoints SET failing_since = CASE WHEN $2 THEN NULL ELSE COALESCE(failing_since, $3) END
      WHERE id = $1 RETURNING failing_since`,
    [id, succeeded, at],
  );
  return rows[0]?.failing_since ?? null;
}

/** Turns an endpoint off from the delivery path (410 Gone, or failing too long); only if still on, so it is recorded once. Returns whose it was. */
export async function disableEndpoint(db: Queryable, id: string, reason: DisabledReason, at: Date): Promise<{ merchantId: string; mode: Mode } | undefined> {
  const rows = await db.query<{ merchant_id: string; mode: Mode }>(
    `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, disabled_at = $3, updated_at = $3
      WHERE id = $1 AND enabled RETURNING merchant_id, mode`,
    [id, reason, at],
  );
  const row = rows[0];
  return row && { merchantId: row.merchant_id, mode: row.mode };
}
