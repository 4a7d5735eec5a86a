/**
 * Verifies the gateway's signed replies (RFC 9421, Ed25519) against the keys
 * it publishes at /.well-known/jwks.json. Every check is @tijori/signing's
 * prepareResponseVerification; this file adds WebCrypto's SHA-256 and
 * Ed25519, and keeps the JWK Set: cached for the Cache-Control max-age it
 * comes with, fetched again at once when a reply names a key it does not
 * hold (the gateway rotated), and imported keys kept by key.
 */
import { prepareResponseVerification } from '@tijori/signing/messages';
import { type Reply, TijoriResponseVerificationError } from './errors.js';
import { ed25519Verify, importEd25519PublicJwk, sha256 } from './web-crypto.js';

export interface ResponseVerifierOptions {
  jwksUrl: string;
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
  timeoutMs: number;
  /** How far a reply's `created` may be from now, each way; default 300 s. */
  maxAgeSeconds?: number | undefined;
}

interface CachedSet {
  set: { keys: readonly unknown[] };
  expiresAtMs: number;
}

// The gateway's own Cache-Control for the JWKS; used when a reply carries none.
const DEFAULT_JWKS_MAX_AGE_MS = 300_000;
// A key still unknown just after a fresh fetch is not the gateway's: for this
// long, replies naming it fail without fetching again (a forged kid cannot make us fetch in a loop).
const UNKNOWN_KEY_MEMORY_MS = 60_000;

export class ResponseVerifier {
  readonly #options: ResponseVerifierOptions;
  #cached: CachedSet | undefined;
  #fetching: Promise<CachedSet> | undefined;
  readonly #keys = new Map<string, Promise<CryptoKey>>();
  readonly #unknown = new Map<string, number>();

  constructor(options: ResponseVerifierOptions) {
    this.#options = options;
  }

  /** Throws TijoriResponseVerificationError unless the reply is signed by the gateway, for this request. */
  async verify(reply: Reply, requestSignature: string): Promise<void> {
    const digest = await sha256(reply.body);
    const check = (set: { keys: readonly unknown[] }) =>
      prepareResponseVerification(
        { status: reply.status, headers: reply.headers, body: reply.body, requestSignature, jwks: set, maxAgeSeconds: this.#options.maxAgeSeconds, nowSeconds: Math.floor(this.#options.now() / 1000) },
        digest,
      );
    let cached = this.#cached;
    let fresh = false;
    if (cached === undefined || cached.expiresAtMs <= this.#options.now()) {
      cached = await this.#fetch(reply);
      fresh = true;
    }
    let plan = check(cached.set);
    if (!plan.ok && plan.code === 'unknown_key' && !fresh && this.#mayFetchFor(reply)) {
      plan = check((await this.#fetch(reply)).set);
      fresh = true;
    }
    if (!plan.ok && plan.code === 'unknown_key' && fresh) {
      if (this.#unknown.size >= 100) this.#unknown.clear();
      this.#unknown.set(keyIdOf(reply), this.#options.now());
    }
    if (!plan.ok) throw this.#error(plan.code, plan.message, reply);
    const key = await this.#key(plan.jwk!.x);
    if (plan.base === undefined || !(await ed25519Verify(key, plan.signature, plan.base))) throw this.#error(plan.mismatch.code, plan.mismatch.message, reply);
  }

  #mayFetchFor(reply: Reply): boolean {
    const seen = this.#unknown.get(keyIdOf(reply));
    return seen === undefined || this.#options.now() - seen > UNKNOWN_KEY_MEMORY_MS;
  }

  /** One fetch at a time; callers arriving meanwhile share it. */
  #fetch(reply: Reply): Promise<CachedSet> {
    this.#fetching ??= this.#download(reply).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #download(reply: Reply): Promise<CachedSet> {
    const { jwksUrl, timeoutMs } = this.#options;
    try {
      const res = await this.#options.fetch(jwksUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const set = (await res.json()) as { keys?: unknown };
      if (!Array.isArray(set?.keys)) throw new Error('no "keys" array');
      const maxAge = /max-age=([0-9]{1,9})/.exec(res.headers.get('cache-control') ?? '');
      this.#cached = { set: { keys: set.keys }, expiresAtMs: this.#options.now() + (maxAge ? Number(maxAge[1]) * 1000 : DEFAULT_JWKS_MAX_AGE_MS) };
      return this.#cached;
    } catch (err) {
      throw this.#error('jwks_unavailable', `Could not fetch the gateway's public keys from ${jwksUrl} (${(err as Error).message}), so the reply could not be verified. Check that baseUrl is the gateway's address and that /.well-known/jwks.json is reachable from here.`, reply, err);
    }
  }

  #key(x: string): Promise<CryptoKey> {
    let key = this.#keys.get(x);
    if (key === undefined) {
      key = importEd25519PublicJwk(x);
      // A rotating gateway publishes two or three keys at a time.
      if (this.#keys.size >= 32) this.#keys.clear();
      this.#keys.set(x, key);
      key.catch(() => this.#keys.delete(x));
    }
    return key;
  }

  #error(code: TijoriResponseVerificationError['code'], message: string, reply: Reply, cause?: unknown): TijoriResponseVerificationError {
    return new TijoriResponseVerificationError(code, message, { status: reply.status, requestId: reply.headers.get('x-request-id') ?? undefined, cause });
  }
}

function keyIdOf(reply: Reply): string {
  return /keyid="([^"]*)"/.exec(reply.headers.get('signature-input') ?? '')?.[1] ?? '';
}
