/**
 * Webhook signing (the gateway's side) and verification (the merchant's side).
 *
 * Every delivery carries two conventions, so a receiver can use whichever it
 * already has code for:
 *
 * - KwikPaisa: x-timestamp, and x-signature = x-webhook-signature =
 *   hex(HMAC-SHA256(key = the whole secret string "whsec_..." as UTF-8,
 *   message = body + timestamp)).
 * - Standard Webhooks (standardwebhooks.com; the `standardwebhooks` and
 *   `svix` libraries): webhook-id, webhook-timestamp, and webhook-signature =
 *   "v1," + base64(HMAC-SHA256(key = base64-decoded secret after "whsec_",
 *   message = id + "." + timestamp + "." + body)).
 *
 * While a secret is being rolled several secrets are active: each signature
 * header then holds one signature per secret, newest first, separated by
 * single spaces, so a receiver holding either the old or the new secret
 * keeps verifying.
 *
 * This file holds everything but the HMAC itself: the secret's format, the
 * headers, the timestamp window, the messages signed, the signatures a header
 * lists, and the failures that teach. No node:crypto and no Buffer: it is part
 * of `@tijori/signing/messages`, so the SDK verifies the same way with
 * WebCrypto in Deno, Bun or an edge worker. webhook-signature.ts adds
 * node:crypto's HMAC.
 */
import { fromCanonicalBase64, fromHex, isBytesOrString, type MessagePart, utf8 } from './bytes.js';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** 300 s each way, as in the Standard Webhooks libraries and the request-signing window. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookConvention = 'standard-webhooks' | 'kwikpaisa';

export interface SignWebhookInput {
  /** Every secret active at send time, newest first; one signature per secret in each header. */
  secrets: readonly string[];
  /** The event id (evt_...), sent as webhook-id. */
  eventId: string;
  /** UNIX seconds at send time: each attempt is signed afresh. */
  timestamp: string | number;
  /** The body exactly as sent. */
  body: string;
}

/** A Fetch-style Headers object (get is case-insensitive), or Node's IncomingHttpHeaders or any plain record. */
export type WebhookHeaders = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export interface VerifyWebhookInput {
  /** The request body bytes exactly as received: not JSON.parse'd and re-serialised. */
  body: string | Uint8Array;
  headers: WebhookHeaders;
  /** The endpoint's signing secret "whsec_..."; several while you roll it, any may match. */
  secret: string | readonly string[];
  /** Default 300. */
  toleranceSeconds?: number;
  /** UNIX seconds; default the system clock. */
  nowSeconds?: number;
}

export type WebhookVerifyFailureCode =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_outside_tolerance'
  | 'invalid_signature'
  | 'invalid_secret';

/** Every failure code, in the order the checks run; for catalogues and their tests. */
export const WEBHOOK_VERIFY_FAILURE_CODES: readonly WebhookVerifyFailureCode[] = Object.freeze([
  'invalid_secret',
  'missing_headers',
  'invalid_timestamp',
  'timestamp_outside_tolerance',
  'invalid_signature',
] as const);

export type VerifyWebhookResult =
  | {
      ok: true;
      convention: WebhookConvention;
      /** webhook-id (the event id, for de-duplication); undefined for KwikPaisa, whose headers carry none: use event_id in the body. */
      eventId: string | undefined;
      timestamp: number;
    }
  | { ok: false; code: WebhookVerifyFailureCode; message: string };

// 24 bytes is the shortest secret Svix has issued; ours are 32.
const MIN_SECRET_BYTES = 24;
// Twelve digits covers every date until the year 33658; thirteen is Date.now().
const SECONDS = /^[0-9]{1,12}$/;
const MILLISECONDS = /^[0-9]{13}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
// Printable ASCII without space: the id goes into a header and into the signed string.
const EVENT_ID = /^[\x21-\x7e]+$/;

/** True for "whsec_" followed by canonical base64 (standard alphabet, padded) of at least 24 bytes. */
export function isWebhookSecret(s: unknown): boolean {
  return webhookSecretKey(s) !== undefined;
}

