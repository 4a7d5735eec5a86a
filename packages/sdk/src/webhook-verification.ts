/**
 * Verifying a webhook delivery on the merchant's server, with WebCrypto: the
 * checks are @tijori/signing's prepareWebhookVerification (both conventions,
 * the tolerance window, a message per failure that says what to check); this
 * file computes and compares the HMACs.
 */
import {
  messageBytes,
  prepareWebhookVerification,
  UNEXPECTED_WEBHOOK_INPUT,
  type WebhookHeaders,
  type WebhookVerificationPlan,
} from '@tijori/signing/messages';
import { TijoriWebhookVerificationError } from './errors.js';
import { hmacVerify, importHmacKey } from './web-crypto.js';
import type { WebhookEvent } from './webhook-event.js';

export interface VerifyWebhookOptions {
  /** How far webhook-timestamp / x-timestamp may be from now, each way. Default 300 s. */
  toleranceSeconds?: number;
  /** UNIX seconds; default the system clock (for tests and replaying stored deliveries). */
  nowSeconds?: number;
}

/** The endpoint's signing secret ("whsec_..."), or several while you roll it: any may match. */
export type WebhookSecret = string | readonly string[];

/**
 * Verifies a delivery and returns its event, parsed. `rawBody` is the body
 * exactly as received (a string, Buffer, Uint8Array or ArrayBuffer), never an
 * object a JSON body parser made; `headers` are the request's headers (Node's
 * req.headers or a Fetch Headers). Throws TijoriWebhookVerificationError, whose
 * `code` says which check failed and whose message says what to look at.
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: WebhookSecret,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const body = rawBody instanceof ArrayBuffer ? new Uint8Array(rawBody) : rawBody;
  let plan: ReturnType<typeof prepareWebhookVerification>;
  try {
    plan = prepareWebhookVerification({ body, headers, secret, toleranceSeconds: options.toleranceSeconds, nowSeconds: options.nowSeconds });
  } catch {
    plan = UNEXPECTED_WEBHOOK_INPUT;
  }
  if (!plan.ok) throw new TijoriWebhookVerificationError(plan.code, plan.message);
  if (!(await anyMatches(plan))) throw new TijoriWebhookVerificationError(plan.mismatch.code, plan.mismatch.message);
  try {
    return JSON.parse(typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body)) as WebhookEvent;
  } catch {
    throw new TijoriWebhookVerificationError('invalid_payload', 'The delivery verified, but its body is not UTF-8 JSON. Pass the raw body bytes as received, not a re-encoded copy.');
  }
}

async function anyMatches(plan: WebhookVerificationPlan): Promise<boolean> {
  const message = messageBytes(plan.message);
  for (const keyBytes of plan.keys) {
    const key = await importHmacKey(keyBytes, 'verify');
    for (const signature of plan.provided) {
      // WebCrypto's verify compares in constant time.
      if (await hmacVerify(key, signature, message)) return true;
    }
  }
  return false;
}
