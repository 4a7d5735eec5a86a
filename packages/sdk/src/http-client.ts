/**
 * One signed call to the merchant API, with its retries.
 *
 * Each attempt gets a fresh X-TIMESTAMP and a fresh signature over the exact
 * bytes sent. The gateway accepts a signature once (replayed_request), and
 * an HMAC over the same body, path and second is the same signature, so an
 * attempt that would repeat one already sent in this second waits for the
 * next second first. The reply is verified (verifyResponses) before its
 * envelope is believed, unless it is a 429 or 5xx: those are retried or
 * become an error, and nothing in them is acted on.
 */
import { utf8 } from '@tijori/signing/messages';
import { errorFromReply, type Reply, TijoriConnectionError, TijoriError, TijoriTimeoutError } from './errors.js';
import type { RequestSigner } from './request-signer.js';
import type { ResponseVerifier } from './response-verifier.js';
import { backoffDelayMs, isRetryableStatus, RETRY_DEFAULTS, retryAfterMs } from './retry-policy.js';
import { SDK_VERSION } from './version.js';

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  signer: RequestSigner;
  timeoutMs: number;
  maxRetries: number;
  verifier: ResponseVerifier | undefined;
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/** Per call: overrides of the client's settings, and a signal to give up early. */
export interface RequestOptions {
  timeoutMs?: number;
  maxRetries?: number;
  signal?: AbortSignal;
}

/** Filled in by a call: whether an attempt failed in a way that leaves open whether the gateway carried it out. */
export interface AttemptTrace {
  mayHaveBeenProcessed: boolean;
}

type Attempt = { ok: true; reply: Reply; signature: string } | { ok: false; error: TijoriConnectionError };

export class HttpClient {
  readonly #o: HttpClientOptions;
  /** Signatures sent in the current second (#second): a repeat would be refused as a replay. */
  readonly #sentThisSecond = new Set<string>();
  #second = '';

  constructor(options: HttpClientOptions) {
    this.#o = options;
  }

  /** POSTs `payload` as JSON and returns the reply's return_data, or throws a TijoriError. */
  async post<T>(path: string, payload: unknown, options: RequestOptions = {}, trace?: AttemptTrace): Promise<T> {
    const body = utf8(JSON.stringify(payload));
    const maxRetries = options.maxRetries ?? this.#o.maxRetries;
    for (let retry = 0; ; retry++) {
      const attempt = await this.#attempt(path, body, options);
      const mayRetry = retry < maxRetries && options.signal?.aborted !== true;
      if (!attempt.ok) {
        if (!mayRetry) throw attempt.error;
        if (trace) trace.mayHaveBeenProcessed = true;
        await this.#o.sleep(backoffDelayMs(retry + 1, this.#o.random));
        continue;
      }
      const { reply, signature } = attempt;
      if (mayRetry && isRetryableStatus(reply.status)) {
        const wait = this.#retryWaitMs(reply, retry + 1);
        if (wait !== undefined) {
          // A 429 is refused before anything is done; a 5xx may come from after it.
          if (trace && reply.status !== 429) trace.mayHaveBeenProcessed = true;
          await this.#o.sleep(wait);
          continue;
        }
      }
      return this.#result<T>(reply, signature);
    }
  }

  /** Retry-After when the reply gives one we are willing to wait out, else the backoff; undefined: do not retry. */
  #retryWaitMs(reply: Reply, retry: number): number | undefined {
    const asked = retryAfterMs(reply.headers.get('retry-after'), this.#o.now());
    if (asked === undefined) return backoffDelayMs(retry, this.#o.random);
    return asked <= RETRY_DEFAULTS.maxRetryAfterMs ? asked : undefined;
  }

  async #attempt(path: string, body: Uint8Array, options: RequestOptions): Promise<Attempt> {
    const { timestamp, signature } = await this.#freshSignature(path, body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': `tijori-sdk-js/${SDK_VERSION}`,
      'x-api-key': this.#o.apiKey,
      'x-timestamp': timestamp,
      'x-signature': signature,
    };
    if (this.#o.signer.scheme === 'v2') headers['x-signature-version'] = '2';

    const timeoutMs = options.timeoutMs ?? this.#o.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const stop = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      if (options.signal?.aborted) throw options.signal.reason;
      const res = await this.#o.fetch(this.#o.baseUrl + path, { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer>, signal: controller.signal });
      // The whole body is read inside the timeout: a reply that stalls half-way counts as no reply.
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { ok: true, reply: { status: res.status, headers: res.headers, body: bytes }, signature };
    } catch (err) {
      if (options.signal?.aborted) throw new TijoriConnectionError('The request was aborted by its signal; it may or may not have reached the gateway.', { cause: err });
      if (timedOut) {
        return { ok: false, error: new TijoriTimeoutError(`No reply from ${this.#o.baseUrl}${path} within ${timeoutMs} ms. The gateway may or may not have carried the request out.`, { cause: err }) };
      }
      const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      return {
        ok: false,
        error: new TijoriConnectionError(`Could not get a reply from ${this.#o.baseUrl}${path} (${reason}). Check baseUrl and the network; the gateway may or may not have carried the request out.`, { cause: err }),
      };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    }
  }

  async #freshSignature(path: string, body: Uint8Array): Promise<{ timestamp: string; signature: string }> {
    for (;;) {
      const timestamp = String(Math.floor(this.#o.now() / 1000));
      const signature = await this.#o.signer.sign({ timestamp, method: 'POST', path, body });
      if (timestamp !== this.#second) {
        this.#second = timestamp;
        this.#sentThisSecond.clear();
      }
      if (!this.#sentThisSecond.has(signature)) {
        this.#sentThisSecond.add(signature);
        return { timestamp, signature };
      }
      await this.#o.sleep(1000 - (this.#o.now() % 1000));
    }
  }

  async #result<T>(reply: Reply, signature: string): Promise<T> {
    // A 429 or 5xx is only ever turned into an error: nothing in it is acted on, and a load balancer's own 502 or 503
    // is never signed. Every other reply (successes, and the refusals the idempotent create acts on) must verify.
    if (this.#o.verifier && !isRetryableStatus(reply.status)) await this.#o.verifier.verify(reply, signature);
    let envelope: unknown;
    try {
      envelope = JSON.parse(new TextDecoder().decode(reply.body));
    } catch {
      envelope = undefined;
    }
    const success = envelope as { status?: unknown; return_data?: unknown } | undefined;
    if (reply.status >= 200 && reply.status < 300) {
      if (success?.status === 'success' && success.return_data !== undefined) return success.return_data as T;
      throw new TijoriError(`The gateway answered ${reply.status} with a body that is not Tijori's success envelope.`, {
        status: reply.status,
        requestId: reply.headers.get('x-request-id') ?? undefined,
      });
    }
    const asked = retryAfterMs(reply.headers.get('retry-after'), this.#o.now());
    throw errorFromReply(reply, envelope, asked === undefined ? undefined : Math.ceil(asked / 1000));
  }
}