/** The Standard Webhooks HMAC key: the bytes the base64 after "whsec_" encodes; undefined when s is not a webhook secret. */
export function webhookSecretKey(s: unknown): Uint8Array | undefined {
  if (typeof s !== 'string' || !s.startsWith(WEBHOOK_SECRET_PREFIX)) return undefined;
  // Canonical only (the round trip refuses non-zero padding bits), so one secret has exactly one spelling.
  const key = fromCanonicalBase64(s.slice(WEBHOOK_SECRET_PREFIX.length));
  return key !== undefined && key.length >= MIN_SECRET_BYTES ? key : undefined;
}

/** The message of the KwikPaisa convention: body + timestamp. */
export function kwikpaisaWebhookMessage(body: MessagePart, timestamp: string): MessagePart[] {
  return [body, timestamp];
}

/** The message of the Standard Webhooks convention: id + "." + timestamp + "." + body. */
export function standardWebhookMessage(eventId: string, timestamp: string, body: MessagePart): MessagePart[] {
  return [eventId, '.', timestamp, '.', body];
}

/** What signing one delivery attempt takes: per convention, one HMAC key per secret (newest first) and the message. */
export interface WebhookSigningPlan {
  eventId: string;
  timestamp: string;
  /** Keys: each whole secret string as UTF-8. */
  kwikpaisa: { keys: Uint8Array[]; message: MessagePart[] };
  /** Keys: each secret's base64-decoded bytes. */
  standard: { keys: Uint8Array[]; message: MessagePart[] };
}

/**
 * Checks signWebhook's input and says what to HMAC. Throws TypeError for
 * programmer errors; the message never contains a secret.
 */
export function prepareWebhookSignature(input: SignWebhookInput): WebhookSigningPlan {
  const { secrets, eventId, body } = input;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError('signWebhook: secrets must be a non-empty array of the secrets active now, newest first');
  }
  const keys = secrets.map((secret: unknown, i) => {
    const key = webhookSecretKey(secret);
    if (key === undefined) {
      throw new TypeError(`signWebhook: secrets[${i}] is not a webhook secret ("${WEBHOOK_SECRET_PREFIX}" + base64 of at least ${MIN_SECRET_BYTES} bytes)`);
    }
    return { secret: utf8(secret as string), key };
  });
  if (typeof eventId !== 'string' || !EVENT_ID.test(eventId)) {
    throw new TypeError('signWebhook: eventId must be a non-empty string of printable ASCII without spaces, e.g. evt_...');
  }
  if (typeof body !== 'string') {
    throw new TypeError('signWebhook: body must be the string exactly as it will be sent');
  }
  const timestamp = webhookTimestamp(input.timestamp);
  return {
    eventId,
    timestamp,
    kwikpaisa: { keys: keys.map((k) => k.secret), message: kwikpaisaWebhookMessage(body, timestamp) },
    standard: { keys: keys.map((k) => k.key), message: standardWebhookMessage(eventId, timestamp, body) },
  };
}

/** The six signature headers of one attempt: the plan, its KwikPaisa HMACs in hex and its Standard Webhooks HMACs in base64, in the plan's key order. */
export function webhookSignatureHeaders(plan: WebhookSigningPlan, kwikpaisaHex: readonly string[], standardBase64: readonly string[]): Record<string, string> {
  const hex = kwikpaisaHex.join(' ');
  return {
    'webhook-id': plan.eventId,
    'webhook-timestamp': plan.timestamp,
    'webhook-signature': standardBase64.map((b64) => `v1,${b64}`).join(' '),
    'x-timestamp': plan.timestamp,
    'x-signature': hex,
    'x-webhook-signature': hex,
  };
}

function webhookTimestamp(timestamp: unknown): string {
  const text = typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0 ? String(timestamp) : timestamp;
  if (typeof text === 'string' && MILLISECONDS.test(text)) {
    throw new TypeError('signWebhook: timestamp has 13 digits, which is milliseconds; pass UNIX seconds, e.g. Math.floor(Date.now() / 1000)');
  }
  // No leading zeros: Standard Webhooks libraries re-print the parsed number when they verify.
  if (typeof text !== 'string' || !SECONDS.test(text) || (text.length > 1 && text.startsWith('0'))) {
    throw new TypeError('signWebhook: timestamp must be whole UNIX seconds, as a number or a string of digits');
  }
  return text;
}

/**
 * What is left once every check that needs no key has passed: the HMAC of
 * `message` under one of `keys` must equal one of the `provided` signatures.
 * `verified` is the answer when one does, `mismatch` when none does.
 */
