/** Shared request-schema pieces and the failure envelope, as JSON Schema for validation and OpenAPI. */

// Positive integers must survive JSON parsing exactly; beyond 2^53 send the id as a string.
export const ORDER_ID_SCHEMA = {
  type: ['string', 'integer'],
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/#-]*$',
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Your order id: 1-64 characters of letters, digits and _ . : / # -, or a positive integer up to 2^53-1.',
} as const;

export const FAILURE_SCHEMA = {
  type: 'object',
  required: ['code', 'status', 'message', 'error_code', 'request_id'],
  properties: {
    code: { type: 'string', example: '401' },
    status: { type: 'string', enum: ['failed'] },
    message: { type: 'string' },
    error_code: { type: 'string', description: 'Stable machine-readable code; see docs/errors.md.' },
    request_id: { type: 'string', example: 'req_5f0c…' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** OpenAPI-only: the signed-request headers every /api/ route requires (checked by the request-auth plugin, not by schema). */
export const SIGNED_REQUEST_SECURITY = [{ ApiKey: [], Timestamp: [], Signature: [] }];
