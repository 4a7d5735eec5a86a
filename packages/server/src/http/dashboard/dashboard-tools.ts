import { type SignatureScheme, signRequest } from '@tijori/signing';
import type { FastifyInstance } from 'fastify';
import { apiKeySecretContext } from '../../core/api-keys.js';
import { explainRequestSignature, type SignedString } from '../../core/explain-request-signature.js';
import { ApiError } from '../../errors/api-error.js';
import { nowSeconds } from '../../lib/clock.js';
import { utf8Text } from '../../lib/json-bytes.js';
import { listApiKeys } from '../../store/queries/api-keys.js';
import type { DashboardApiDeps } from './dashboard-api.js';
import { merchantOf, ownKey } from './merchant-scope.js';

interface ExplainBody {
  api_key: string;
  signature: string;
  timestamp: string;
  scheme?: SignatureScheme;
  method?: string;
  path?: string;
  body: string;
}

// Other keys' secrets tried as "signed with another key's secret": enough for any real merchant, bounded for a strange one.
const MAX_OTHER_KEYS = 20;

const signedView = (s: SignedString) => ({ scheme: s.scheme, signed: utf8Text(s.message) ?? Buffer.from(s.message).toString('latin1') });

/**
 * The signature debugger: what a merchant pasted from a refused request
 * (never a secret), explained with core/explain-request-signature.ts, the
 * CLI's `tijori verify`. The server looks up the secret of the merchant's
 * own key itself, and tries the merchant's other keys' secrets (and the
 * key's previous one during a roll overlap) as the usual mix-ups. The reply
 * never holds a secret; the expected signature (an HMAC) is shown for
 * sandbox keys only, as the sandbox invalid_signature reply does, since
 * for a live key it would be a signing oracle.
 */
export function dashboardToolRoutes(app: FastifyInstance, deps: DashboardApiDeps): void {
  const { db, clock } = deps;
  const { keyring } = deps.integration;

  app.post<{ Body: ExplainBody }>('/tools/explain-signature', {
    config: { dashboard: { permission: 'read' } },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['api_key', 'signature', 'timestamp', 'body'],
        properties: {
          api_key: { type: 'string', pattern: '^pk_(test|live)_[A-Za-z0-9]{8,64}$' },
          signature: { type: 'string', minLength: 1, maxLength: 512, description: 'X-SIGNATURE as sent' },
          timestamp: { type: 'string', minLength: 1, maxLength: 32, description: 'X-TIMESTAMP as sent' },
          scheme: { type: 'string', enum: ['v1', 'v2'], description: 'the scheme the request declared (X-SIGNATURE-VERSION); absent: both are tried' },
          method: { type: 'string', pattern: '^[A-Za-z]{1,10}$', description: 'default POST' },
          path: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^/', description: 'path and query as sent; needed to check v2' },
          body: { type: 'string', maxLength: 1048576, description: 'the body exactly as sent (UTF-8)' },
        },
      },
    },
    handler: async (request) => {
      const b = request.body;
      const key = await ownKey(db, request, b.api_key);
      if (key.kind !== 'hmac' || !key.secretEnc) {
        throw new ApiError('validation_failed', 'This API key is a public-key key: its requests are signed with your private key, which the gateway never holds. The debugger explains HMAC keys only.');
      }
      const secret = await keyring.unseal(key.secretEnc, apiKeySecretContext(key.id));
      const otherSecrets: Array<{ secret: string; from: string }> = [];
      if (key.previousSecretEnc && key.previousSecretExpiresAt && key.previousSecretExpiresAt.getTime() > clock.nowMs()) {
        otherSecrets.push({ secret: await keyring.unseal(key.previousSecretEnc, apiKeySecretContext(key.id, 'previous_secret_enc')), from: `${key.apiKey} before its last roll` });
      }
      const others = (await listApiKeys(db, merchantOf(request))).filter((k) => k.id !== key.id && k.kind === 'hmac' && k.secretEnc && k.status === 'active').slice(0, MAX_OTHER_KEYS);
      for (const other of others) otherSecrets.push({ secret: await keyring.unseal(other.secretEnc as Uint8Array, apiKeySecretContext(other.id)), from: `your ${other.mode === 'test' ? 'sandbox' : 'live'} key ${other.apiKey}` });

      const body = Buffer.from(b.body, 'utf8');
      const method = (b.method ?? 'POST').toUpperCase();
      const verdict = explainRequestSignature({
        signature: b.signature,
        timestamp: b.timestamp,
        ...(b.scheme ? { scheme: b.scheme } : {}),
        method,
        ...(b.path !== undefined ? { path: b.path } : {}),
        body,
        secret,
        apiKey: key.apiKey,
        otherSecrets,
        baseUrl: deps.integration.publicBaseUrl,
        nowSeconds: nowSeconds(clock),
      });
      const sandbox = key.mode === 'test';
      return {
        api_key: key.apiKey,
        mode: sandbox ? 'sandbox' : 'live',
        verdict: verdict.ok
          ? { ok: true, scheme: verdict.scheme, form: verdict.form, code: null, message: null, notes: verdict.notes, covers: signedView(verdict.covers), expected: [] }
          : { ok: false, scheme: null, form: null, code: verdict.code, message: verdict.message, notes: verdict.notes, covers: verdict.covers ? signedView(verdict.covers) : null, expected: verdict.expected.map(signedView) },
        expected_signatures:
          sandbox && !verdict.ok
            ? verdict.expected.map((e) => ({ scheme: e.scheme, signature: signRequest({ scheme: e.scheme, secret, timestamp: b.timestamp, body, method, path: b.path ?? '' }) }))
            : null,
      };
    },
  });
}