export interface WebhookVerificationPlan {
  ok: true;
  keys: Uint8Array[];
  message: MessagePart[];
  provided: Uint8Array[];
  verified: Extract<VerifyWebhookResult, { ok: true }>;
  mismatch: Extract<VerifyWebhookResult, { ok: false }>;
}

/**
 * Every check of verifyWebhook but the HMAC, in order: the secrets, the
 * headers (Standard Webhooks when all three webhook-* headers are present,
 * else KwikPaisa), the timestamp, the raw body, the form of the signatures
 * listed. Returns a failure, or the plan for the HMAC comparison.
 */
export function prepareWebhookVerification(input: VerifyWebhookInput): WebhookVerificationPlan | Extract<VerifyWebhookResult, { ok: false }> {
  const given: Partial<Record<keyof VerifyWebhookInput, unknown>> = typeof input === 'object' && input !== null ? input : {};

  const keys = webhookKeys(given.secret);
  if (!Array.isArray(keys)) return keys;

  const read = headerReader(given.headers);
  if (read === undefined) {
    return failure('missing_headers', 'headers must be the request headers: a plain object (Node req.headers) or a Fetch Headers object (request.headers).');
  }
  const id = read('webhook-id');
  const standardTimestamp = read('webhook-timestamp');
  const standardSignature = read('webhook-signature', true);
  const kwikTimestamp = read('x-timestamp');
  const kwikSignature = read('x-webhook-signature', true) ?? read('x-signature', true);

  let convention: WebhookConvention;
  let timestampText: string;
  let signatures: string;
  if (id !== undefined && standardTimestamp !== undefined && standardSignature !== undefined) {
    convention = 'standard-webhooks';
    timestampText = standardTimestamp;
    signatures = standardSignature;
  } else if (kwikTimestamp !== undefined && kwikSignature !== undefined) {
    convention = 'kwikpaisa';
    timestampText = kwikTimestamp;
    signatures = kwikSignature;
  } else {
    return failure('missing_headers', missingHeadersMessage(read));
  }
  const timestampHeader = convention === 'standard-webhooks' ? 'webhook-timestamp' : 'x-timestamp';

  const time = checkTimestamp(timestampHeader, timestampText, given.nowSeconds, given.toleranceSeconds);
  if (!time.ok) return time;

  const body = given.body;
  if (!isBytesOrString(body)) {
    return failure('invalid_signature', NOT_RAW_BODY);
  }

  if (convention === 'standard-webhooks') {
    // A proxy that merges repeated headers joins them with ", ": base64 has no commas, so drop them.
    const provided = signatures
      .split(/\s+/)
      .map((entry) => entry.replace(/,+$/, ''))
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3))
      .filter((b64) => BASE64_SHA256.test(b64))
      // Canonical base64 only: atob ignores the last character's 2 padding bits, so
      // four spellings of one signature decoded alike (found by the property tests);
      // the standardwebhooks library compares canonical text and refuses three of them.
      .map(fromCanonicalBase64)
      .filter((bytes): bytes is Uint8Array => bytes !== undefined);
    if (provided.length === 0) return failure('invalid_signature', STANDARD_MALFORMED);
    return {
      ok: true,
      keys: keys.map(({ key }) => key),
      message: standardWebhookMessage(id!, timestampText, body),
      provided,
      verified: { ok: true, convention, eventId: id, timestamp: time.seconds },
      mismatch: failure('invalid_signature', STANDARD_MISMATCH),
    };
  }

  const provided = signatures
    .split(/[\s,]+/)
    .filter((hex) => HEX_SHA256.test(hex))
    .map(fromHex);
  if (provided.length === 0) return failure('invalid_signature', KWIKPAISA_MALFORMED);
  return {
    ok: true,
    keys: keys.map(({ secret }) => utf8(secret)),
    message: kwikpaisaWebhookMessage(body, timestampText),
    provided,
    verified: { ok: true, convention, eventId: undefined, timestamp: time.seconds },
    mismatch: failure('invalid_signature', KWIKPAISA_MISMATCH),
  };
}


/** The answer when verification itself went wrong (unexpected input): closed, never open. */
export const UNEXPECTED_WEBHOOK_INPUT: Extract<VerifyWebhookResult, { ok: false }> = Object.freeze({
  ok: false,
  code: 'invalid_signature',
  message: 'The webhook could not be verified because of an unexpected input. Pass the raw body, the request headers and the secret.',
});

