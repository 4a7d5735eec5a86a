/**
 * Checks a received webhook with verifyWebhook and, when it fails, says
 * which input most likely differs: the delivery is valid but old (a stored
 * delivery, or a clock that is off), the body was parsed and written again
 * by a framework, a proxy altered the Standard Webhooks headers, or the
 * secret is not this endpoint's. Verification itself is @tijori/signing's.
 */
import { canonicalJson, DEFAULT_WEBHOOK_TOLERANCE_SECONDS, verifyWebhook, type VerifyWebhookResult, type WebhookConvention } from '@tijori/signing';
import { utf8Text } from './data-option.js';
import { JSON_STYLES, writeJson } from '../lib/json-styles.js';

export interface WebhookSignatureCase {
  /** The body exactly as received. */
  body: Uint8Array;
  /** Header names in any case; a header given twice has several values. */
  headers: Record<string, string[]>;
  /** The endpoint's signing secret, whsec_… */
  secret: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}

export const WEBHOOK_DIAGNOSES = [
  'invalid_secret',
  'missing_headers',
  'invalid_timestamp',
  'stale_delivery',
  'body_reserialised',
  'body_newline',
  'standard_headers_altered',
  'wrong_secret',
] as const;
export type WebhookDiagnosis = (typeof WEBHOOK_DIAGNOSES)[number];

export type WebhookSignatureVerdict =
  | { ok: true; convention: WebhookConvention; eventId: string | undefined; timestamp: number }
  | { ok: false; code: WebhookDiagnosis; message: string; notes: string[] };

const STANDARD = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
const KWIKPAISA = ['x-timestamp', 'x-signature', 'x-webhook-signature'];

export function explainWebhookSignature(c: WebhookSignatureCase): WebhookSignatureVerdict {
  const notes: string[] = [];
  const tolerance = c.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const check = (body: Uint8Array, headers: Record<string, string[]>, nowSeconds = c.nowSeconds): VerifyWebhookResult =>
    verifyWebhook({ body, headers, secret: c.secret, nowSeconds, toleranceSeconds: tolerance });

  const first = check(c.body, c.headers);
  if (first.ok) return first;
  if (first.code === 'invalid_secret' || first.code === 'missing_headers' || first.code === 'invalid_timestamp') {
    return { ok: false, code: first.code, message: first.message, notes };
  }
  const fail = (code: WebhookDiagnosis, message: string): WebhookSignatureVerdict => ({ ok: false, code, message, notes });

  // From here the headers are complete and well formed: judge the signature as of the moment it was signed
  // (either convention's timestamp: a proxy may have altered one of them).
  const stamps = [...new Set(['webhook-timestamp', 'x-timestamp'].map((n) => Number(header(c.headers, n))).filter(Number.isSafeInteger))];
  const atSigning = (body: Uint8Array, headers = c.headers) => stamps.some((t) => check(body, headers, t).ok);
  const signedAt = stamps[0] ?? c.nowSeconds;
  if (first.code === 'timestamp_outside_tolerance') {
    if (atSigning(c.body)) {
      const age = c.nowSeconds - signedAt;
      return fail(
        'stale_delivery',
        `The signature is valid, but the delivery was signed ${Math.abs(age)} seconds ${age >= 0 ? 'ago' : 'in the future'}, outside the ${tolerance} s tolerance. ` +
          'Tijori signs every attempt, retries included, when it sends it, so a genuine delivery is fresh: you are verifying a stored or replayed delivery, ' +
          "or this machine's clock is off (compare date -u with the gateway's). Pass --tolerance to check an old delivery on purpose.",
      );
    }
    notes.push(`the delivery is also outside the ${tolerance} s tolerance (${first.message})`);
  }

  for (const { body, message, code } of bodyVariants(c.body)) {
    if (atSigning(body)) return fail(code, message);
  }
  const alone = (names: string[]) => Object.fromEntries(Object.entries(c.headers).filter(([name]) => names.includes(name.toLowerCase())));
  const has = (name: string) => header(c.headers, name) !== undefined;
  const bothConventions = STANDARD.every(has) && has('x-timestamp') && (has('x-signature') || has('x-webhook-signature'));
  // verifyWebhook prefers the Standard Webhooks headers when all three are there; the KwikPaisa pair may still hold.
  if (bothConventions && atSigning(c.body, alone(KWIKPAISA))) {
    return fail(
      'standard_headers_altered',
      'The KwikPaisa signature (x-signature) matches, so body and secret are right, but the Standard Webhooks one (webhook-signature) does not: ' +
        'webhook-id or webhook-timestamp was changed on the way (a proxy or a replay tool). Check them against x-timestamp and the event_id in the body.',
    );
  }
  return fail(
    'wrong_secret',
    'No change to the body or the headers makes the signature match, so the secret is most likely not the one this delivery was signed with: each endpoint has its own secret, sandbox and live endpoints are separate, ' +
      'and after a roll the old secret signs only until the overlap ends. `tijori webhook show <we_…>` lists the secrets in force; the secret itself is shown only when created or rolled.',
  );
}

function* bodyVariants(body: Uint8Array): Generator<{ body: Uint8Array; code: WebhookDiagnosis; message: string }> {
  const text = utf8Text(body);
  if (text === undefined) return;
  const trimmed = text.replace(/[\r\n]+$/, '');
  const newline = 'The signature matches the body without the trailing newline it has here: the body was saved to a file with one (an editor or echo adds it) after it was received. Verify the bytes exactly as received.';
  if (trimmed !== text) yield { body: Buffer.from(trimmed, 'utf8'), code: 'body_newline', message: newline };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return;
  }
  const reserialised = (how: string) =>
    `The signature matches the body written as ${how}, not the bytes given: the body was parsed and serialised again before verifying (express.json(), a framework's body parser, JSON.stringify(req.body), or a pretty-printer). ` +
    "Verify the raw bytes exactly as received (express.raw({ type: 'application/json' }), await request.text(), file_get_contents('php://input')), then parse them.";
  for (const [how, written] of [
    ['compact JSON in the same key order (JSON.stringify)', writeJson(parsed, JSON_STYLES.compact)],
    ['canonical JSON (keys sorted, compact)', canonicalJson(parsed)],
  ] as const) {
    if (written !== text) yield { body: Buffer.from(written, 'utf8'), code: 'body_reserialised', message: reserialised(how) };
  }
}

function header(headers: Record<string, string[]>, name: string): string | undefined {
  for (const [key, values] of Object.entries(headers)) if (key.toLowerCase() === name && values[0]) return values[0];
  return undefined;
}
