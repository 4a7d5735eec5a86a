import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminToken } from '../../core/admin-token.js';
import {
  DEFAULT_OVERLAP_SECONDS,
  issueKey,
  type KeyFailure,
  MAX_OVERLAP_SECONDS,
  registerPublicKey,
  revokeKey,
  rollKey,
  setKeyAllowlist,
  setKeyRateLimit,
  setKeySchemes,
} from '../../core/api-keys.js';
import type { Keyring } from '../../core/keyring.js';
import { createMerchant, setMerchantActive } from '../../core/merchants.js';
import type { UsageTracker } from '../../core/usage-tracker.js';
import { ApiError } from '../../errors/api-error.js';
import type { Clock } from '../../lib/clock.js';
import type { Db } from '../../store/db.js';
import { listUsageForMerchant } from '../../store/queries/api-key-usage.js';
import { type ApiKeyRecord, findApiKey, listApiKeys, listKeysIssuedBefore } from '../../store/queries/api-keys.js';
import { findMerchant, listMerchants } from '../../store/queries/merchants.js';
import type { EndpointPolicy } from '../../webhooks/ssrf-guard.js';
import { keyView, merchantView, usageView } from './admin-views.js';
import { webhookAdminRoutes } from './webhook-admin-routes.js';
import { signingKeyRoutes } from './signing-key-routes.js';
import type { ResponseSigningKeys } from '../../core/response-signing-keys.js';
import { dataProtectionRoutes } from './data-protection-routes.js';
import type { KeyProvider } from '../../kek/key-provider.js';
import { auditAdminRoutes } from './audit-admin-routes.js';
import { alertAdminRoutes } from './alert-admin-routes.js';

export interface AdminApiDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  token: AdminToken;
  usage: UsageTracker;
  /** Called after a key or merchant changed, so this process forgets its cached copy at once. */
  onKeysChanged(apiKeys: readonly string[]): void;
  rateLimitPerMinute: number;
  rotationWarningDays: number;
  webhookPolicy: EndpointPolicy;
  /** The gateway's response-signing keys (list, rotate). */
  signingKeys: ResponseSigningKeys;
  keyProvider: KeyProvider;
  /** The audit log's writer in this process (absent when TIJORI_AUDIT_ENABLED=false): listings flush it first. */
  audit: { flush(): Promise<void> } | undefined;
  /** The security-alert writer in this process (absent when TIJORI_ALERTS_ENABLED=false): listings flush it first. */
  alerts: { flush(): Promise<void> } | undefined;
}

const DAY_MS = 86_400_000;
const KEY_PARAM = { type: 'object', required: ['key'], properties: { key: { type: 'string', pattern: '^(pk_(test|live)_|key_)[A-Za-z0-9]{8,64}$' } } } as const;
const MERCHANT_PARAM = { type: 'object', required: ['merchantId'], properties: { merchantId: { type: 'string', pattern: '^mer_[0-9a-f]{24}$' } } } as const;
const MODE = { type: 'string', enum: ['sandbox', 'live'], default: 'sandbox' } as const;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function keyFailure(f: KeyFailure): ApiError {
  return new ApiError(f.code, f.message);
}

/**
 * The operator's API under /admin/v1, authenticated by the admin token only:
 * merchant API keys do not open it, and the admin token does not open /api/.
 * Replies are plain JSON objects (documented in docs/admin-api.md); failures
 * use the same envelope and error codes as the merchant API.
 */
