import { promises as dns } from 'node:dns';
import { type ClientRequest, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { type Clock, systemClock } from '../lib/clock.js';
import { addressRefusal, checkEndpointUrl, type EndpointPolicy, type EndpointRefusalCode, literalAddress } from './ssrf-guard.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The whole attempt: DNS, connect, TLS, reply headers and the (capped) body. */
  timeoutMs: number;
  policy: EndpointPolicy;
  /** How much of the reply body to keep; 1024 unless given. */
  maxResponseBytes?: number;
  /** Every address of a hostname; the system resolver unless given. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Reads Retry-After dates; the system clock unless given. */
  clock?: Clock;
}

export type WebhookErrorCode = EndpointRefusalCode | 'dns_failed' | 'timeout' | 'connection_failed' | 'tls_failed';

export type WebhookResponse =
  | {
      kind: 'response';
      statusCode: number;
      latencyMs: number;
      /** The first maxResponseBytes bytes of the reply as UTF-8, cut at a character boundary. */
      body: string;
      retryAfterSeconds: number | undefined;
      location?: never;
    }
  | { kind: 'error'; code: WebhookErrorCode; message: string; latencyMs: number };

const DEFAULT_MAX_RESPONSE_BYTES = 1024;
const USER_AGENT = 'Tijori-Webhooks/0.1';

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  // verbatim: keep the resolver's order rather than Node's IPv4-first sort,
  // so the address dialled is the one the operating system would prefer.
  const found = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/**
 * Sends one webhook attempt. Every expected failure (a refused URL, DNS,
 * connect, TLS, timeout) comes back as { kind: 'error' }; a reply of any
 * status, redirects included, comes back as { kind: 'response' }. Only a
 * programming error (a bad option, a header value Node refuses) throws.
 *
 * The hostname is resolved once, every address is checked, and the socket
 * is pinned to the checked address, so DNS rebinding between the check and
 * the connect cannot reach an internal host.
 */
export async function postWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const { timeoutMs, maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES } = request;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`postWebhook: timeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 0) throw new RangeError(`postWebhook: maxResponseBytes must be a whole number of bytes, not ${maxResponseBytes}`);

  // Latency is a duration, so it is read from the monotonic clock: a wall
  // clock stepped by NTP mid-request would record a negative or huge value.
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const fail = (code: WebhookErrorCode, message: string): WebhookResponse => ({ kind: 'error', code, message, latencyMs: elapsed() });

  const checked = checkEndpointUrl(request.url, request.policy);
  if (!checked.ok) return fail(checked.code, checked.message);
  const url = checked.url;

  let targets: ResolvedAddress[];
  const literal = literalAddress(url);
  if (literal !== undefined) {
    // checkEndpointUrl has already checked a literal address.
    targets = [withFamily(literal)];
  } else {
    const resolve = request.resolve ?? systemResolve;
    // Through then(), so a resolver that throws at once is a DNS failure like one that rejects.
    const resolved = await withDeadline(Promise.resolve(url.hostname).then(resolve), timeoutMs);
    if (resolved === 'timeout') return fail('timeout', `Resolving ${url.hostname} took longer than the ${timeoutMs} ms allowed for the whole attempt.`);
    if (!resolved.ok) return fail('dns_failed', `Could not resolve ${url.hostname} (${errorCode(resolved.error)}). Check that the endpoint's hostname exists in public DNS.`);
    if (resolved.value.length === 0) return fail('dns_failed', `${url.hostname} has no addresses in DNS.`);
    // Any bad address refuses the lot: an attacker's DNS can list a public
    // address beside an internal one and hope the connection picks the second.
    for (const { address } of resolved.value) {
      const reason = addressRefusal(address, request.policy);
      if (reason !== undefined) {
        return fail('forbidden_address', `${url.hostname} resolves to ${address}, ${reason}. Webhooks are delivered only to public internet addresses.`);
      }
    }
    // The family is read from the address itself rather than trusted from the resolver.
    targets = resolved.value.map(({ address }) => withFamily(address));
  }

  const remainingMs = timeoutMs - (performance.now() - started);
  if (remainingMs <= 0) return fail('timeout', `The attempt used its ${timeoutMs} ms before connecting.`);
  return send(url, targets, request, remainingMs, maxResponseBytes, request.clock ?? systemClock, elapsed);
}

