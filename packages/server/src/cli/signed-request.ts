/**
 * One signed call to the merchant API, as a merchant's server makes it: the
 * building block of `tijori request` (and of `listen` and `trigger`).
 *
 * - A fresh timestamp for every call, unless one is given to reproduce a
 *   signature. The gateway accepts a signature once: two identical calls in
 *   the same second carry the same HMAC, and the second is refused as
 *   `replayed_request` (v1 and v2 alike; vary the body or wait a second).
 * - The body is turned into bytes once; those bytes are signed and sent.
 * - Redirects are never followed: the signed headers would go to wherever
 *   the redirect points. A 3xx is reported as "not the gateway".
 * - The secret is read only to compute the signature; it is in no header,
 *   no result and no message.
 */
import { signRequest, type SignatureScheme } from '@tijori/signing';
import { ADMIN_TIMEOUT_MS, type AdminFailureBody } from './admin-client.js';
import { describeFetchFailure } from './fetch-failure.js';
import type { MerchantCredentials } from './merchant-credentials.js';

export interface SignedRequestInput {
  /** Upper-cased before signing and sending. */
  method: string;
  /** Path and query exactly as sent, e.g. "/api/v3/pg/order/status"; appended to the base URL. v2 signs it as given. */
  path: string;
  /** The body exactly as sent; '' for none. */
  body: string | Uint8Array;
  /** v1 (BODY + TIMESTAMP) or v2 (METHOD + PATH + BODY + TIMESTAMP). A private key signs v2 only. */
  scheme: SignatureScheme;
  /** UNIX seconds as sent in X-TIMESTAMP; default the clock now. */
  timestamp?: string;
}

/** A request ready to send: what `--print-curl` prints and what sendSigned sends. */
export interface PreparedRequest {
  method: string;
  /** baseUrl + path. */
  url: string;
  path: string;
  /** The headers it sets, signature included; never the secret. fetch adds Host and Content-Length, and sendSigned User-Agent: tijori-cli. */
  headers: Record<string, string>;
  /** The exact bytes signed and sent. */
  body: Uint8Array;
  scheme: SignatureScheme;
  timestamp: string;
}

export interface SendSignedOptions extends SignedRequestInput {
  /** Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Any HTTP answer but a redirect is `ok: true` (a 4xx too: see readTijoriReply); `ok: false` is no usable answer. */
export type SignedReply =
  | { ok: true; status: number; statusText: string; headers: Record<string, string>; bodyText: string; sent: PreparedRequest }
  | { ok: false; message: string; sent: PreparedRequest };

// As long as the admin commands wait: a script with a wrong URL fails instead of hanging.
export const REQUEST_TIMEOUT_MS = ADMIN_TIMEOUT_MS;

/**
 * Signs a request. Throws TypeError for programmer errors only (v1 with a
 * private key, an empty method or a path without a leading slash).
 */
export function prepareSignedRequest(credentials: MerchantCredentials, input: SignedRequestInput): PreparedRequest {
  const method = input.method.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new TypeError('prepareSignedRequest: method must be letters, e.g. POST');
  if (!input.path.startsWith('/')) throw new TypeError('prepareSignedRequest: path must start with "/"');
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const timestamp = input.timestamp ?? String(Math.floor(Date.now() / 1000));
  const { signer } = credentials;
  const signature =
    signer.kind === 'secret'
      ? signRequest({ scheme: input.scheme, secret: signer.secretKey.reveal(), timestamp, body, method, path: input.path })
      : input.scheme === 'v2'
        ? signRequest({ scheme: 'v2', privateKey: signer.privateKey.reveal(), timestamp, body, method, path: input.path })
        : failWith('prepareSignedRequest: a private key signs scheme v2 only');

  const headers: Record<string, string> = { Accept: 'application/json' };
  // No Content-Type without a body: Fastify refuses an empty body declared as JSON.
  if (body.length > 0) headers['Content-Type'] = 'application/json';
  headers['X-API-KEY'] = credentials.apiKey;
  headers['X-TIMESTAMP'] = timestamp;
  headers['X-SIGNATURE'] = signature;
  // v1 is what a request without the header means (KwikPaisa clients never send it).
  if (input.scheme === 'v2') headers['X-SIGNATURE-VERSION'] = '2';
  return { method, url: credentials.baseUrl + input.path, path: input.path, headers, body, scheme: input.scheme, timestamp };
}

/** Signs and sends one request; never throws for network failures (they are `ok: false`). */
export async function sendSigned(credentials: MerchantCredentials, options: SendSignedOptions): Promise<SignedReply> {
  const sent = prepareSignedRequest(credentials, options);
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  let res: Response;
  let bodyText: string;
  try {
    res = await (options.fetch ?? fetch)(sent.url, {
      method: sent.method,
      headers: { ...sent.headers, 'User-Agent': 'tijori-cli' },
      body: sent.body.length > 0 ? sent.body : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    bodyText = await res.text();
  } catch (err) {
    return { ok: false, message: describeFetchFailure(err, credentials.baseUrl, timeoutMs), sent };
  }
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, message: `${credentials.baseUrl} answered with a redirect (HTTP ${res.status} to ${res.headers.get('location') ?? 'nowhere'}); it was not followed, since it would carry the signed headers. Give --url the gateway's own address.`, sent };
  }
  return { ok: true, status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers), bodyText, sent };
}

/** What a reply means to a command: the API's answer, its refusal (error envelope), or something that is not a Tijori gateway. */
export type TijoriReply = { kind: 'success'; json: unknown } | { kind: 'refused'; failure: AdminFailureBody } | { kind: 'not_tijori'; message: string };

export function readTijoriReply(reply: Extract<SignedReply, { ok: true }>): TijoriReply {
  let json: unknown;
  try {
    json = JSON.parse(reply.bodyText);
  } catch {
    json = undefined;
  }
  // A 2xx that is not JSON (GET /docs is HTML) is still an answer.
  if (reply.status < 300) return { kind: 'success', json };
  const f = json as Partial<AdminFailureBody> | undefined;
  if (typeof f === 'object' && f !== null && f.status === 'failed' && typeof f.error_code === 'string' && typeof f.message === 'string') {
    return { kind: 'refused', failure: f as AdminFailureBody };
  }
  return { kind: 'not_tijori', message: `${new URL(reply.sent.url).origin} answered HTTP ${reply.status} without a Tijori error envelope: is --url a Tijori gateway?` };
}

function failWith(message: string): never {
  throw new TypeError(message);
}