function failure(code: WebhookVerifyFailureCode, message: string): Extract<VerifyWebhookResult, { ok: false }> {
  return { ok: false, code, message };
}

interface Key {
  secret: string;
  key: Uint8Array;
}

function webhookKeys(secret: unknown): Key[] | Extract<VerifyWebhookResult, { ok: false }> {
  const list: unknown[] = secret === undefined || secret === null ? [] : Array.isArray(secret) ? secret : [secret];
  if (list.length === 0) {
    return failure(
      'invalid_secret',
      `No webhook secret was given. Pass the endpoint's signing secret ("${WEBHOOK_SECRET_PREFIX}...", shown once when the endpoint was created or its secret rolled), or a list of them.`,
    );
  }
  const keys: Key[] = [];
  for (const [i, s] of list.entries()) {
    const key = webhookSecretKey(s);
    if (key === undefined) return failure('invalid_secret', invalidSecretMessage(s, list.length === 1 ? 'The secret' : `Secret ${i + 1} of ${list.length}`));
    keys.push({ secret: s as string, key });
  }
  return keys;
}

function invalidSecretMessage(s: unknown, which: string): string {
  const base =
    `${which} is not a webhook signing secret: expected "${WEBHOOK_SECRET_PREFIX}" followed by base64 ` +
    '(standard alphabet, padded), as shown when the endpoint was created or its secret rolled. Pass the whole string, prefix included.';
  // Only the shape is described: the value is a secret and never appears in a message.
  if (typeof s !== 'string') return `${base} It is not a string.`;
  if (s.trim() !== s && isWebhookSecret(s.trim())) return `${base} Remove the surrounding whitespace (a newline from a file or environment variable).`;
  if (/^(sk|pk)_(test|live)_/.test(s)) return `${base} This is an API key; webhooks are signed with the endpoint's own secret.`;
  if (!s.startsWith(WEBHOOK_SECRET_PREFIX) && webhookSecretKey(WEBHOOK_SECRET_PREFIX + s) !== undefined) return `${base} The "${WEBHOOK_SECRET_PREFIX}" prefix is missing.`;
  return base;
}

type HeaderRead = (name: string, isSignature?: boolean) => string | undefined;

/**
 * Case-insensitive header lookup over a Fetch Headers object or a plain
 * record. Empty values count as absent. A header given several times is
 * ambiguous: signature headers join the values (any may match); the others
 * must agree, or they count as a malformed value.
 */
function headerReader(headers: unknown): HeaderRead | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    return (name) => {
      const value: unknown = getter.call(headers, name);
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
  }
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    const lower = name.toLowerCase();
    byName.set(lower, [...(byName.get(lower) ?? []), ...values.filter((v) => v !== '')]);
  }
  return (name, isSignature = false) => {
    const values = byName.get(name) ?? [];
    if (values.length === 0) return undefined;
    if (isSignature) return values.join(' ');
    // Disagreeing copies are joined as a proxy would join them: no longer a valid timestamp, nor the signed id.
    return values.every((v) => v === values[0]) ? values[0] : values.join(', ');
  };
}

function missingHeadersMessage(read: HeaderRead): string {
  const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-timestamp', 'x-signature', 'x-webhook-signature'];
  const found = names.filter((n) => read(n) !== undefined);
  return (
    'The webhook signature headers are missing. Tijori sends both webhook-id, webhook-timestamp and webhook-signature ' +
    '(Standard Webhooks) and x-timestamp with x-signature (KwikPaisa); one complete set is needed. ' +
    `Found: ${found.length === 0 ? 'none of them' : found.join(', ')}. ` +
    'Pass the incoming request headers (Node req.headers, or request.headers in a Fetch handler), and check that no proxy or framework strips them.'
  );
}

