/**
 * The client: `new Tijori({ apiKey, secretKey | privateKey, baseUrl })`, then
 * `orders`, `sandbox` and `webhooks`. Options are checked here, once, with a
 * sentence that says what to change; the secret goes into a non-extractable
 * WebCrypto key and is not kept, and nothing the client prints shows it.
 */
import type { SignatureScheme } from '@tijori/signing/messages';
import { HttpClient } from './http-client.js';
import { Orders } from './orders.js';
import { hmacSigner, type PrivateKeyInput, privateKeySigner, type RequestSigner } from './request-signer.js';
import { ResponseVerifier } from './response-verifier.js';
import { RETRY_DEFAULTS } from './retry-policy.js';
import { Sandbox } from './sandbox.js';
import { Webhooks } from './webhooks.js';

export interface TijoriOptions {
  /** The API key, pk_test_... (sandbox) or pk_live_... */
  apiKey: string;
  /** The API key's secret (sk_...), for HMAC signatures. Give this or privateKey. */
  secretKey?: string;
  /** The private half of the public key registered for this API key: Ed25519 or RSA, a PKCS#8 PEM, a KeyObject or a CryptoKey. */
  privateKey?: PrivateKeyInput;
  /** The gateway's address, e.g. https://pay.example.com (a path prefix is kept). */
  baseUrl: string;
  /** 'v2' (default) signs the method and path too; 'v1' is KwikPaisa's body + timestamp. A privateKey signs v2 only. */
  signatureVersion?: SignatureScheme;
  /** Per attempt, including reading the reply. Default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt, on no reply, 429 and 5xx. Default 2; 0 turns retrying off. */
  maxRetries?: number;
  /**
   * Verify every reply's signature (RFC 9421) against the gateway's published
   * keys before believing it. Default false. `jwksUrl` defaults to
   * baseUrl + /.well-known/jwks.json; `maxAgeSeconds` (default 300) bounds
   * how old a signed reply may be.
   */
  verifyResponses?: boolean | { jwksUrl?: string; maxAgeSeconds?: number };
  /** The fetch to use; default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; default Date.now. For tests. */
  now?: () => number;
  /** How retries wait; default setTimeout. For tests. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the retry jitter; default Math.random. For tests. */
  random?: () => number;
}

const API_KEY = /^pk_(test|live)_[A-Za-z0-9_-]+$/;

export class Tijori {
  readonly orders: Orders;
  readonly sandbox: Sandbox;
  readonly webhooks: Webhooks;
  readonly #description: { apiKey: string; baseUrl: string; signatureVersion: SignatureScheme };

  constructor(options: TijoriOptions) {
    const o = checkOptions(options);
    const signer: RequestSigner = options.privateKey !== undefined ? privateKeySigner(options.privateKey) : hmacSigner(options.secretKey as string, o.signatureVersion);
    if (options.fetch === undefined && typeof globalThis.fetch !== 'function') throw new TypeError('Tijori: this runtime has no global fetch; pass one as options.fetch.');
    const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    const now = options.now ?? Date.now;
    const verify = options.verifyResponses;
    const http = new HttpClient({
      baseUrl: o.baseUrl,
      apiKey: options.apiKey,
      signer,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      verifier: verify
        ? new ResponseVerifier({
            jwksUrl: (typeof verify === 'object' ? verify.jwksUrl : undefined) ?? `${o.baseUrl}/.well-known/jwks.json`,
            maxAgeSeconds: typeof verify === 'object' ? verify.maxAgeSeconds : undefined,
            fetch: fetchFn,
            now,
            timeoutMs: o.timeoutMs,
          })
        : undefined,
      fetch: fetchFn,
      now,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
    });
    this.orders = new Orders(http);
    this.sandbox = new Sandbox(http);
    this.webhooks = new Webhooks(http);
    this.#description = { apiKey: options.apiKey, baseUrl: o.baseUrl, signatureVersion: o.signatureVersion };
  }

  /** What JSON.stringify and loggers see: the key and address, never a secret. */
  toJSON(): { apiKey: string; baseUrl: string; signatureVersion: SignatureScheme } {
    return { ...this.#description };
  }

  toString(): string {
    return `Tijori(${this.#description.apiKey} @ ${this.#description.baseUrl})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function checkOptions(options: TijoriOptions): { baseUrl: string; signatureVersion: SignatureScheme; timeoutMs: number; maxRetries: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('Tijori: pass the options object, { apiKey, secretKey, baseUrl }.');
  const { apiKey, secretKey, privateKey } = options;
  if (typeof apiKey !== 'string' || !API_KEY.test(apiKey)) {
    throw new TypeError(
      typeof apiKey === 'string' && /^sk_(test|live)_/.test(apiKey)
        ? 'Tijori: apiKey is a secret key (sk_...). Pass the API key (pk_test_... or pk_live_...) as apiKey and the secret as secretKey.'
        : 'Tijori: apiKey must be the API key, pk_test_... (sandbox) or pk_live_..., as issued with its secret.',
    );
  }
  if ((secretKey === undefined) === (privateKey === undefined)) {
    throw new TypeError('Tijori: pass exactly one of secretKey (the API key\'s secret, for HMAC signatures) and privateKey (for a registered public key).');
  }
  if (secretKey !== undefined && (typeof secretKey !== 'string' || secretKey.length === 0)) throw new TypeError('Tijori: secretKey must be the API key\'s secret, a non-empty string (sk_...).');
  if (typeof secretKey === 'string' && secretKey.trim() !== secretKey) throw new TypeError('Tijori: secretKey has whitespace around it (a newline from a file or environment variable?); remove it.');
  const signatureVersion = options.signatureVersion ?? 'v2';
  if (signatureVersion !== 'v1' && signatureVersion !== 'v2') throw new TypeError("Tijori: signatureVersion must be 'v1' or 'v2'.");
  if (privateKey !== undefined && signatureVersion !== 'v2') throw new TypeError("Tijori: a privateKey signs signatureVersion 'v2' only; leave signatureVersion out.");

  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new TypeError('Tijori: baseUrl must be the gateway\'s absolute address, e.g. https://pay.example.com.');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError('Tijori: baseUrl must be an http(s) address with no query, fragment or credentials, e.g. https://pay.example.com.');
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('Tijori: timeoutMs must be a whole number of milliseconds, at least 1.');
  const maxRetries = options.maxRetries ?? RETRY_DEFAULTS.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) throw new TypeError('Tijori: maxRetries must be a whole number from 0 to 10.');
  return { baseUrl: url.href.replace(/\/+$/, ''), signatureVersion, timeoutMs, maxRetries };
}
