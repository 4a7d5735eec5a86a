import type { FastifyInstance } from 'fastify';
import { DEFAULT_OVERLAP_SECONDS, issueKey, type KeyFailure, MAX_OVERLAP_SECONDS, revokeKey, rollKey, setKeyAllowlist, setKeySchemes } from '../../core/api-keys.js';
import { ApiError } from '../../errors/api-error.js';
import { type ApiKeyRecord, findApiKey, listApiKeys } from '../../store/queries/api-keys.js';
import { keyView } from '../admin/admin-views.js';
import { requireRecentReauth } from './dashboard-access.js';
import type { DashboardApiDeps } from './dashboard-api.js';
import { MODE_FIELD, merchantOf, type ModeName, ownKey, storedMode } from './merchant-scope.js';

const KEY_PARAM = { type: 'object', required: ['key'], properties: { key: { type: 'string', pattern: '^(pk_(test|live)_|key_)[A-Za-z0-9]{8,64}$' } } } as const;

function keyFailure(f: KeyFailure): ApiError {
  return new ApiError(f.code, f.message);
}

/**
 * The merchant's API keys: list, create, roll, revoke, IP allowlist and
 * signature schemes. Shapes are the admin API's keyView; a secret appears
 * only in the create and roll replies. A live key's create or roll needs a
 * recent re-authentication, and so does any revocation.
 */
export function dashboardKeyRoutes(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { db, clock, accounts } = deps;
  const { keyring, onKeysChanged } = deps.integration;
  const view = (k: ApiKeyRecord) => keyView(k, { nowMs: clock.nowMs(), rateLimitPerMinute: deps.integration.rateLimitPerMinute, rotationWarningDays: deps.integration.rotationWarningDays });

  app.get<{ Querystring: { mode: ModeName } }>('/keys', {
    config: { dashboard: { permission: 'read' } },
    schema: { querystring: { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: MODE_FIELD } } },
    handler: async (request) => {
      const mode = storedMode(request.query.mode);
      return { keys: (await listApiKeys(db, merchantOf(request))).filter((k) => k.mode === mode).map(view) };
    },
  });

  app.post<{ Body: { mode: ModeName; label?: string } }>('/keys', {
    config: { dashboard: { permission: 'write' } },
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: MODE_FIELD, label: { type: 'string', minLength: 1, maxLength: 100 } } },
    },
    handler: async (request, reply) => {
      const mode = storedMode(request.body.mode);
      if (mode === 'live') requireRecentReauth(accounts, request);
      const issued = await issueKey(db, keyring, clock, { merchantId: merchantOf(request), mode, label: request.body.label ?? null });
      reply.code(201);
      return { key: { ...view((await findApiKey(db, issued.keyId)) as ApiKeyRecord), secret_key: issued.secretKey.reveal() } };
    },
  });

  app.get<{ Params: { key: string } }>('/keys/:key', {
    config: { dashboard: { permission: 'read' } },
    schema: { params: KEY_PARAM },
    handler: async (request) => ({ key: view(await ownKey(db, request, request.params.key)) }),
  });

  app.post<{ Params: { key: string }; Body: { overlap_seconds?: number } | undefined }>('/keys/:key/roll', {
    config: { dashboard: { permission: 'write' } },
    schema: {
      params: KEY_PARAM,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: MAX_OVERLAP_SECONDS } } },
    },
    handler: async (request) => {
      const key = await ownKey(db, request, request.params.key);
      if (key.mode === 'live') requireRecentReauth(accounts, request);
      const rolled = await rollKey(db, keyring, clock, key.id, request.body?.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS);
      if (!rolled.ok) throw keyFailure(rolled);
      onKeysChanged([rolled.apiKey]);
      const after = (await findApiKey(db, rolled.keyId)) as ApiKeyRecord;
      return { key: { ...view(after), secret_key: rolled.secretKey.reveal() }, previous_secret_valid_until: rolled.previousValidUntil.toISOString() };
    },
  });

  app.post<{ Params: { key: string } }>('/keys/:key/revoke', {
    config: { dashboard: { permission: 'write', reauth: true } },
    schema: { params: KEY_PARAM },
    handler: async (request) => {
      const key = await ownKey(db, request, request.params.key);
      const revoked = await revokeKey(db, clock, key.id);
      if (!revoked.ok) throw keyFailure(revoked);
      onKeysChanged([revoked.key.apiKey]);
      return { key: view((await findApiKey(db, revoked.key.id)) as ApiKeyRecord) };
    },
  });

  const policyRoute = <B>(path: string, body: object, apply: (keyId: string, body: B) => Promise<{ ok: true; key: ApiKeyRecord } | KeyFailure>) =>
    app.put<{ Params: { key: string }; Body: B }>(path, {
      config: { dashboard: { permission: 'write' } },
      schema: { params: KEY_PARAM, body },
      handler: async (request) => {
        const key = await ownKey(db, request, request.params.key);
        const result = await apply(key.id, request.body as B);
        if (!result.ok) throw keyFailure(result);
        onKeysChanged([result.key.apiKey]);
        return { key: view(result.key) };
      },
    });

  policyRoute<{ entries: string[]; mode?: 'enforce' | 'report' }>(
    '/keys/:key/ip-allowlist',
    {
      type: 'object',
      additionalProperties: false,
      required: ['entries'],
      properties: { entries: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } }, mode: { type: 'string', enum: ['enforce', 'report'] } },
    },
    (id, body) => setKeyAllowlist(db, id, body.entries, body.mode ?? 'enforce'),
  );

  policyRoute<{ schemes: Array<'v1' | 'v2'> }>(
    '/keys/:key/schemes',
    { type: 'object', additionalProperties: false, required: ['schemes'], properties: { schemes: { type: 'array', minItems: 1, items: { type: 'string', enum: ['v1', 'v2'] } } } },
    (id, body) => setKeySchemes(db, id, body.schemes),
  );
}
