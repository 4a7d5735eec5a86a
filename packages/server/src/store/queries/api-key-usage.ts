import type { Queryable } from '../db.js';

export interface UsageDelta {
  keyId: string;
  ip: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  requests: number;
  refused: number;
  outsideAllowlist: number;
}

export interface UsageRow extends UsageDelta {
  apiKey: string;
}

/**
 * Adds a batch of per-(key, address) counters in one statement, and moves
 * each key's last_used_at/last_used_ip forward in a second: the request path
 * only counts in memory.
 */
export async function addUsage(db: Queryable, deltas: readonly UsageDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const params: unknown[] = [];
  const tuples = deltas.map((d) => {
    const o = params.length;
    params.push(d.keyId, d.ip, d.firstSeenAt, d.lastSeenAt, d.requests, d.refused, d.outsideAllowlist);
    return `($${o + 1}, $${o + 2}, $${o + 3}::timestamptz, $${o + 4}::timestamptz, $${o + 5}::bigint, $${o + 6}::bigint, $${o + 7}::bigint)`;
  });
  await db.query(
    `INSERT INTO api_key_usage AS u (key_id, ip, first_seen_at, last_seen_at, requests, refused, outside_allowlist)
     VALUES ${tuples.join(', ')}
     ON CONFLICT (key_id, ip) DO UPDATE SET
       last_seen_at = GREATEST(u.last_seen_at, EXCLUDED.last_seen_at),
       requests = u.requests + EXCLUDED.requests,
       refused = u.refused + EXCLUDED.refused,
       outside_allowlist = u.outside_allowlist + EXCLUDED.outside_allowlist`,
    params,
  );
  const latest = new Map<string, UsageDelta>();
  for (const d of deltas) {
    const seen = latest.get(d.keyId);
    if (d.requests > d.refused && (!seen || d.lastSeenAt > seen.lastSeenAt)) latest.set(d.keyId, d);
  }
  if (latest.size === 0) return;
  const p2: unknown[] = [];
  const t2 = [...latest.values()].map((d) => {
    const o = p2.length;
    p2.push(d.keyId, d.lastSeenAt, d.ip);
    return `($${o + 1}, $${o + 2}::timestamptz, $${o + 3})`;
  });
  await db.query(
    `UPDATE api_keys k SET last_used_at = v.at, last_used_ip = v.ip
       FROM (VALUES ${t2.join(', ')}) AS v (id, at, ip)
      WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)`,
    p2,
  );
}

export async function listUsageForMerchant(db: Queryable, merchantId: string): Promise<UsageRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT u.key_id, k.api_key, u.ip, u.first_seen_at, u.last_seen_at, u.requests, u.refused, u.outside_allowlist
       FROM api_key_usage u JOIN api_keys k ON k.id = u.key_id
      WHERE k.merchant_id = $1 ORDER BY u.last_seen_at DESC LIMIT 500`,
    [merchantId],
  );
  return rows.map((r) => ({
    keyId: r.key_id as string,
    apiKey: r.api_key as string,
    ip: r.ip as string,
    firstSeenAt: r.first_seen_at as Date,
    lastSeenAt: r.last_seen_at as Date,
    requests: Number(r.requests),
    refused: Number(r.refused),
    outsideAllowlist: Number(r.outside_allowlist),
  }));
}

/** The addresses a key has been used from with at least one request accepted, up to `limit`: what "an address never seen" is measured against. */
export async function knownAddressesOfKey(db: Queryable, keyId: string, limit: number): Promise<string[]> {
  const rows = await db.query<{ ip: string }>('SELECT ip FROM api_key_usage WHERE key_id = $1 AND requests > refused LIMIT $2', [keyId, limit]);
  return rows.map((r) => r.ip);
}
