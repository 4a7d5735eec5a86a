export { canonicalJson } from './canonical-json.js';
export { checkTimestamp, DEFAULT_TOLERANCE_SECONDS, type TimestampCheck } from './timestamp.js';
export { signRequest, type SignatureScheme, type SignRequestInput } from './sign-request.js';
export { parsePublicKey, type PublicKeyAlgorithm, type PublicKeyParse } from './public-key.js';
export {
  verifyRequest,
  VERIFY_FAILURE_CODES,
  type VerifyFailureCode,
  type VerifyRequestInput,
  type VerifyResult,
} from './verify-request.js';
export { describeSignedStrings, type SignedStringDescription } from './describe-signed-strings.js';
export {
  signWebhook,
  verifyWebhook,
  isWebhookSecret,
  WEBHOOK_SECRET_PREFIX,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  WEBHOOK_VERIFY_FAILURE_CODES,
  type SignWebhookInput,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  type WebhookConvention,
  type WebhookHeaders,
  type WebhookVerifyFailureCode,
} from './webhook-signature.js';
export {
  contentDigest,
  signResponse,
  verifyResponse,
  publicJwk,
  signatureBase,
  signatureParamsValue,
  RESPONSE_SIGNATURE_LABEL,
  RESPONSE_SIGNATURE_ALGORITHM,
  DEFAULT_RESPONSE_MAX_AGE_SECONDS,
  RESPONSE_VERIFY_FAILURE_CODES,
  type ComponentId,
  type CoveredComponent,
  type ResponseHeaders,
  type ResponseKeySource,
  type ResponseSignatureHeaders,
  type ResponseSigningJwk,
  type ResponseVerifyFailureCode,
  type SignResponseInput,
  type VerifyResponseInput,
  type VerifyResponseResult,
} from './response-signature.js';
