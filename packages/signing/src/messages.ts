/**
 * `@tijori/signing/messages`: what every signature covers and every check
 * that needs no key, without node:crypto or Buffer. It runs in any
 * JavaScript runtime with TextEncoder, atob and btoa (Node, Deno, Bun, edge
 * workers, browsers), so a client that has only WebCrypto (the SDK) signs
 * and verifies exactly as this package does, computing just the primitives
 * (HMAC-SHA256, SHA-256, Ed25519) itself.
 */
export { fromBase64, type MessagePart, messageBytes, toBase64, toHex, utf8 } from './bytes.js';
export { canonicalJson } from './canonical-json.js';
export { requestTimestamp, type SignatureScheme, signedMessage, type SignedMessageInput } from './request-message.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  isWebhookSecret,
  kwikpaisaWebhookMessage,
  prepareWebhookVerification,
  standardWebhookMessage,
  UNEXPECTED_WEBHOOK_INPUT,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_VERIFY_FAILURE_CODES,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  type WebhookConvention,
  type WebhookHeaders,
  type WebhookVerificationPlan,
  type WebhookVerifyFailureCode,
} from './webhook-message.js';
export {
  contentDigestValue,
  DEFAULT_RESPONSE_MAX_AGE_SECONDS,
  prepareResponseVerification,
  RESPONSE_VERIFY_FAILURE_CODES,
  signatureBase,
  signatureParamsValue,
  UNEXPECTED_RESPONSE_INPUT,
  type ResponseHeaders,
  type ResponseSigningJwk,
  type ResponseVerificationInput,
  type ResponseVerificationPlan,
  type ResponseVerifyFailureCode,
  type VerifyResponseResult,
} from './response-message.js';
