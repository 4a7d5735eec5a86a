import type { FastifyInstance } from 'fastify';
import { DEFAULT_SIGNING_KEY_OVERLAP_SECONDS, MAX_SIGNING_KEY_OVERLAP_SECONDS, type ResponseSigningKeys, type SigningKeyInfo } from '../../core/response-signing-keys.js';

/** A gateway signing key as the admin API shows it: public material only. */
export function signingKeyView(k: SigningKeyInfo) {
  return {
    kid: k.kid,
    status: k.status,
    created_at: k.createdAt.toISOString(),
    retires_at: k.retiresAt?.toISOString() ?? null,
    public_jwk: k.publicJwk,
  };
}

/**
 * The gateway's own response-signing keys, under the admin token: list them,
 * and rotate (a new key signs from now on; the replaced one stays in
 * /.well-known/jwks.json until the overlap ends).
 */
export function signingKeyRoutes(app: FastifyInstance, keys: ResponseSigningKeys): void {
  app.get('/admin/v1/signing-keys', {
    schema: { summary: 'The gateway\'s response-signing keys: the active one, then published (replaced, still in the JWKS) and retired ones, latest to retire first', tags: ['admin'] },
    handler: async () => ({ signing_keys: (await keys.list()).map(signingKeyView) }),
  });

  app.post<{ Body: { overlap_seconds?: number } | undefined }>('/admin/v1/signing-keys/rotate', {
    schema: {
      summary: `Make a new response-signing key active, on every process; the replaced key stays published for the overlap (default ${DEFAULT_SIGNING_KEY_OVERLAP_SECONDS} s, 0 removes it at once)`,
      tags: ['admin'],
      body: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { overlap_seconds: { type: 'integer', minimum: 0, maximum: MAX_SIGNING_KEY_OVERLAP_SECONDS } },
      },
    },
    handler: async (request) => {
      const rotated = await keys.rotate(request.body?.overlap_seconds ?? DEFAULT_SIGNING_KEY_OVERLAP_SECONDS);
      return { active: signingKeyView(rotated.active), retiring: rotated.retiring.map(signingKeyView) };
    },
  });
}
