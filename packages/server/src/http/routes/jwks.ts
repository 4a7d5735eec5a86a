import type { FastifyInstance } from 'fastify';
import type { JwkSet } from '../../core/response-signing-keys.js';

// Five minutes: long enough to spare the gateway, short enough that a
// verifier meeting an unknown kid after a rotation gets it on its next fetch.
const JWKS_MAX_AGE_SECONDS = 300;

const JWK = {
  type: 'object',
  required: ['kty', 'crv', 'x', 'kid', 'use', 'alg'],
  properties: {
    kty: { type: 'string', enum: ['OKP'] },
    crv: { type: 'string', enum: ['Ed25519'] },
    x: { type: 'string', description: 'The public key, base64url (RFC 8037)' },
    kid: { type: 'string', description: 'The keyid a reply\'s Signature-Input names' },
    use: { type: 'string', enum: ['sig'] },
    alg: { type: 'string', enum: ['EdDSA'] },
  },
} as const;

/** GET /.well-known/jwks.json: the public keys that verify the gateway's signed replies (RFC 7517 JWK Set). Public, no authentication. */
export function jwksRoute(app: FastifyInstance, keys: { jwks(): JwkSet }): void {
  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'The public keys that verify signed /api/ replies (RFC 7517 JWK Set; RFC 9421 keyid = kid)',
      tags: ['operations'],
      response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: JWK } } } },
    },
    handler: async function jwks(_request, reply) {
      reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
      reply.type('application/jwk-set+json');
      return keys.jwks();
    },
  });
}