function checkTimestamp(
  header: string,
  text: string,
  nowSeconds: unknown,
  toleranceSeconds: unknown,
): { ok: true; seconds: number } | Extract<VerifyWebhookResult, { ok: false }> {
  if (MILLISECONDS.test(text)) {
    return {
      ok: false,
      code: 'invalid_timestamp',
      message:
        `${header} ${text} has 13 digits, so it looks like milliseconds. Webhook timestamps are UNIX time in seconds ` +
        `(here ${text.slice(0, -3)}), and Tijori sends seconds. If you signed this delivery yourself, in a test or a ` +
        'replay tool, use Math.floor(Date.now() / 1000) and sign that same value: the timestamp is part of the signed string.',
    };
  }
  if (!SECONDS.test(text)) {
    // The value is not echoed: it is arbitrary input.
    return {
      ok: false,
      code: 'invalid_timestamp',
      message: `${header} must be UNIX time in whole seconds, written as digits only, e.g. 1778659835.`,
    };
  }
  const seconds = Number(text);
  const now = nowSeconds === undefined ? Math.floor(Date.now() / 1000) : nowSeconds;
  const tolerance = toleranceSeconds === undefined ? DEFAULT_WEBHOOK_TOLERANCE_SECONDS : toleranceSeconds;
  if (typeof now !== 'number' || !Number.isFinite(now) || typeof tolerance !== 'number' || !(tolerance >= 0)) {
    return {
      ok: false,
      code: 'timestamp_outside_tolerance',
      message: 'The delivery time could not be checked: nowSeconds must be a finite number of UNIX seconds and toleranceSeconds a number ≥ 0.',
    };
  }
  const drift = now - seconds;
  if (Math.abs(drift) <= tolerance) return { ok: true, seconds };
  if (now >= 1e11) {
    return {
      ok: false,
      code: 'timestamp_outside_tolerance',
      message: `nowSeconds (${now}) looks like milliseconds. Pass UNIX seconds, e.g. Math.floor(Date.now() / 1000), or leave it out to use the system clock.`,
    };
  }
  const direction = drift > 0 ? 'old' : 'in the future';
  return {
    ok: false,
    code: 'timestamp_outside_tolerance',
    message:
      `${header} ${text} is ${Math.abs(drift)} seconds ${direction}; deliveries are accepted within ${tolerance} seconds of ` +
      `this server's clock (now ${now}). Tijori signs every attempt, retries included, when it sends it, so a genuine ` +
      'delivery is fresh: check that this server keeps time with NTP, and do not verify a stored or replayed delivery later.',
  };
}

const NOT_RAW_BODY =
  'body must be the raw request body exactly as received, as a string or a Buffer/Uint8Array. It looks like a parsed ' +
  "object: verify before any JSON body parser runs (e.g. express.raw({ type: 'application/json' }), or await request.text()), " +
  'then JSON.parse the verified bytes.';

const RAW_BODY_HINT =
  'verify the raw request body bytes exactly as received, not JSON that was parsed and re-serialised (a framework body ' +
  'parser or JSON.stringify changes spacing, key order and escapes)';

const STANDARD_MALFORMED =
  'webhook-signature has no v1 signature. It should be one or more "v1," + base64 of the 32-byte HMAC-SHA256, separated by single spaces.';

const STANDARD_MISMATCH =
  'No signature in webhook-signature matches. It is "v1," + base64(HMAC-SHA256(key = base64-decoded secret after ' +
  `"${WEBHOOK_SECRET_PREFIX}", message = webhook-id + "." + webhook-timestamp + "." + body)). Check that you: ` +
  `(1) ${RAW_BODY_HINT}; (2) use the signing secret of this endpoint, in the same mode (sandbox or live); while a ` +
  'secret is being rolled either the old or the new one verifies; (3) use the base64-decoded part after the prefix as the key, ' +
  'not the secret string itself.';

const KWIKPAISA_MALFORMED =
  'x-webhook-signature / x-signature has no signature of the right form: 64 hex characters (the HMAC-SHA256 digest), several separated by single spaces.';

const KWIKPAISA_MISMATCH =
  'No signature in x-webhook-signature / x-signature matches. It is hex(HMAC-SHA256(key = the whole secret string, ' +
  `"${WEBHOOK_SECRET_PREFIX}" included, as UTF-8, message = body + x-timestamp)). Check that you: (1) ${RAW_BODY_HINT}; ` +
  '(2) use the signing secret of this endpoint, in the same mode (sandbox or live); while a secret is being rolled either the ' +
  'old or the new one verifies; (3) use the secret string itself as the key, not its base64-decoded bytes; (4) append x-timestamp ' +
  'exactly as received.';