export async function adminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const { db, keyring, clock } = deps;
  const view = (k: ApiKeyRecord) => keyView(k, { nowMs: clock.nowMs(), rateLimitPerMinute: deps.rateLimitPerMinute, rotationWarningDays: deps.rotationWarningDays });
  const toMode = (m: 'sandbox' | 'live') => (m === 'live' ? ('live' as const) : ('test' as const));

  app.addHook('onRequest', async function authenticateAdmin(request) {
    if (!deps.token.matches(bearer(request))) throw new ApiError('admin_unauthorized');
  });

  async function merchantOr404(id: string) {
    const merchant = await findMerchant(db, id);
    if (!merchant) throw new ApiError('merchant_not_found');
    return merchant;
  }

  app.post<{ Body: { name: string; mode?: 'sandbox' | 'live' } }>('/admin/v1/merchants', {
    schema: {
      summary: 'Create a merchant with its first API key',
      tags: ['admin'],
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, mode: MODE } },
    },
    handler: async (request, reply) => {
      const created = await createMerchant(db, keyring, clock, { name: request.body.name, mode: toMode(request.body.mode ?? 'sandbox') });
      const key = await findApiKey(db, created.keyId);
      reply.code(201);
      return { merchant: merchantView(await merchantOr404(created.merchantId)), key: { ...view(key as ApiKeyRecord), secret_key: created.secretKey.reveal() } };
    },
  });

  app.get('/admin/v1/merchants', { schema: { summary: 'List merchants', tags: ['admin'] } }, async () => ({
    merchants: (await listMerchants(db)).map(merchantView),
  }));

  app.get<{ Params: { merchantId: string } }>('/admin/v1/merchants/:merchantId', { schema: { summary: 'Show a merchant and its keys', tags: ['admin'], params: MERCHANT_PARAM } }, async (request) => {
    const merchant = await merchantOr404(request.params.merchantId);
    return { merchant: merchantView(merchant), keys: (await listApiKeys(db, merchant.id)).map(view) };
  });

  for (const [action, active] of [['suspend', false], ['activate', true]] as const) {
    app.post<{ Params: { merchantId: string } }>(`/admin/v1/merchants/:merchantId/${action}`, {
      schema: { summary: `${action === 'suspend' ? 'Suspend' : 'Reactivate'} a merchant: its keys stop (or resume) working at once`, tags: ['admin'], params: MERCHANT_PARAM },
      handler: async (request) => {
        const merchant = await merchantOr404(request.params.merchantId);
        await setMerchantActive(db, merchant.id, active);
        deps.onKeysChanged((await listApiKeys(db, merchant.id)).map((k) => k.apiKey));
        return { merchant: merchantView(await merchantOr404(merchant.id)) };
      },
    });
  }

  app.post<{ Params: { merchantId: string }; Body: { mode?: 'sandbox' | 'live'; label?: string; public_key_pem?: string } }>('/admin/v1/merchants/:merchantId/keys', {
    schema: {
      summary: 'Issue another API key for a merchant (the secret is in this reply only), or register the merchant\'s public key (public_key_pem: Ed25519 or RSA 2048+, SPKI PEM)',
      tags: ['admin'],
      params: MERCHANT_PARAM,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { mode: MODE, label: { type: 'string', minLength: 1, maxLength: 100 }, public_key_pem: { type: 'string', minLength: 1, maxLength: 16384 } },
      },
    },
    handler: async (request, reply) => {
      const merchant = await merchantOr404(request.params.merchantId);
      const mode = toMode(request.body?.mode ?? 'sandbox');
      const label = request.body?.label ?? null;
      const pem = request.body?.public_key_pem;
      if (pem !== undefined) {
        const registered = await registerPublicKey(db, clock, { merchantId: merchant.id, mode, label, publicKeyPem: pem });
        if (!registered.ok) throw keyFailure(registered);
        reply.code(201);
        return { key: view((await findApiKey(db, registered.keyId)) as ApiKeyRecord) };
      }
      const issued = await issueKey(db, keyring, clock, { merchantId: merchant.id, mode, label });
      reply.code(201);
      return { key: { ...view((await findApiKey(db, issued.keyId)) as ApiKeyRecord), secret_key: issued.secretKey.reveal() } };
    },
  });

  app.get<{ Params: { merchantId: string } }>('/admin/v1/merchants/:merchantId/keys', { schema: { summary: "List a merchant's keys", tags: ['admin'], params: MERCHANT_PARAM } }, async (request) => {
    const merchant = await merchantOr404(request.params.merchantId);
    return { keys: (await listApiKeys(db, merchant.id)).map(view) };
  });

  app.get<{ Params: { merchantId: string } }>('/admin/v1/merchants/:merchantId/activity', {
    schema: { summary: "A merchant's recent API activity: each key's client addresses, requests, refusals and requests from outside its allowlist", tags: ['admin'], params: MERCHANT_PARAM },
    handler: async (request) => {
      const merchant = await merchantOr404(request.params.merchantId);
      await deps.usage.flush();
      return { activity: (await listUsageForMerchant(db, merchant.id)).map(usageView) };
    },
  });

  app.get<{ Querystring: { rotation_due?: boolean } }>('/admin/v1/keys', {
    schema: {
      summary: 'Active keys whose secret is older than the rotation policy (rotation_due=true)',
      tags: ['admin'],
      querystring: { type: 'object', additionalProperties: false, required: ['rotation_due'], properties: { rotation_due: { type: 'string', enum: ['true'] } } },
    },
    handler: async () => ({
      keys: (await listKeysIssuedBefore(db, new Date(clock.nowMs() - deps.rotationWarningDays * DAY_MS))).map(view),
    }),
  });

  app.get<{ Params: { key: string } }>('/admin/v1/keys/:key', { schema: { summary: 'Show an API key (never its secret)', tags: ['admin'], params: KEY_PARAM } }, async (request) => {
    const key = await findApiKey(db, request.params.key);
    if (!key) throw new ApiError('key_not_found');
    return { key: view(key) };
  });

  app.post<{ Params: { key: string }; Body: { overlap_seconds?: number } | undefined }>('/admin/v1/keys/:key/roll', {
    schema: {
      summary: 'Issue a new secret; the previous one keeps working until the overlap ends (default 24 h, at most 7 days)',
      tags: ['admin'],
      params: KEY_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: MAX_OVERLAP_SECONDS } } },
    },
    handler: async (request) => {
      const rolled = await rollKey(db, keyring, clock, request.params.key, request.body?.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS);
      if (!rolled.ok) throw keyFailure(rolled);
      deps.onKeysChanged([rolled.apiKey]);
      const key = (await findApiKey(db, rolled.keyId)) as ApiKeyRecord;
      return { key: { ...view(key), secret_key: rolled.secretKey.reveal() }, previous_secret_valid_until: rolled.previousValidUntil.toISOString() };
    },
  });

  app.post<{ Params: { key: string } }>('/admin/v1/keys/:key/revoke', { schema: { summary: 'Revoke a key, at once, on every process', tags: ['admin'], params: KEY_PARAM } }, async (request) => {
    const revoked = await revokeKey(db, clock, request.params.key);
    if (!revoked.ok) throw keyFailure(revoked);
    deps.onKeysChanged([revoked.key.apiKey]);
    return { key: view((await findApiKey(db, revoked.key.id)) as ApiKeyRecord) };
  });

  const policyRoute = <B>(path: string, summary: string, body: object, apply: (ref: string, body: B) => Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure>) =>
    app.put<{ Params: { key: string }; Body: B }>(path, {
      schema: { summary, tags: ['admin'], params: KEY_PARAM, body },
      handler: async (request) => {
        const result = await apply(request.params.key, request.body as B);
        if (!result.ok) throw keyFailure(result);
        deps.onKeysChanged([result.key.apiKey]);
        return { key: view(result.key) };
      },
    });

  policyRoute<{ entries: string[]; mode?: 'enforce' | 'report' }>(
    '/admin/v1/keys/:key/ip-allowlist',
    'Set the addresses and CIDR ranges a key may be used from (empty = anywhere); mode "report" lets others through but records them',
    {
      type: 'object',
      additionalProperties: false,
      required: ['entries'],
      properties: { entries: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } }, mode: { type: 'string', enum: ['enforce', 'report'] } },
    },
    (ref, body) => setKeyAllowlist(db, ref, body.entries, body.mode ?? 'enforce'),
  );

  policyRoute<{ schemes: Array<'v1' | 'v2'> }>(
    '/admin/v1/keys/:key/schemes',
    'Set the request-signature schemes a key accepts (e.g. ["v2"] to refuse v1)',
    { type: 'object', additionalProperties: false, required: ['schemes'], properties: { schemes: { type: 'array', minItems: 1, items: { type: 'string', enum: ['v1', 'v2'] } } } },
    (ref, body) => setKeySchemes(db, ref, body.schemes),
  );

  policyRoute<{ per_minute: number | null }>(
    '/admin/v1/keys/:key/rate-limit',
    "Override a key's rate limit (requests per minute), or null for the default",
    { type: 'object', additionalProperties: false, required: ['per_minute'], properties: { per_minute: { type: ['integer', 'null'], minimum: 1, maximum: 1000000 } } },
    (ref, body) => setKeyRateLimit(db, ref, body.per_minute),
  );

  webhookAdminRoutes(app, { db, keyring, clock, policy: deps.webhookPolicy });
  signingKeyRoutes(app, deps.signingKeys);
  dataProtectionRoutes(app, { db, keyring, clock, keyProvider: deps.keyProvider, onKeysChanged: deps.onKeysChanged });
  const audit = deps.audit;
  auditAdminRoutes(app, { db, flush: () => (audit ? audit.flush() : Promise.resolve()) });
  const alerts = deps.alerts;
  alertAdminRoutes(app, { db, clock, flush: () => (alerts ? alerts.flush() : Promise.resolve()) });
}
