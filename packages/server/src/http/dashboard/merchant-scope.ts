import type { FastifyRequest } from 'fastify';
import type { Keyring } from '../../core/keyring.js';
import { ApiError } from '../../errors/api-error.js';
import type { Mode } from '../../lib/ids.js';
import type { Queryable } from '../../store/db.js';
import type { OrderStore } from '../../store/order-store.js';
import { type ApiKeyRecord, findApiKey } from '../../store/queries/api-keys.js';
import type { EndpointPolicy } from '../../webhooks/ssrf-guard.js';
import { signedIn } from './dashboard-access.js';

/** What the dashboard's integration routes need besides the database and clock. */
export interface IntegrationDeps {
  keyring: Keyring;
  orders: OrderStore;
  publicBaseUrl: string;
  orderLifetimeSeconds: number;
  /** Called after a key changed, so this process forgets its cached copy at once (as the admin API does). */
  onKeysChanged(apiKeys: readonly string[]): void;
  rateLimitPerMinute: number;
  rotationWarningDays: number;
  webhookPolicy: EndpointPolicy;
  /** Writers whose buffered rows a listing flushes first (absent when turned off). */
  audit: { flush(): Promise<void> } | undefined;
  alerts: { flush(): Promise<void> } | undefined;
}

export type ModeName = 'sandbox' | 'live';

/** `mode` in a query or body: which of the merchant's two worlds a request looks at. */
export const MODE_FIELD = { type: 'string', enum: ['sandbox', 'live'], description: 'sandbox (pk_test_ keys) or live' } as const;

export const storedMode = (m: ModeName): Mode => (m === 'live' ? 'live' : 'test');

/** The signed-in user's merchant: every integration route reads and changes this merchant's rows only. */
export function merchantOf(request: FastifyRequest): string {
  return signedIn(request).session.merchantId;
}

/**
 * A key of the signed-in user's merchant, by `key_…` or `pk_…`. Another
 * merchant's key is answered exactly like a missing one (key_not_found), so
 * the dashboard is no oracle for which keys exist.
 */
export async function ownKey(db: Queryable, request: FastifyRequest, ref: string): Promise<ApiKeyRecord> {
  const key = await findApiKey(db, ref);
  if (!key || key.merchantId !== merchantOf(request)) throw new ApiError('key_not_found');
  return key;
}

/** Newest-first page size in a query string (strings: the validator does not coerce): 1-500, default 50. */
export const LIMIT_FIELD = { type: 'string', pattern: '^(500|[1-4][0-9]{2}|[1-9][0-9]?)$', description: '1-500, default 50' } as const;
export const limitOf = (text: string | undefined) => (text === undefined ? 50 : Number(text));