function send(url: URL, targets: ResolvedAddress[], request: WebhookRequest, remainingMs: number, maxResponseBytes: number, clock: Clock, elapsed: () => number): Promise<WebhookResponse> {
  const isHttps = url.protocol === 'https:';
  const hostname = literalAddress(url) ?? url.hostname;
  const body = Buffer.from(request.body, 'utf8');
  const port = url.port === '' ? (isHttps ? 443 : 80) : Number(url.port);
  const where = `${url.hostname}:${port}`;

  // The socket's only resolver: it answers with the addresses already
  // checked, never asking DNS again. Node asks for { all: true } when it may
  // try several addresses in turn (autoSelectFamily, on by default in Node
  // 20), so a host whose ::1 refuses can still be reached on 127.0.0.1.
  const first = targets[0] as ResolvedAddress;
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, targets.map((t) => ({ address: t.address, family: t.family })));
    else callback(null, first.address, first.family);
  };

  const options: RequestOptions & { servername?: string } = {
    method: 'POST',
    protocol: url.protocol,
    // The original hostname, not the address: it becomes the Host header and,
    // over TLS, the SNI name and the name the certificate must match.
    hostname,
    port,
    path: `${url.pathname}${url.search}`,
    headers: outgoingHeaders(request.headers, body.length),
    lookup: pinnedLookup,
    // No pooling: a kept-alive socket would outlive the address check that
    // opened it and be shared by every endpoint on the same host:port, and a
    // shared agent's maxSockets would let one slow merchant queue the rest.
    // The cost is a fresh TCP (and TLS) handshake per attempt, which is small
    // beside a webhook's retry schedule.
    agent: false,
  };
  // SNI must be a name, never an address (RFC 6066); for an IP literal the
  // certificate is matched against the address itself.
  if (isHttps && isIP(hostname) === 0) options.servername = hostname;

  return new Promise<WebhookResponse>((settle) => {
    let done = false;
    let tcpConnected = false;
    let tlsConnected = false;
    let req: ClientRequest | undefined;

    const finish = (result: WebhookResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Stops reading a long body and frees the socket; with agent: false
      // there is no pool to return it to.
      req?.destroy();
      settle(result);
    };
    const fail = (code: WebhookErrorCode, message: string) => finish({ kind: 'error', code, message, latencyMs: elapsed() });

    const timer = setTimeout(() => fail('timeout', `${where} did not answer within ${request.timeoutMs} ms.`), remainingMs);

    req = (isHttps ? httpsRequest : httpRequest)(options);
    req.on('socket', (socket) => {
      socket.once('connect', () => (tcpConnected = true));
      socket.once('secureConnect', () => (tlsConnected = true));
    });
    req.on('error', (err) => {
      // A failure after TCP connected but before the handshake finished is
      // the certificate, the name or the protocol version: a merchant fixes
      // that differently from a closed port.
      if (isHttps && tcpConnected && !tlsConnected) fail('tls_failed', `The TLS handshake with ${where} failed (${errorCode(err)}): ${err.message}. Check that the certificate is valid, unexpired and issued for ${url.hostname}.`);
      else fail('connection_failed', `Could not deliver to ${where} (${errorCode(err)}): ${err.message}.`);
    });
    req.on('response', (res: IncomingMessage) => {
      const statusCode = res.statusCode ?? 0;
      const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], clock.nowMs());
      const decoder = new StringDecoder('utf8');
      let text = '';
      let kept = 0;
      const respond = () => finish({ kind: 'response', statusCode, latencyMs: elapsed(), body: text, retryAfterSeconds });
      if (maxResponseBytes === 0) return respond();
      res.on('data', (chunk: Buffer) => {
        const take = chunk.subarray(0, maxResponseBytes - kept);
        kept += take.length;
        // write() holds back a character split across chunks (or cut by the
        // cap) instead of emitting U+FFFD for it.
        text += decoder.write(take);
        if (kept >= maxResponseBytes) respond();
      });
      res.on('end', respond);
      // The reply was received even if the body was cut short; what arrived is kept.
      res.on('error', respond);
      res.on('close', respond);
    });
    req.end(body);
  });
}

/** Our framing headers win over the caller's; their content-type and user-agent win over ours. */
function outgoingHeaders(given: Record<string, string>, contentLength: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const names = new Set<string>();
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    // A wrong length or a chunked declaration would desynchronise the
    // receiver's parser; the length is always the body's own.
    if (lower === 'content-length' || lower === 'transfer-encoding') continue;
    headers[name] = value;
    names.add(lower);
  }
  if (!names.has('content-type')) headers['content-type'] = 'application/json';
  if (!names.has('user-agent')) headers['user-agent'] = USER_AGENT;
  headers['content-length'] = String(contentLength);
  return headers;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = MONTHS.join('|');
// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still accept.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${MONTH}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const RFC850_DATE = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${MONTH})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MONTH}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`);

/**
 * Seconds to wait from a Retry-After header (RFC 9110 §10.2.3): delta-seconds
 * or an HTTP-date. Anything else is ignored rather than guessed at, because
 * Date.parse reads "120" as the year 2001 and "2026-01-01" as a date.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  // RFC 9110 allows digits only; a negative count is read as "now" rather
  // than dropped, since the receiver plainly asked for no delay.
  if (/^-?\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? Math.max(0, seconds) : undefined;
  }
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  // Rounded up so a retry never lands before the moment the receiver named;
  // a date already past means "now".
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function parseHttpDate(text: string, nowMs: number): number | undefined {
  let day: string, month: string, year: number, h: string, m: string, s: string;
  let match: RegExpExecArray | null;
  if ((match = IMF_FIXDATE.exec(text))) {
    [, day = '', month = '', , h = '', m = '', s = ''] = match;
    year = Number(match[3]);
  } else if ((match = RFC850_DATE.exec(text))) {
    [, day = '', month = '', , h = '', m = '', s = ''] = match;
    // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
    const thisYear = new Date(nowMs).getUTCFullYear();
    year = Math.floor(thisYear / 100) * 100 + Number(match[3]);
    if (year > thisYear + 50) year -= 100;
  } else if ((match = ASCTIME_DATE.exec(text))) {
    [, month = '', day = '', h = '', m = '', s = ''] = match;
    year = Number(match[6]);
  } else {
    return undefined;
  }
  const monthIndex = MONTHS.indexOf(month);
  const date = Number(day.trim());
  const ms = Date.UTC(year, monthIndex, date, Number(h), Number(m), Number(s));
  // Date.UTC rolls "31 Feb" over into March; a date that does not exist is garbage.
  const check = new Date(ms);
  if (check.getUTCDate() !== date || check.getUTCMonth() !== monthIndex || Number(h) > 23 || Number(m) > 59 || Number(s) > 60) return undefined;
  return ms;
}

function withFamily(address: string): ResolvedAddress {
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
