/** packages/signing/test-vectors.json, typed for the SDK's tests. */
import { readFileSync } from 'node:fs';

export interface Vectors {
  v1: Array<{ name: string; secret: string; timestamp: string; body: string; signature: string; form?: string; signed_body?: string }>;
  v2: Array<{ name: string; secret: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
  v2_ed25519: Array<{ name: string; private_key_pem: string; public_key_pem: string; timestamp: string; method: string; path: string; body: string; signature: string }>;
  webhooks: Array<{ name: string; secrets: string[]; event_id: string; timestamp: string; body: string; headers: Record<string, string> }>;
  responses: Array<{
    name: string;
    public_jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
    status: number;
    body: string;
    request_signature: string | null;
    created: number;
    content_digest: string;
    'signature-input': string;
    signature: string;
  }>;
}

export const VECTORS_FILE = new URL('../../../signing/test-vectors.json', import.meta.url);
export const vectors = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as Vectors;

/** What v1 signs for a vector: its canonical form when it says so, else the body as sent. */
export function v1SignedBody(v: Vectors['v1'][number]): string {
  return v.form === 'canonical' ? (v.signed_body as string) : v.body;
}
