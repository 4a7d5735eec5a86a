/**
 * Webhook signing (the gateway's side) and verification (the merchant's
 * side) with node:crypto's HMAC. The conventions, the checks and the
 * messages are in webhook-message.ts, shared with the SDK's WebCrypto
 * verifier; this file computes and compares the HMACs.
 *
 * Every delivery carries two conventions, so a receiver can use whichever it
 * already has code for (see webhook-message.ts): KwikPaisa, hex HMAC of
 * body + timestamp under the whole secret string; and Standard Webhooks,
 * "v1," + base64 HMAC of id.timestamp.body under the decoded secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MessagePart } from './bytes.js';
import {
  prepareWebhookSignature,
  prepareWebhookVerification,
  type SignWebhookInput,
  UNEXPECTED_WEBHOOK_INPUT,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  webhookSignatureHeaders,
} from './webhook-message.js';

export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  isWebhookSecret,
  type SignWebhookInput,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_VERIFY_FAILURE_CODES,
  type WebhookConvention,
  type WebhookHeaders,
  type WebhookVerifyFailureCode,
} from './webhook-message.js';

/**
 * The six signature headers for one delivery attempt: webhook-id,
 * webhook-timestamp, webhook-signature, x-timestamp, x-signature and
 * x-webhook-signature. Throws TypeError for programmer errors (no secrets, a
 * malformed secret, a timestamp that is not whole UNIX seconds); the message
 * never contains a secret.
 */
export function signWebhook(input: SignWebhookInput): Record<string, string> {
  const plan = prepareWebhookSignature(input);
  const { kwikpaisa, standard } = plan;
  return webhookSignatureHeaders(
    plan,
    kwikpaisa.keys.map((key) => hmac(key, kwikpaisa.message).toString('hex')),
    standard.keys.map((key) => hmac(key, standard.message).toString('base64')),
  );
}

function hmac(key: Uint8Array, parts: readonly MessagePart[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Verifies a webhook delivery. Checks, in order: the secrets, the headers
 * (Standard Webhooks when all three webhook-* headers are present, else
 * KwikPaisa), the timestamp, then every signature listed against every
 * secret in constant time. Never throws: failures come back as
 * { ok: false, code, message }, and the message says what to check.
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  try {
    const plan = prepareWebhookVerification(input);
    if (!plan.ok) return plan;
    const expected = plan.keys.map((key) => hmac(key, plan.message));
    return anyMatches(expected, plan.provided) ? plan.verified : plan.mismatch;
  } catch {
    // Fail closed. Nothing here is expected to throw; the garbage-input test checks it.
    return UNEXPECTED_WEBHOOK_INPUT;
  }
}

/** Every pair is compared, match or not, so the time taken does not depend on which one matched. */
function anyMatches(expected: readonly Uint8Array[], provided: readonly Uint8Array[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const p of provided) {
      if (e.length === p.length && timingSafeEqual(e, p)) matched = true;
    }
  }
  return matched;
}
